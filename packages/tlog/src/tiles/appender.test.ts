/**
 * The tile appender: roots and tiles match an independent computation for batch and single
 * appends (across tile boundaries at every level exercised), proofs from tiles match proofs from
 * leaves, state reloads from storage, conflicts and failed commits leave storage consistent.
 */
import { describe, expect, it } from 'vitest';
import { openCheckpoint } from '../checkpoint/signed-checkpoint.js';
import { utf8Encode } from '../encoding/bytes.js';
import { toHex } from '../encoding/bytes.js';
import { TlogError } from '../errors.js';
import { generateConsistencyProof } from '../merkle/consistency.js';
import { EMPTY_ROOT, leafHash } from '../merkle/hash.js';
import { createMemoryHashReader } from '../merkle/hash-reader.js';
import { generateInclusionProof } from '../merkle/inclusion.js';
import { rootFromLeafHashes } from '../merkle/root.js';
import { generateSignerKey } from '../note/keys.js';
import { createAppender } from './appender.js';
import { createMemoryTileStorage } from './memory-storage.js';
import { createStorageFetch } from './storage-fetch.js';
import { partialTiles } from './tile-geometry.js';
import { verifyTileLog } from './tile-log-verifier.js';
import type { TileStorage } from './tile-storage.js';

const key = generateSignerKey('example.com/log', { seed: new Uint8Array(32).fill(7) });
const entry = (i: number): Uint8Array => utf8Encode(`entry #${i}`);

