/**
 * The audit log's integrator over an in-memory AuditStore and tlog memory storage: the size-0
 * checkpoint at creation, indexes equal to positions, exactly-once after a crash before the
 * commit, and two integrators sharing one store (replicas), with and without the append lock,
 * never appending a sample twice.
 */
import { randomBytes } from 'node:crypto';
import { generateSignerKey, type GeneratedKey } from '@saferouter/tlog';
import { beforeAll, describe, expect, it } from 'vitest';
import { auditEntry } from '../sample/audit-entry.js';
import { verifySample } from '../sample/verify-sample.js';
import { createFakeAuditStore, type FakeAuditStore } from '../testing/fake-audit-store.js';
import { createAuditLog, INTEGRATE_BATCH, type AuditLogOptions } from './audit-log.js';

const ORIGIN = 'gw.example.com/saferouter/audit';
const hex = () => randomBytes(32).toString('hex');
let key: GeneratedKey;
beforeAll(async () => {
  key = await generateSignerKey('gw.example.com/saferouter/startup');
});

let next = 0;
async function addSamples(store: FakeAuditStore, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const requestId = `req_${next++}`;
    ids.push(requestId);
    await store.addSample({
      requestId,
      keyId: 'key_1',
      ts: 1_750_000_000_000 + i,
      entry: auditEntry({ requestCommitment: hex(), responseCommitment: hex(), receiptSha256: hex() }),
      requestSalt: new Uint8Array(randomBytes(32)),
      responseSalt: new Uint8Array(randomBytes(32)),
    });
  }
  return ids;
}

const options = (store: FakeAuditStore, extra: Partial<AuditLogOptions> = {}): AuditLogOptions => ({
  store,
  storage: store.log('audit'),
  signer: key.signer,
  origin: ORIGIN,
  ...extra,
});

/** Every sample is indexed once, the indexes are 0..n-1, and the log holds each entry there. */
async function expectConsistent(store: FakeAuditStore, ids: string[]): Promise<void> {
  const log = await createAuditLog(options(store));
  const head = await log.reader.latest();
  expect(head?.size).toBe(ids.length);
  const entries = await log.reader.entries(0, ids.length, ids.length);
  const indexes = new Set<number>();
  for (const id of ids) {
    const sample = (await store.getSample(id))!;
    expect(sample.index).not.toBeNull();
    indexes.add(sample.index!);
    expect(entries[sample.index!]!.entry).toEqual(sample.entry);
  }
  expect(indexes.size).toBe(ids.length);
}

