/**
 * Audit-domain conformance for `integrate`: a real appender whose storage commits through it
 * stores the log's tiles and signed checkpoint and the samples' indexes together (the log then
 * verifies from `store.tlog.log(name)`), and every way it can fail (the log moved on, a sample
 * already integrated or unknown, malformed arguments) leaves the log and the samples unchanged.
 */

import { InvalidArgumentError } from '@saferouter/errors';
import {
  createAppender,
  createStorageFetch,
  encodeEntryBundle,
  generateSignerKey,
  leafHash,
  TlogError,
  verifyTileLog,
  type Appender,
  type TileStorage,
} from '@saferouter/tlog';
import { describe, expect, it } from 'vitest';
import type { AuditSampleIndex } from './audit-types.js';
import { expectStoreError, newSample as sample, type ConformanceContext } from './conformance-support.js';
import type { TlogCommit } from './tlog-types.js';
import type { Store } from './types.js';

const LOG = 'audit';
const enc = new TextEncoder();
const logKey = generateSignerKey('example.com/saferouter/audit', { seed: new Uint8Array(32).fill(7) });

/** A commit growing the log from `previousSize` to `entries.length` entries (< 256), not signed. */
function commitOf(previousSize: number, entries: readonly Uint8Array[]): TlogCommit {
  const tile = new Uint8Array(entries.length * 32);
  entries.forEach((e, i) => tile.set(leafHash(e), i * 32));
  return {
    previousSize,
    size: entries.length,
    tiles: [{ tile: { level: 0, index: 0, width: entries.length }, data: tile }],
    entryBundles: [{ bundle: { index: 0, width: entries.length }, data: encodeEntryBundle(entries) }],
    checkpoint: enc.encode(`unsigned checkpoint ${entries.length}\n`),
  };
}

/**
 * A real appender over `store.tlog.log(LOG)` whose commits go through `store.audit.integrate`:
 * `integratePending()` appends the pending samples' entries and names their indexes.
 */
async function auditAppender(store: Store): Promise<{ appender: Appender; integratePending(): Promise<number> }> {
  const { signer } = await logKey;
  const log = store.tlog.log(LOG);
  let indexes: AuditSampleIndex[] = [];
  const storage: TileStorage = {
    readCheckpoint: () => log.readCheckpoint(),
    readTile: (tile) => log.readTile(tile),
    readEntryBundle: (bundle) => log.readEntryBundle(bundle),
    commit: (c) => store.audit.integrate(LOG, c, indexes),
  };
  const appender = await createAppender({ storage, signer });
  return {
    appender,
    async integratePending() {
      const pending = await store.audit.pendingSamples(1000);
      indexes = pending.map((s, i) => ({ requestId: s.requestId, index: appender.size + i }));
      await appender.append(pending.map((s) => s.entry));
      return pending.length;
    },
  };
}

async function expectTlogConflict(promise: Promise<unknown>): Promise<void> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(
    TlogError.isInstance(error) && error.code === 'conflict',
    `expected a TlogError conflict, got ${String(error)}`,
  ).toBe(true);
}