describe('tile appender', () => {
  it('grows a 70,000-entry log in uneven batches, matching the tiles and root of the spec example', async () => {
    const { signer, verifier } = await key;
    const storage = createMemoryTileStorage();
    const appender = await createAppender({ storage, signer });
    const leaves: Uint8Array[] = [];
    let n = 0;
    for (const batch of [1, 255, 1, 65_279, 3_000, 464, 1_000]) {
      const entries = Array.from({ length: batch }, () => entry(n++));
      entries.forEach((e) => leaves.push(leafHash(e)));
      const result = await appender.append(entries);
      expect(result.firstIndex).toBe(n - batch);
      expect(toHex(result.rootHash)).toBe(toHex(rootFromLeafHashes(leaves)));
    }
    expect(appender.size).toBe(70_000);
    for (const t of partialTiles(70_000))
      expect(await storage.readTile(t), `tile ${t.level}/${t.index}.p/${t.width}`).not.toBeNull();
    expect(await storage.readTile({ level: 1, index: 0, width: 256 })).not.toBeNull();
    const result = await verifyTileLog({
      fetch: createStorageFetch(storage),
      verifier,
      entryIndex: 65_535,
      audit: true,
    });
    expect(result.issues).toEqual([]);
    expect(result.checks.map((c) => c.id)).toEqual([
      'checkpoint.fetch',
      'checkpoint.signature',
      'checkpoint.body',
      'tiles.root',
      'tiles.audit',
      'entry.bundle',
      'entry.inclusion',
    ]);
  });

  it('appends one entry at a time, each checkpoint signed and agreeing with its tiles', async () => {
    const { signer, verifier } = await key;
    const storage = createMemoryTileStorage();
    const appender = await createAppender({ storage, signer });
    const leaves: Uint8Array[] = [];
    for (let i = 0; i < 520; i++) {
      leaves.push(leafHash(entry(i)));
      const { checkpoint, size } = await appender.append([entry(i)]);
      expect(size).toBe(i + 1);
      const opened = await openCheckpoint(checkpoint, { verifier, origin: 'example.com/log' });
      expect(toHex(opened.checkpoint.rootHash)).toBe(toHex(rootFromLeafHashes(leaves)));
      if ([0, 1, 255, 256, 257, 511, 512, 519].includes(i)) {
        const check = await verifyTileLog({ fetch: createStorageFetch(storage), verifier, entryIndex: i, audit: true });
        expect(check.issues, `size ${i + 1}`).toEqual([]);
      }
    }
    // Every narrower tile an earlier checkpoint implied is still served.
    expect(await storage.readTile({ level: 0, index: 1, width: 3 })).not.toBeNull();
  });

  it('serves inclusion and consistency proofs from tiles identical to proofs from leaves', async () => {
    const { signer } = await key;
    const appender = await createAppender({ storage: createMemoryTileStorage(), signer });
    const entries = Array.from({ length: 70_001 }, (_, i) => entry(i));
    for (let i = 0; i < entries.length; i += 10_000) await appender.append(entries.slice(i, i + 10_000));
    const memory = createMemoryHashReader(entries.map(leafHash));
    for (const [index, size] of [
      [0, 70_001],
      [65_536, 70_001],
      [70_000, 70_001],
      [12_345, 65_537],
      [255, 256],
      [256, 257],
    ] as const) {
      expect((await appender.inclusionProof(index, size)).map(toHex), `${index}@${size}`).toEqual(
        (await generateInclusionProof(index, size, memory)).map(toHex),
      );
    }
    for (const [a, b] of [
      [1, 70_001],
      [256, 65_536],
      [65_535, 65_537],
      [40_000, 70_000],
      [7, 7],
    ] as const) {
      expect((await appender.consistencyProof(a, b)).map(toHex), `${a}→${b}`).toEqual(
        (await generateConsistencyProof(a, b, memory)).map(toHex),
      );
    }
    await expect(appender.inclusionProof(1, 70_002)).rejects.toThrow(RangeError);
  });

  it('resumes from storage, checking the stored tiles against the checkpoint', async () => {
    const { signer } = await key;
    const storage = createMemoryTileStorage();
    const first = await createAppender({ storage, signer });
    await first.append(Array.from({ length: 300 }, (_, i) => entry(i)));
    const second = await createAppender({ storage, signer });
    expect(second.size).toBe(300);
    expect(second.checkpoint).toBe(first.checkpoint);
    await second.append([entry(300)]);
    const leaves = Array.from({ length: 301 }, (_, i) => leafHash(entry(i)));
    expect(toHex(second.rootHash)).toBe(toHex(rootFromLeafHashes(leaves)));

    const corrupted: TileStorage = {
      ...storage,
      readCheckpoint: () => storage.readCheckpoint(),
      readEntryBundle: (b) => storage.readEntryBundle(b),
      commit: (c) => storage.commit(c),
      readTile: async (t) => {
        const data = await storage.readTile(t);
        if (data !== null && t.level === 0 && t.index === 1) data[0]! ^= 1;
        return data;
      },
    };
    await expect(createAppender({ storage: corrupted, signer })).rejects.toSatisfy(
      (e: unknown) => TlogError.isInstance(e) && e.code === 'corrupt',
    );
    await expect(createAppender({ storage, signer, origin: 'another.example/log' })).rejects.toThrow(/origin/);
  });

  it('loses a race cleanly: conflict, storage unchanged, next append reloads', async () => {
    const { signer, verifier } = await key;
    const storage = createMemoryTileStorage();
    const a = await createAppender({ storage, signer });
    const b = await createAppender({ storage, signer });
    await a.append([entry(0), entry(1)]);
    await expect(b.append([entry(99)])).rejects.toSatisfy(
      (e: unknown) => TlogError.isInstance(e) && e.code === 'conflict',
    );
    expect(storage.size).toBe(2);
    const retried = await b.append([entry(2)]);
    expect(retried.firstIndex).toBe(2);
    expect((await verifyTileLog({ fetch: createStorageFetch(storage), verifier, entryIndex: 2, audit: true })).ok).toBe(
      true,
    );
  });

  it('does not advance when a commit fails', async () => {
    const { signer } = await key;
    const storage = createMemoryTileStorage();
    let fail = false;
    const flaky: TileStorage = {
      readCheckpoint: () => storage.readCheckpoint(),
      readTile: (t) => storage.readTile(t),
      readEntryBundle: (b) => storage.readEntryBundle(b),
      commit: async (c) => {
        if (fail) throw new Error('disk full');
        return storage.commit(c);
      },
    };
    const appender = await createAppender({ storage: flaky, signer });
    await appender.append([entry(0)]);
    fail = true;
    await expect(appender.append([entry(1)])).rejects.toThrow('disk full');
    expect(appender.size).toBe(1);
    fail = false;
    expect((await appender.append([entry(1)])).firstIndex).toBe(1);
  });

  it('serialises concurrent appends on one appender', async () => {
    const { signer } = await key;
    const appender = await createAppender({ storage: createMemoryTileStorage(), signer });
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => appender.append([entry(i)])));
    expect(results.map((r) => r.firstIndex).sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(appender.size).toBe(20);
  });

  it('commits a size-0 checkpoint for an empty batch on a new log, and nothing otherwise', async () => {
    const { signer, verifier } = await key;
    const storage = createMemoryTileStorage();
    const appender = await createAppender({ storage, signer });
    expect(appender.checkpoint).toBeNull();
    const empty = await appender.append([]);
    expect(empty.size).toBe(0);
    expect(toHex(empty.rootHash)).toBe(toHex(EMPTY_ROOT));
    expect((await verifyTileLog({ fetch: createStorageFetch(storage), verifier })).ok).toBe(true);
    await appender.append([entry(0)]);
    const before = await storage.readCheckpoint();
    await appender.append([]);
    expect(await storage.readCheckpoint()).toEqual(before);
  });

  it('rejects malformed entries before touching storage', async () => {
    const { signer } = await key;
    const storage = createMemoryTileStorage();
    const appender = await createAppender({ storage, signer });
    await expect(appender.append([new Uint8Array(65_536)])).rejects.toThrow(/entries\[0\] must be at most 65535 bytes/);
    await expect(appender.append(['x' as unknown as Uint8Array])).rejects.toThrow(TypeError);
    await expect(appender.append('x' as unknown as Uint8Array[])).rejects.toThrow(TypeError);
    expect(await storage.readCheckpoint()).toBeNull();
    expect((await appender.append([new Uint8Array(0), new Uint8Array(65_535)])).size).toBe(2);
  });
});
