/**
 * The tile-log verifier against tampering: corrupted partial and full tiles, entry bundles,
 * checkpoints, missing resources, wrong keys and witnesses. Each case names the check that must
 * fail, and `assertTileLog` must throw the matching TlogError.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createCosigner } from '../cosignature/cosignature.js';
import { utf8Decode, utf8Encode } from '../encoding/bytes.js';
import { TlogError } from '../errors.js';
import { generateSignerKey } from '../note/keys.js';
import { addNoteSignatures } from '../note/open.js';
import type { KeyedSigner, KeyedVerifier } from '../note/signer.js';
import { createAppender } from './appender.js';
import { createMemoryTileStorage } from './memory-storage.js';
import { createStorageFetch, type TileFetch } from './storage-fetch.js';
import { assertTileLog, verifyTileLog } from './tile-log-verifier.js';

const SIZE = 70_000;
let fetch: TileFetch;
let verifier: KeyedVerifier;
let signer: KeyedSigner;

beforeAll(async () => {
  ({ signer, verifier } = await generateSignerKey('example.com/log', { seed: new Uint8Array(32).fill(3) }));
  const storage = createMemoryTileStorage();
  const appender = await createAppender({ storage, signer });
  for (let i = 0; i < SIZE; i += 10_000) {
    await appender.append(Array.from({ length: Math.min(10_000, SIZE - i) }, (_, j) => utf8Encode(`entry ${i + j}`)));
  }
  fetch = createStorageFetch(storage);
});

/** A fetch that changes one resource. */
function tamper(path: string, change: (data: Uint8Array) => Uint8Array | null): TileFetch {
  return async (p) => {
    const data = await fetch(p);
    return p === path && data !== null ? change(data.slice()) : data;
  };
}
const flipByte = (at: number) => (d: Uint8Array) => {
  d[at]! ^= 1;
  return d;
};

function failedCheck(result: { checks: readonly { id: string; ok: boolean }[] }): string | undefined {
  return result.checks.find((c) => !c.ok)?.id;
}

