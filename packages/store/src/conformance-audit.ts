/**
 * Audit-domain conformance: receipts (idempotent batches, lookup, expiry by age), samples
 * (durable on return, one per request, queued in the order they were added), newest-first
 * pagination that visits every sample exactly once, and the boundary checks. `integrate` has its
 * own file (conformance-audit-integrate.ts).
 */

import { InvalidArgumentError } from '@saferouter/errors';
import { describe, expect, it } from 'vitest';
import type { NewAuditSample, ReceiptRecord } from './audit-types.js';
import { describeAuditIntegrateConformance } from './conformance-audit-integrate.js';
import {
  expectStoreError,
  newSample as sample,
  storedSample as stored,
  T0,
  type ConformanceContext,
} from './conformance-support.js';
import type { Store } from './types.js';

const enc = new TextEncoder();

function receipt(i: number, overrides: Partial<ReceiptRecord> = {}): ReceiptRecord {
  return {
    requestId: `req_${i}`,
    keyId: 'key_a',
    ts: T0 + i,
    jws: `eyJhbGciOiJFZERTQSJ9.eyJ2IjoxfQ.sig${i}`,
    ...overrides,
  };
}

export function describeAuditConformance(ctx: ConformanceContext): void {
  describe('audit', () => {
    const audit = (): Store['audit'] => ctx.store().audit;

    describe('receipts', () => {
      it('stores a batch and finds each receipt by request id', async () => {
        await audit().putReceipts([receipt(1), receipt(2, { keyId: 'key_b' })]);
        await audit().putReceipts([]);
        expect(await audit().getReceipt('req_1')).toEqual(receipt(1));
        expect(await audit().getReceipt('req_2')).toEqual(receipt(2, { keyId: 'key_b' }));
        expect(await audit().getReceipt('req_3')).toBeUndefined();
        // Shared by every connection to the database.
        expect(await (await ctx.open()).audit.getReceipt('req_1')).toEqual(receipt(1));
      });

      it('is idempotent: a stored request id keeps its receipt, and in a batch the first wins', async () => {
        await audit().putReceipts([receipt(1)]);
        await audit().putReceipts([receipt(1, { jws: 'other.jws.x' }), receipt(2), receipt(2, { jws: 'dup.jws.y' })]);
        expect(await audit().getReceipt('req_1')).toEqual(receipt(1));
        expect(await audit().getReceipt('req_2')).toEqual(receipt(2));
      });

      it('expires receipts made strictly before the cutoff and counts them', async () => {
        await audit().putReceipts([0, 1, 2].map((i) => receipt(i)));
        expect(await audit().expireReceipts(T0 + 1)).toBe(1);
        expect(await audit().getReceipt('req_0')).toBeUndefined();
        expect(await audit().getReceipt('req_1')).toEqual(receipt(1));
        expect(await audit().expireReceipts(T0 + 1)).toBe(0);
        expect(await audit().expireReceipts(T0 + 3)).toBe(2);
        expect(await audit().getReceipt('req_2')).toBeUndefined();
      });

      it('handles batches and backlogs larger than one statement or one delete chunk', async () => {
        const many = Array.from({ length: 6001 }, (_, i) => receipt(i, { ts: T0 }));
        await audit().putReceipts(many);
        expect(await audit().getReceipt('req_6000')).toEqual(many[6000]);
        expect(await audit().expireReceipts(T0 + 1)).toBe(6001);
        expect(await audit().getReceipt('req_0')).toBeUndefined();
      });
    });

    describe('samples', () => {
      it('addSample is durable when it resolves: pending, on another connection and after reopening', async () => {
        await audit().addSample(sample(1));
        expect(await audit().getSample('req_1')).toEqual(stored(sample(1)));
        expect(await audit().pendingSamples(10)).toEqual([stored(sample(1))]);
        expect(await (await ctx.open()).audit.pendingSamples(10)).toEqual([stored(sample(1))]);
        await ctx.store().close();
        const reopened = await ctx.open();
        expect(await reopened.audit.pendingSamples(10)).toEqual([stored(sample(1))]);
      });

      it('refuses a second sample of the same request with a conflict, keeping the first', async () => {
        await audit().addSample(sample(1));
        await expectStoreError(audit().addSample(sample(1, { entry: enc.encode('other') })), 'conflict');
        const both = await Promise.allSettled([audit().addSample(sample(2)), audit().addSample(sample(2))]);
        expect(both.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
        expect(await audit().pendingSamples(10)).toEqual([stored(sample(1)), stored(sample(2))]);
      });

      it('queues pending samples in the order they were added, whatever their ts, up to limit', async () => {
        for (const i of [0, 1, 2, 3, 4]) await audit().addSample(sample(i, { ts: T0 + 100 - i }));
        const ids = async (limit: number): Promise<string[]> =>
          (await audit().pendingSamples(limit)).map((s) => s.requestId);
        expect(await ids(1000)).toEqual(['req_0', 'req_1', 'req_2', 'req_3', 'req_4']);
        expect(await ids(2)).toEqual(['req_0', 'req_1']);
        const copy = (await audit().pendingSamples(1))[0]!;
        copy.entry[0] = 0; // results are copies
        expect((await audit().getSample('req_0'))?.entry).toEqual(sample(0).entry);
      });
    });

    describeAuditIntegrateConformance(ctx);

    describe('listSamples', () => {
      /** 12 samples of two keys, added in order i, with ts out of that order and some ties. */
      const addTwelve = async (): Promise<NewAuditSample[]> => {
        const all = Array.from({ length: 12 }, (_, i) =>
          sample(i, { keyId: i % 3 === 0 ? 'key_b' : 'key_a', ts: T0 + ((i * 5) % 7) }),
        );
        for (const s of all) await audit().addSample(s);
        return all;
      };
      /** Newest first: ts descending, then the later added first. */
      const newestFirst = (list: NewAuditSample[]): string[] =>
        list
          .map((s, i) => ({ s, i }))
          .sort((a, b) => b.s.ts - a.s.ts || b.i - a.i)
          .map(({ s }) => s.requestId);
      const walk = async (keyId: string | undefined, limit: number): Promise<{ ids: string[]; pages: number[] }> => {
        const ids: string[] = [];
        const pages: number[] = [];
        let cursor: string | undefined;
        do {
          const page = await audit().listSamples({ keyId }, { limit, cursor });
          ids.push(...page.samples.map((s) => s.requestId));
          pages.push(page.samples.length);
          cursor = page.nextCursor;
        } while (cursor !== undefined && pages.length < 100);
        return { ids, pages };
      };

      it('lists one key or all keys, newest first, as full samples', async () => {
        const all = await addTwelve();
        const page = await audit().listSamples({});
        expect(page.samples.map((s) => s.requestId)).toEqual(newestFirst(all));
        expect(page.nextCursor).toBeUndefined();
        const ofA = await audit().listSamples({ keyId: 'key_a' });
        expect(ofA.samples.map((s) => s.requestId)).toEqual(newestFirst(all.filter((s) => s.keyId === 'key_a')));
        expect(ofA.samples.find((s) => s.requestId === 'req_1')).toEqual(stored(all[1]!));
        expect(await audit().listSamples({ keyId: 'key_nobody' })).toEqual({ samples: [] });
      });

      it('pages through every sample exactly once, the last page without a cursor', async () => {
        const all = await addTwelve();
        expect(await walk(undefined, 5)).toEqual({ ids: newestFirst(all), pages: [5, 5, 2] });
        expect(await walk(undefined, 4)).toEqual({ ids: newestFirst(all), pages: [4, 4, 4] });
        const ofB = all.filter((s) => s.keyId === 'key_b');
        expect(await walk('key_b', 3)).toEqual({ ids: newestFirst(ofB), pages: [3, 1] });
        expect(await walk(undefined, 500)).toEqual({ ids: newestFirst(all), pages: [12] });
      });

      it('a cursor keeps its place while newer samples arrive', async () => {
        const all = await addTwelve();
        const first = await audit().listSamples({}, { limit: 6 });
        await audit().addSample(sample(99, { ts: T0 + 1000 }));
        const second = await audit().listSamples({}, { limit: 6, cursor: first.nextCursor });
        expect([...first.samples, ...second.samples].map((s) => s.requestId)).toEqual(newestFirst(all));
      });
    });

    it('rejects malformed input with InvalidArgumentError and stores nothing', async () => {
      const a = audit();
      const bad = async (run: () => Promise<unknown>): Promise<void> => {
        await expect(run()).rejects.toThrow(InvalidArgumentError);
      };
      const badReceipts: Partial<Record<keyof ReceiptRecord, unknown>>[] = [
        { requestId: '' },
        { requestId: 'r'.repeat(129) },
        { keyId: 'k'.repeat(65) },
        { ts: -1 },
        { ts: 1.5 },
        { jws: '' },
        { jws: 'a.b c' },
        { jws: 'a.é.c' },
        { jws: 'a'.repeat(16 * 1024 + 1) },
      ];
      await bad(() => a.putReceipts(null as unknown as ReceiptRecord[]));
      // One bad record rejects its whole batch.
      for (const o of badReceipts)
        await bad(() => a.putReceipts([receipt(2), { ...receipt(1), ...o } as ReceiptRecord]));
      await bad(() => a.getReceipt(''));
      await bad(() => a.expireReceipts(-1));
      expect(await a.getReceipt('req_2')).toBeUndefined();

      const badSamples: Partial<Record<keyof NewAuditSample, unknown>>[] = [
        { requestId: 'r'.repeat(129) },
        { keyId: '' },
        { ts: Number.NaN },
        { entry: new Uint8Array(0) },
        { entry: new Uint8Array(4097) },
        { entry: 'text' },
        { requestSalt: new Uint8Array(31) },
        { responseSalt: new Uint8Array(33) },
        { responseSalt: Array(32).fill(0) },
      ];
      await bad(() => a.addSample(null as unknown as NewAuditSample));
      for (const o of badSamples) await bad(() => a.addSample({ ...sample(1), ...o } as NewAuditSample));
      await bad(() => a.getSample(7 as unknown as string));
      for (const limit of [0, 1001, 1.5]) await bad(() => a.pendingSamples(limit));
      await bad(() => a.listSamples({ keyId: '' }));
      await bad(() => a.listSamples(null as unknown as object));
      for (const limit of [0, 501]) await bad(() => a.listSamples({}, { limit }));
      for (const cursor of ['', 'not a cursor!', 'YWJj', 'MTcwMDAwMDAwMDAwMDphYmM'])
        await bad(() => a.listSamples({}, { cursor }));
      expect(await a.pendingSamples(10)).toEqual([]);

      // The largest accepted values round-trip.
      const big = receipt(3, { requestId: 'r'.repeat(128), keyId: 'k'.repeat(64), jws: 'a'.repeat(16 * 1024) });
      await a.putReceipts([big]);
      expect(await a.getReceipt(big.requestId)).toEqual(big);
      const largest = sample(4, { requestId: 'r'.repeat(128), entry: new Uint8Array(4096).fill(9) });
      await a.addSample(largest);
      expect(await a.getSample(largest.requestId)).toEqual(stored(largest));
    });

    it('rejects every call after close with StoreError closed', async () => {
      const s = await ctx.open();
      await s.close();
      await expectStoreError(s.audit.putReceipts([]), 'closed');
      await expectStoreError(s.audit.getReceipt('req_1'), 'closed');
      await expectStoreError(s.audit.expireReceipts(T0), 'closed');
      await expectStoreError(s.audit.addSample(sample(1)), 'closed');
      await expectStoreError(s.audit.pendingSamples(1), 'closed');
      const empty = { previousSize: 0, size: 0, tiles: [], entryBundles: [], checkpoint: enc.encode('c\n') };
      await expectStoreError(s.audit.integrate('audit', empty, []), 'closed');
      await expectStoreError(s.audit.getSample('req_1'), 'closed');
      await expectStoreError(s.audit.listSamples({}), 'closed');
    });
  });
}
