/**
 * Test doubles (not published): an in-memory `AuditStore` whose `integrate` commits to in-memory
 * tile storages by log name, with the store's contract (conditional commit and sample indexes
 * together or not at all), a switch that makes the next `integrate` fail as a crash would, and
 * an `AppendableLog` over the same storage with an in-process append lock.
 */
import type { AuditSample, AuditSamplePage, AuditStore, ReceiptRecord } from '@saferouter/store';
import { createMemoryTileStorage, type MemoryTileStorage } from '@saferouter/tlog';
import type { AppendableLog } from '../node/appendable-log.js';

export type MemoryAppendableLog = AppendableLog & MemoryTileStorage;

export interface FakeAuditStore extends AuditStore {
  /** Log `name`'s storage (the one `integrate` commits to), with an append lock. */
  log(name: string): MemoryAppendableLog;
  /** The next `integrate` throws `error` and stores nothing (a crash before the commit). */
  failNextIntegrate(error: Error): void;
  /** How many `integrate` calls stored something. */
  readonly integrations: number;
}

const conflict = (message: string): Error => Object.assign(new Error(message), { code: 'conflict' });

/** An append lock: runs one `fn` at a time, in call order. */
export function createLock(): <T>(fn: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(fn: () => Promise<T>): Promise<T> => {
    const run = tail.then(fn, fn);
    tail = run.catch(() => undefined);
    return run;
  };
}

/** A memory tile storage with a name and an in-process append lock. */
export function createMemoryAppendableLog(name: string): MemoryAppendableLog {
  const storage = createMemoryTileStorage();
  const withAppendLock = createLock();
  return {
    name,
    withAppendLock,
    get size() {
      return storage.size;
    },
    stats: () => storage.stats(),
    readCheckpoint: () => storage.readCheckpoint(),
    readTile: (tile) => storage.readTile(tile),
    readEntryBundle: (bundle) => storage.readEntryBundle(bundle),
    commit: (commit) => storage.commit(commit),
  };
}

export function createFakeAuditStore(): FakeAuditStore {
  const receipts = new Map<string, ReceiptRecord>();
  const samples: AuditSample[] = [];
  const logs = new Map<string, MemoryAppendableLog>();
  let failure: Error | undefined;
  let integrations = 0;
  const log = (name: string): MemoryAppendableLog => {
    let l = logs.get(name);
    if (l === undefined) logs.set(name, (l = createMemoryAppendableLog(name)));
    return l;
  };
  const copy = (s: AuditSample): AuditSample => ({
    ...s,
    entry: s.entry.slice(),
    requestSalt: s.requestSalt.slice(),
    responseSalt: s.responseSalt.slice(),
  });

  return {
    log,
    failNextIntegrate(error) {
      failure = error;
    },
    get integrations() {
      return integrations;
    },
    async putReceipts(records) {
      for (const r of records) if (!receipts.has(r.requestId)) receipts.set(r.requestId, { ...r });
    },
    async getReceipt(requestId) {
      return receipts.get(requestId);
    },
    async expireReceipts(before) {
      let n = 0;
      for (const [id, r] of receipts) if (r.ts < before && receipts.delete(id)) n++;
      return n;
    },
    async addSample(sample) {
      if (samples.some((s) => s.requestId === sample.requestId)) throw conflict('sample exists');
      samples.push(copy({ ...sample, index: null }));
    },
    async pendingSamples(limit) {
      return samples
        .filter((s) => s.index === null)
        .slice(0, limit)
        .map(copy);
    },
    async integrate(name, commit, indexes) {
      if (failure !== undefined) {
        const error = failure;
        failure = undefined;
        throw error;
      }
      const named = indexes.map(({ requestId, index }) => {
        const sample = samples.find((s) => s.requestId === requestId);
        if (sample === undefined || sample.index !== null) throw conflict(`sample ${requestId} is missing or indexed`);
        return { sample, index };
      });
      await log(name).commit(commit); // throws TlogError conflict before anything changed
      for (const { sample, index } of named) sample.index = index;
      integrations++;
    },
    async getSample(requestId) {
      const s = samples.find((x) => x.requestId === requestId);
      return s === undefined ? undefined : copy(s);
    },
    async listSamples(filter, page = {}): Promise<AuditSamplePage> {
      const all = samples.filter((s) => filter.keyId === undefined || s.keyId === filter.keyId).reverse();
      const start = page.cursor === undefined ? 0 : Number(page.cursor);
      const limit = page.limit ?? 50;
      const slice = all.slice(start, start + limit).map(copy);
      return start + limit < all.length ? { samples: slice, nextCursor: String(start + limit) } : { samples: slice };
    },
  };
}