/** Registered inside the `audit` section of `describeStoreConformance`. */
export function describeAuditIntegrateConformance(ctx: ConformanceContext): void {
  const audit = (): Store['audit'] => ctx.store().audit;

  describe('integrate', () => {
    it('stores the tiles, the checkpoint and every named index together', async () => {
      for (const i of [0, 1, 2]) await audit().addSample(sample(i));
      const { appender, integratePending } = await auditAppender(ctx.store());
      expect(await integratePending()).toBe(3);
      for (const i of [0, 1, 2]) expect((await audit().getSample(`req_${i}`))?.index).toBe(i);
      expect(await audit().pendingSamples(10)).toEqual([]);
      for (const i of [3, 4]) await audit().addSample(sample(i));
      expect(await integratePending()).toBe(2);
      expect((await audit().getSample('req_4'))?.index).toBe(4);

      const log = ctx.store().tlog.log(LOG);
      expect(new TextDecoder().decode((await log.readCheckpoint())!)).toBe(appender.checkpoint);
      const { verifier } = await logKey;
      for (const i of [1, 4]) {
        const result = await verifyTileLog({ fetch: createStorageFetch(log), verifier, entryIndex: i, audit: true });
        expect(result.issues).toEqual([]);
        expect(result.entry).toEqual(sample(i).entry);
      }
      const other = await ctx.open();
      expect((await other.audit.getSample('req_2'))?.index).toBe(2);
    });

    it('with no sample named, commits the log alone', async () => {
      const { appender, integratePending } = await auditAppender(ctx.store());
      expect(await integratePending()).toBe(0);
      expect(appender.size).toBe(0);
      expect(await ctx.store().tlog.log(LOG).readCheckpoint()).not.toBeNull();
    });

    it('races a plain tlog commit on another connection for the same size: exactly one wins', async () => {
      for (const i of [0, 1]) await audit().addSample(sample(i));
      const other = await ctx.open();
      const results = await Promise.allSettled([
        audit().integrate(LOG, commitOf(0, [sample(0).entry]), [{ requestId: 'req_0', index: 0 }]),
        other.tlog.log(LOG).commit(commitOf(0, [sample(1).entry])),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const lost = results.find((r) => r.status === 'rejected');
      expect(TlogError.isInstance(lost?.reason) && lost.reason.code === 'conflict').toBe(true);
      const indexed = (await audit().getSample('req_0'))?.index;
      expect(indexed).toBe(results[0].status === 'fulfilled' ? 0 : null);
    });

    describe('changes nothing when it fails', () => {
      /** Two samples integrated (size 2), a third pending; returns a snapshot to compare with. */
      const setUp = async (): Promise<() => Promise<unknown>> => {
        for (const i of [0, 1]) await audit().addSample(sample(i));
        await (await auditAppender(ctx.store())).integratePending();
        await audit().addSample(sample(2));
        const log = ctx.store().tlog.log(LOG);
        return async () => ({
          checkpoint: await log.readCheckpoint(),
          wider: await log.readTile({ level: 0, index: 0, width: 3 }),
          bundle: await log.readEntryBundle({ index: 0, width: 3 }),
          samples: await Promise.all([0, 1, 2].map((i) => audit().getSample(`req_${i}`))),
        });
      };
      const entries = (...ids: number[]): Uint8Array[] => ids.map((i) => sample(i).entry);

      it('when the log moved on (TlogError conflict)', async () => {
        const snapshot = await setUp();
        const before = await snapshot();
        await expectTlogConflict(
          audit().integrate(LOG, commitOf(1, entries(0, 2)), [{ requestId: 'req_2', index: 1 }]),
        );
        await expectTlogConflict(audit().integrate(LOG, commitOf(0, entries(2)), [{ requestId: 'req_2', index: 0 }]));
        expect(await snapshot()).toEqual(before);
        expect((await audit().pendingSamples(10)).map((s) => s.requestId)).toEqual(['req_2']);
      });

      it('when a named sample already has an index (StoreError conflict)', async () => {
        const snapshot = await setUp();
        const before = await snapshot();
        const grow = commitOf(2, entries(0, 1, 2, 0));
        const named = [
          { requestId: 'req_2', index: 2 },
          { requestId: 'req_0', index: 3 },
        ];
        await expectStoreError(audit().integrate(LOG, grow, named), 'conflict');
        expect(await snapshot()).toEqual(before);
      });

      it('when a named sample does not exist (StoreError conflict)', async () => {
        const snapshot = await setUp();
        const before = await snapshot();
        const grow = commitOf(2, entries(0, 1, 2, 3));
        const named = [
          { requestId: 'req_2', index: 2 },
          { requestId: 'req_ghost', index: 3 },
        ];
        await expectStoreError(audit().integrate(LOG, grow, named), 'conflict');
        expect(await snapshot()).toEqual(before);
        // The same log then integrates the pending sample as usual.
        await audit().integrate(LOG, commitOf(2, entries(0, 1, 2)), [{ requestId: 'req_2', index: 2 }]);
        expect((await audit().getSample('req_2'))?.index).toBe(2);
      });

      it('on malformed arguments (InvalidArgumentError)', async () => {
        const snapshot = await setUp();
        const before = await snapshot();
        const grow = commitOf(2, entries(0, 1, 2));
        const bad = (log: string, commit: unknown, named: unknown): Promise<void> =>
          audit().integrate(log, commit as TlogCommit, named as AuditSampleIndex[]);
        await expect(bad('Not OK', grow, [])).rejects.toThrow(InvalidArgumentError);
        await expect(bad(LOG, { ...grow, checkpoint: 'text' }, [])).rejects.toThrow(InvalidArgumentError);
        await expect(bad(LOG, grow, {})).rejects.toThrow(InvalidArgumentError);
        await expect(bad(LOG, grow, [{ requestId: 'req_2', index: 3 }])).rejects.toThrow(InvalidArgumentError);
        await expect(bad(LOG, grow, [{ requestId: 'req_2', index: 1 }])).rejects.toThrow(InvalidArgumentError);
        await expect(bad(LOG, grow, [{ requestId: 'req_2', index: '2' }])).rejects.toThrow(InvalidArgumentError);
        await expect(bad(LOG, grow, [{ requestId: '', index: 2 }])).rejects.toThrow(InvalidArgumentError);
        const twice = commitOf(2, entries(0, 1, 2, 2));
        await expect(
          bad(LOG, twice, [
            { requestId: 'req_2', index: 2 },
            { requestId: 'req_2', index: 3 },
          ]),
        ).rejects.toThrow(InvalidArgumentError);
        expect(await snapshot()).toEqual(before);
      });
    });
  });
}