describe('verifyTileLog', () => {
  it('verifies the untouched log and returns the entry', async () => {
    const result = await verifyTileLog({ fetch, verifier, entryIndex: 12_345, origin: 'example.com/log' });
    expect(result.issues).toEqual([]);
    expect(result.ok).toBe(true);
    expect(utf8Decode(result.entry!)).toBe('entry 12345');
    expect(result.proof!.length).toBeGreaterThan(10);
    const asserted = await assertTileLog({ fetch, verifier, entryIndex: 69_999 });
    expect(asserted.checkpoint.checkpoint.size).toBe(SIZE);
  });

  it.each([
    ['a partial level-0 tile', 'tile/0/273.p/112', 'tiles.root', 'corrupt'],
    ['the partial level-1 tile', 'tile/1/001.p/17', 'tiles.root', 'corrupt'],
    ['the partial level-2 tile', 'tile/2/000.p/1', 'tiles.root', 'corrupt'],
  ])('detects a corrupted %s', async (_what, path, check, code) => {
    const bad = tamper(path, flipByte(5));
    const result = await verifyTileLog({ fetch: bad, verifier });
    expect(result.ok).toBe(false);
    expect(failedCheck(result)).toBe(check);
    await expect(assertTileLog({ fetch: bad, verifier })).rejects.toMatchObject({ code });
  });

  it('detects a corrupted full tile on the path of an entry', async () => {
    // Entry 300 sits in level-0 tile 1; level-1 tile 0 holds the hash of level-0 tile 0 (its sibling).
    for (const path of ['tile/0/001', 'tile/1/000']) {
      const bad = tamper(path, flipByte(31));
      const result = await verifyTileLog({ fetch: bad, verifier, entryIndex: 300 });
      expect(failedCheck(result), path).toBe('entry.inclusion');
      await expect(assertTileLog({ fetch: bad, verifier, entryIndex: 300 })).rejects.toMatchObject({ code: 'proof' });
    }
  });

  it('detects a corrupted full tile anywhere with audit', async () => {
    const bad = tamper('tile/0/100', flipByte(100));
    expect((await verifyTileLog({ fetch: bad, verifier })).ok).toBe(true); // off the right edge: only an audit sees it
    const result = await verifyTileLog({ fetch: bad, verifier, audit: true });
    expect(failedCheck(result)).toBe('tiles.audit');
  });

  it('detects a tampered entry bundle', async () => {
    const bad = tamper('tile/entries/001', (d) => {
      d[d.length - 1]! ^= 1;
      return d;
    });
    const result = await verifyTileLog({ fetch: bad, verifier, entryIndex: 511 });
    expect(failedCheck(result)).toBe('entry.inclusion');
    const truncated = tamper('tile/entries/001', (d) => d.subarray(0, d.length - 1));
    expect(failedCheck(await verifyTileLog({ fetch: truncated, verifier, entryIndex: 300 }))).toBe('entry.bundle');
    expect(failedCheck(await verifyTileLog({ fetch: bad, verifier, audit: true }))).toBe('tiles.audit');
  });

  it('detects a truncated or missing tile', async () => {
    const short = tamper('tile/0/273.p/112', (d) => d.subarray(0, 32));
    await expect(assertTileLog({ fetch: short, verifier })).rejects.toMatchObject({ code: 'corrupt' });
    const missing = tamper('tile/1/001.p/17', () => null);
    const result = await verifyTileLog({ fetch: missing, verifier });
    expect(result.issues.join()).toMatch(/tile\/1\/001\.p\/17 is missing/);
    await expect(assertTileLog({ fetch: missing, verifier })).rejects.toMatchObject({ code: 'missing' });
  });

  it('rejects a tampered checkpoint, a wrong key, a wrong origin and a missing checkpoint', async () => {
    const grown = tamper('checkpoint', (d) => utf8Encode(utf8Decode(d).replace('\n70000\n', '\n70001\n')));
    expect(failedCheck(await verifyTileLog({ fetch: grown, verifier }))).toBe('checkpoint.signature');
    const other = await generateSignerKey('example.com/log', { seed: new Uint8Array(32).fill(4) });
    await expect(assertTileLog({ fetch, verifier: other.verifier })).rejects.toMatchObject({ code: 'unverified' });
    expect(failedCheck(await verifyTileLog({ fetch, verifier, origin: 'example.com/other' }))).toBe('checkpoint.body');
    const none = tamper('checkpoint', () => null);
    await expect(assertTileLog({ fetch: none, verifier })).rejects.toMatchObject({ code: 'missing' });
  });

  it('rejects a consistent-looking checkpoint signed for a different tree', async () => {
    // A validly signed checkpoint whose root the tiles do not produce: split view served to us.
    const forged = await (async () => {
      const storage = createMemoryTileStorage();
      const appender = await createAppender({ storage, signer });
      await appender.append(Array.from({ length: SIZE }, (_, i) => utf8Encode(`other ${i}`)));
      return appender.checkpoint!;
    })();
    const bad = tamper('checkpoint', () => utf8Encode(forged));
    expect(failedCheck(await verifyTileLog({ fetch: bad, verifier }))).toBe('tiles.root');
  });

  it('checks witness cosignatures when witnesses are configured', async () => {
    const witness = await createCosigner({
      name: 'witness.example/w',
      seed: new Uint8Array(32).fill(9),
      clock: () => 1_700_000_000_000,
    });
    const cosigned = await addNoteSignatures(utf8Decode((await fetch('checkpoint'))!), [witness]);
    const withWitness = tamper('checkpoint', () => utf8Encode(cosigned));
    const ok = await verifyTileLog({ fetch: withWitness, verifier, witnesses: [witness.verifier], witnessQuorum: 1 });
    expect(ok.ok).toBe(true);
    expect(ok.checkpoint?.cosignatures[0]?.timestamp).toBe(1_700_000_000);
    const unwitnessed = await verifyTileLog({ fetch, verifier, witnesses: [witness.verifier], witnessQuorum: 1 });
    expect(failedCheck(unwitnessed)).toBe('checkpoint.cosignatures');
  });

  it('falls back to full tiles and bundles when a log has deleted superseded partials', async () => {
    const storage = createMemoryTileStorage();
    const appender = await createAppender({ storage, signer });
    await appender.append(Array.from({ length: 300 }, (_, i) => utf8Encode(`e${i}`)));
    const old = appender.checkpoint!;
    await appender.append(Array.from({ length: 300 }, (_, i) => utf8Encode(`e${300 + i}`)));
    const base = createStorageFetch(storage);
    const pruned: TileFetch = async (path) =>
      path === 'checkpoint' ? utf8Encode(old) : path.includes('.p/') && path !== 'tile/1/000.p/1' ? null : base(path);
    const result = await verifyTileLog({ fetch: pruned, verifier, entryIndex: 299, audit: true });
    expect(result.issues).toEqual([]);
    expect(utf8Decode(result.entry!)).toBe('e299');
    const gone: TileFetch = async (path) => (path.startsWith('tile/0/001') ? null : pruned(path));
    expect(failedCheck(await verifyTileLog({ fetch: gone, verifier }))).toBe('tiles.root');
  });

  it('rejects an entry index beyond the tree and reports bad options without throwing', async () => {
    expect(failedCheck(await verifyTileLog({ fetch, verifier, entryIndex: SIZE }))).toBe('entry.bundle');
    const result = await verifyTileLog({ fetch: 'nope' as unknown as TileFetch, verifier });
    expect(result).toMatchObject({ ok: false, checks: [{ id: 'options', ok: false }] });
    await expect(assertTileLog({ fetch, verifier, entryIndex: -1 })).rejects.toThrow(RangeError);
    expect(TlogError.isInstance(new TlogError('proof', 'x'))).toBe(true);
  });
});