describe('createAuditLog', () => {
  it('commits the size-0 checkpoint at creation, once', async () => {
    const store = createFakeAuditStore();
    const log = await createAuditLog(options(store));
    const head = await log.reader.latest();
    expect(head?.size).toBe(0);
    expect(head?.opened.checkpoint.origin).toBe(ORIGIN);
    await createAuditLog(options(store));
    expect((await log.reader.latest())?.note).toBe(head?.note);
    expect(await log.integrate()).toBe(0);
  });

  it('gives pending samples the indexes of their positions, in the order they were added', async () => {
    const store = createFakeAuditStore();
    const log = await createAuditLog(options(store));
    const first = await addSamples(store, 3);
    expect(await log.integrate()).toBe(3);
    const second = await addSamples(store, 300);
    expect(await log.integrate()).toBe(300);
    const ids = [...first, ...second];
    for (const [i, id] of ids.entries()) expect((await store.getSample(id))?.index).toBe(i);
    expect(await store.pendingSamples(10)).toEqual([]);
    await expectConsistent(store, ids);
  });

  it('integrates more than one batch in one call', async () => {
    const store = createFakeAuditStore();
    const log = await createAuditLog(options(store));
    const ids = await addSamples(store, INTEGRATE_BATCH * 2 + 5);
    expect(await log.integrate()).toBe(ids.length);
    expect(store.integrations).toBe(3); // one per batch (the size-0 checkpoint was a plain commit)
    await expectConsistent(store, ids);
  });

  it('leaves samples pending after a crash before the commit, and appends them exactly once later', async () => {
    const store = createFakeAuditStore();
    const log = await createAuditLog(options(store));
    const ids = await addSamples(store, 4);
    store.failNextIntegrate(new Error('connection reset'));
    await expect(log.integrate()).rejects.toThrow('connection reset');
    expect(await store.pendingSamples(10)).toHaveLength(4);
    expect(store.log('audit').size).toBe(0);
    const more = await addSamples(store, 2);
    expect(await log.integrate()).toBe(6);
    expect(await log.integrate()).toBe(0);
    await expectConsistent(store, [...ids, ...more]);
  });

  it('never duplicates an entry with two integrators sharing one store (replicas)', async () => {
    const store = createFakeAuditStore();
    const a = await createAuditLog(options(store));
    const b = await createAuditLog(options(store));
    const ids: string[] = [];
    for (let round = 0; round < 5; round++) {
      const added = addSamples(store, 7).then((x) => ids.push(...x));
      const counts = await Promise.all([a.integrate(), b.integrate(), added, a.integrate()]);
      expect(counts.length).toBe(4);
    }
    await Promise.all([a.integrate(), b.integrate()]);
    await expectConsistent(store, ids);
  });

  it('recovers from conflicts when writers do not share a lock', async () => {
    const store = createFakeAuditStore();
    const noLock = { ...store.log('audit'), withAppendLock: <T>(fn: () => Promise<T>) => fn() };
    const a = await createAuditLog(options(store, { storage: noLock }));
    const b = await createAuditLog(options(store, { storage: noLock }));
    const ids = await addSamples(store, 10);
    const [x, y] = await Promise.all([a.integrate(), b.integrate()]);
    expect(x + y).toBe(10);
    ids.push(...(await addSamples(store, 3)));
    const [z, w] = await Promise.all([b.integrate(), a.integrate()]);
    expect(z + w).toBe(3);
    await expectConsistent(store, ids);
  });

  it('integrates on its timer and once more on close; reports background failures', async () => {
    const store = createFakeAuditStore();
    const errors: unknown[] = [];
    const log = await createAuditLog(options(store, { intervalMs: 5, log: (_m, e) => errors.push(e) }));
    log.start();
    const ids = await addSamples(store, 2);
    await new Promise((r) => setTimeout(r, 50));
    expect((await store.getSample(ids[0]!))?.index).toBe(0);
    store.failNextIntegrate(new Error('disk full'));
    await addSamples(store, 1);
    await new Promise((r) => setTimeout(r, 50));
    expect(errors.map((e) => (e as Error).message)).toContain('disk full');
    const last = await addSamples(store, 1);
    await log.close();
    expect((await store.getSample(last[0]!))?.index).toBe(3);
  });

  it('serves samples a holder can verify', async () => {
    const store = createFakeAuditStore();
    const log = await createAuditLog(options(store));
    const [id] = await addSamples(store, 1);
    await addSamples(store, 4);
    await log.integrate();
    const sample = (await store.getSample(id!))!;
    const head = (await log.reader.latest())!;
    const proof = await log.reader.inclusionProof(sample.index!, head.size);
    const result = await verifySample(
      {
        id: id!,
        index: sample.index,
        entry: Buffer.from(sample.entry).toString('base64'),
        request_salt: Buffer.from(sample.requestSalt).toString('hex'),
        response_salt: Buffer.from(sample.responseSalt).toString('hex'),
        inclusion_proof: proof.map((h) => Buffer.from(h).toString('base64')),
        checkpoint: head.note,
      },
      { request: new Uint8Array(0), response: new Uint8Array(0), logKey: key.vkey, origin: ORIGIN },
    );
    // The random commitments do not open with empty bytes; everything about the log does.
    expect(result.checks.map((c) => [c.id, c.status])).toEqual([
      ['entry', 'pass'],
      ['commitments', 'fail'],
      ['receipt', 'skip'],
      ['checkpoint', 'pass'],
      ['inclusion', 'pass'],
    ]);
  });

  it('needs a verifier when the signer has none', async () => {
    const store = createFakeAuditStore();
    const bare = { name: key.signer.name, keyId: key.signer.keyId, type: key.signer.type, sign: key.signer.sign };
    await expect(createAuditLog(options(store, { signer: bare }))).rejects.toThrow(/options.verifier/);
    const log = await createAuditLog(options(store, { signer: bare, verifier: key.verifier }));
    expect((await log.reader.latest())?.size).toBe(0);
  });
});
