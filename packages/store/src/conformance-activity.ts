/**
 * Activity conformance: idempotent batch inserts, newest-first listing with every filter,
 * cursor pagination that visits each entry exactly once even when timestamps tie, and window
 * statistics with nearest-rank percentiles, whole or split into aligned time buckets.
 */

import { InvalidArgumentError } from '@saferouter/errors';
import { describe, expect, it } from 'vitest';
import { ACTIVITY_MAX_BUCKETS } from './activity-buckets.js';
import type { ActivityEntry, ActivityFilter } from './activity-types.js';
import { newActivityEntry, storedActivity, T0, type ConformanceContext } from './conformance-support.js';
import type { Store } from './types.js';

const entry = newActivityEntry;

/** Follows cursors to the end, returning every id in visiting order. */
async function walk(store: Store, filter: ActivityFilter, limit: number): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await store.activity.list(filter, { limit, cursor });
    pages += 1;
    ids.push(...page.entries.map((e) => e.id));
    cursor = page.nextCursor;
    expect(pages).toBeLessThan(1_000);
  } while (cursor !== undefined);
  return { ids, pages };
}

/**
 * @example
 * describeActivityConformance({ store: () => store, open });
 */
export function describeActivityConformance(ctx: ConformanceContext): void {
  describe('activity', () => {
    it('round-trips every field and ignores ids it already has', async () => {
      const s = ctx.store();
      const full = entry(1, {
        status: 502,
        error: 'upstream_error: bad gateway',
        ttfbMs: null,
        stream: true,
        estimated: true,
        attempt: 2,
        provider: 'groq',
        originalModel: 'auto',
        costMicros: 5_000_000_000,
      });
      await s.activity.insertMany([full, entry(2)]);
      await s.activity.insertMany([entry(2, { model: 'changed' }), entry(3)]);
      await s.activity.insertMany([]);
      const { entries } = await s.activity.list({});
      expect(entries.map((e) => e.id)).toEqual(['act_0003', 'act_0002', 'act_0001']);
      expect(entries[1]?.model).toBe('gpt-x');
      expect(entries[2]).toEqual(storedActivity(full));
      // A duplicate inside one batch is ignored too.
      await s.activity.insertMany([entry(4), entry(4, { model: 'second' })]);
      expect((await s.activity.list({ requestId: 'req_4' })).entries).toEqual([storedActivity(entry(4))]);
    });

    it('lists newest first and applies each filter', async () => {
      const s = ctx.store();
      await s.activity.insertMany([
        entry(1, { keyId: 'key_a', model: 'm1', provider: 'p1' }),
        entry(2, { keyId: 'key_b', model: 'm2', provider: 'p1', status: 429, error: 'rate_limited' }),
        entry(3, { keyId: 'key_a', model: 'm2', provider: 'p2', requestId: 'req_shared' }),
        entry(4, { keyId: 'key_a', model: 'm1', provider: 'p2', requestId: 'req_shared', attempt: 2, status: 500 }),
        entry(5, { keyId: 'key_b', model: 'm1', provider: 'p1', status: 204 }),
      ]);
      const ids = async (filter: ActivityFilter): Promise<number[]> =>
        (await s.activity.list(filter)).entries.map((e) => Number(e.id.slice(4)));
      expect(await ids({})).toEqual([5, 4, 3, 2, 1]);
      expect(await ids({ keyId: 'key_a' })).toEqual([4, 3, 1]);
      expect(await ids({ model: 'm1' })).toEqual([5, 4, 1]);
      expect(await ids({ provider: 'p2' })).toEqual([4, 3]);
      expect(await ids({ requestId: 'req_shared' })).toEqual([4, 3]);
      expect(await ids({ outcome: 'success' })).toEqual([5, 3, 1]);
      expect(await ids({ outcome: 'error' })).toEqual([4, 2]);
      expect(await ids({ since: T0 + 2 })).toEqual([5, 4, 3, 2]);
      expect(await ids({ until: T0 + 2 })).toEqual([1]);
      expect(await ids({ since: T0 + 2, until: T0 + 5, keyId: 'key_a', outcome: 'success' })).toEqual([3]);
      expect(await ids({ keyId: 'key_nobody' })).toEqual([]);
    });

    it('pages with a cursor that visits every entry exactly once, even with equal timestamps', async () => {
      const s = ctx.store();
      // 23 entries over 4 distinct timestamps, ids inserted out of order.
      const batch = Array.from({ length: 23 }, (_, i) => entry((i * 7) % 23, { ts: T0 + (i % 4) }));
      await s.activity.insertMany(batch);
      const all = (await s.activity.list({}, { limit: 500 })).entries;
      expect(all).toHaveLength(23);
      for (let i = 1; i < all.length; i++) {
        const [a, b] = [all[i - 1]!, all[i]!];
        expect(a.ts > b.ts || (a.ts === b.ts && a.id > b.id), 'newest first, ties by id descending').toBe(true);
      }
      for (const limit of [1, 4, 5, 23]) {
        const { ids } = await walk(s, {}, limit);
        expect(ids).toEqual(all.map((e) => e.id));
      }
      // Filtered paging, and an exact multiple of the page size ends without an empty page.
      const { ids, pages } = await walk(s, { since: T0 + 2 }, 3);
      expect(ids).toEqual(all.filter((e) => e.ts >= T0 + 2).map((e) => e.id));
      expect(pages).toBe(Math.ceil(ids.length / 3));
      const exact = await walk(s, {}, 23);
      expect(exact.pages).toBe(1);
    });

    it('bounds the page size: default 50, at most 500', async () => {
      const s = ctx.store();
      await s.activity.insertMany(Array.from({ length: 60 }, (_, i) => entry(i)));
      const first = await s.activity.list({});
      expect(first.entries).toHaveLength(50);
      expect(first.nextCursor).toBeTypeOf('string');
      expect((await s.activity.list({}, { cursor: first.nextCursor })).entries).toHaveLength(10);
      expect((await s.activity.list({}, { limit: 500 })).entries).toHaveLength(60);
      expect((await s.activity.list({}, { limit: 500 })).nextCursor).toBeUndefined();
      await expect(s.activity.list({}, { limit: 0 })).rejects.toThrow(InvalidArgumentError);
      await expect(s.activity.list({}, { limit: 501 })).rejects.toThrow(InvalidArgumentError);
      await expect(s.activity.list({}, { limit: 2.5 })).rejects.toThrow(InvalidArgumentError);
      await expect(s.activity.list({}, { limit: '5' as unknown as number })).rejects.toThrow(InvalidArgumentError);
    });

    it('rejects a malformed cursor with RangeError', async () => {
      const s = ctx.store();
      await s.activity.insertMany([entry(1), entry(2)]);
      const good = (await s.activity.list({}, { limit: 1 })).nextCursor;
      expect(good).toBeTypeOf('string');
      const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64url');
      for (const cursor of [
        '',
        'not a cursor!',
        b64('nonsense'),
        b64('-5:act_1'),
        b64('12:'),
        b64('1.5:x'),
        `${good}=`,
        `${good}A`,
      ]) {
        await expect(s.activity.list({}, { cursor }), cursor).rejects.toThrow(InvalidArgumentError);
      }
      await expect(s.activity.list({}, { cursor: 5 as unknown as string })).rejects.toThrow(InvalidArgumentError);
    });

    it('computes window stats: totals, success rate, nearest-rank p50/p95, breakdowns', async () => {
      const s = ctx.store();
      // 20 entries in the window with latencies 10, 20, …, 200 (inserted shuffled), plus noise outside.
      const inWindow = Array.from({ length: 20 }, (_, i) => {
        const n = (i * 7) % 20;
        return entry(100 + n, {
          ts: T0 + 1_000 + n,
          latencyMs: (n + 1) * 10,
          model: n % 2 === 0 ? 'm-even' : 'm-odd',
          provider: n < 15 ? 'p1' : 'p2',
          status: n % 4 === 3 ? 503 : 200,
          promptTokens: n,
          completionTokens: 2 * n,
          costMicros: 1_000 + n,
        });
      });
      await s.activity.insertMany([
        ...inWindow,
        entry(1, { ts: T0 + 10, latencyMs: 99_999 }),
        entry(2, { ts: T0 + 5_000 }),
      ]);
      const stats = await s.activity.stats({ since: T0 + 1_000, until: T0 + 1_020 });
      const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
      const range = (pred: (n: number) => boolean) => Array.from({ length: 20 }, (_, n) => n).filter(pred);
      const breakdown = (key: string, ns: number[]) => ({
        key,
        requests: ns.length,
        success: ns.filter((n) => n % 4 !== 3).length,
        promptTokens: sum(ns),
        completionTokens: 2 * sum(ns),
        costMicros: sum(ns.map((n) => 1_000 + n)),
      });
      expect(stats).toEqual({
        total: 20,
        success: 15,
        successRate: 0.75,
        p50LatencyMs: 100, // rank ⌈0.5·20⌉ = 10
        p95LatencyMs: 190, // rank ⌈0.95·20⌉ = 19
        costMicros: 20_000 + sum(range(() => true)),
        // Most requests first, ties by key.
        byModel: [
          breakdown(
            'm-even',
            range((n) => n % 2 === 0),
          ),
          breakdown(
            'm-odd',
            range((n) => n % 2 === 1),
          ),
        ],
        byProvider: [
          breakdown(
            'p1',
            range((n) => n < 15),
          ),
          breakdown(
            'p2',
            range((n) => n >= 15),
          ),
        ],
      });
      const one = await s.activity.stats({ since: T0 + 1_000, until: T0 + 1_001 });
      expect([one.total, one.p50LatencyMs, one.p95LatencyMs]).toEqual([1, 10, 10]);
      const p2err = await s.activity.stats({ provider: 'p2', outcome: 'error' });
      expect([p2err.total, p2err.success, p2err.successRate]).toEqual([2, 0, 0]);
      expect(await s.activity.stats({ keyId: 'key_nobody' })).toEqual({
        total: 0,
        success: 0,
        successRate: 0,
        p50LatencyMs: 0,
        p95LatencyMs: 0,
        costMicros: 0,
        byModel: [],
        byProvider: [],
      });
    });

    it('splits the window into aligned buckets, empty ones included, adding up to the totals', async () => {
      const s = ctx.store();
      // T0 is a multiple of the 1 s bucket; the window [T0 + 500, T0 + 5_200) touches 6 buckets.
      const window = { since: T0 + 500, until: T0 + 5_200 };
      const cost = (n: number) => ({ promptTokens: n, completionTokens: 2 * n, costMicros: 1_000 + n });
      // Bucket 1: 20 entries with latencies 10, 20, …, 200, shuffled, every fourth one failed.
      const busy = Array.from({ length: 20 }, (_, i) => {
        const n = (i * 7) % 20;
        return entry(100 + n, {
          ts: T0 + 1_000 + n,
          latencyMs: (n + 1) * 10,
          status: n % 4 === 3 ? 503 : 200,
          ...cost(n),
        });
      });
      await s.activity.insertMany([
        ...busy,
        entry(1, { ts: T0 + 100, latencyMs: 99_999 }), // in bucket 0's span, before `since`
        entry(2, { ts: T0 + 600, latencyMs: 30, ...cost(1) }),
        entry(3, { ts: T0 + 999, latencyMs: 10, status: 500, ...cost(2) }),
        entry(4, { ts: T0 + 3_500, latencyMs: 40, keyId: 'key_b', model: 'm2', ...cost(3) }),
        entry(5, { ts: T0 + 5_000, latencyMs: 7, ...cost(4) }),
        entry(6, { ts: T0 + 5_050, latencyMs: 5, ...cost(5) }),
        entry(7, { ts: T0 + 5_199, latencyMs: 9, ...cost(6) }),
        entry(8, { ts: T0 + 5_200, latencyMs: 99_999 }), // `until` is exclusive
        entry(9, { ts: T0 + 9_000 }),
      ]);
      const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
      const empty = (start: number) => ({
        start,
        requests: 0,
        success: 0,
        promptTokens: 0,
        completionTokens: 0,
        costMicros: 0,
        p50LatencyMs: 0,
        p95LatencyMs: 0,
      });
      const bucket = (start: number, ns: number[], ok: number, p50: number, p95: number) => ({
        start,
        requests: ns.length,
        success: ok,
        promptTokens: sum(ns),
        completionTokens: 2 * sum(ns),
        costMicros: sum(ns.map((n) => 1_000 + n)),
        p50LatencyMs: p50,
        p95LatencyMs: p95,
      });
      const all20 = Array.from({ length: 20 }, (_, n) => n);
      const stats = await s.activity.stats(window, { bucketMs: 1_000 });
      expect(stats.buckets).toEqual([
        // Two latencies: p50 is rank ⌈0.5·2⌉ = 1, p95 rank ⌈0.95·2⌉ = 2.
        bucket(T0, [1, 2], 1, 10, 30),
        bucket(T0 + 1_000, all20, 15, 100, 190),
        empty(T0 + 2_000),
        bucket(T0 + 3_000, [3], 1, 40, 40),
        empty(T0 + 4_000),
        // Three latencies 5, 7, 9: ranks ⌈1.5⌉ = 2 and ⌈2.85⌉ = 3.
        bucket(T0 + 5_000, [4, 5, 6], 3, 7, 9),
      ]);
      const buckets = stats.buckets ?? [];
      expect(sum(buckets.map((b) => b.requests))).toBe(stats.total);
      expect(sum(buckets.map((b) => b.success))).toBe(stats.success);
      expect(sum(buckets.map((b) => b.costMicros))).toBe(stats.costMicros);
      expect(stats.total).toBe(26);

      // The other filters apply to every bucket.
      const keyB = await s.activity.stats({ ...window, keyId: 'key_b' }, { bucketMs: 1_000 });
      expect(keyB.buckets?.map((b) => b.requests)).toEqual([0, 0, 0, 1, 0, 0]);
      const errors = await s.activity.stats({ ...window, outcome: 'error' }, { bucketMs: 1_000 });
      expect(errors.buckets?.map((b) => b.requests)).toEqual([1, 5, 0, 0, 0, 0]);
      expect(errors.buckets?.[0]).toMatchObject({ success: 0, p50LatencyMs: 10, p95LatencyMs: 10 });
      const m2 = await s.activity.stats({ ...window, model: 'm2', provider: 'openai' }, { bucketMs: 1_000 });
      expect(m2.buckets?.map((b) => b.requests)).toEqual([0, 0, 0, 1, 0, 0]);

      // Edges are multiples of the bucket size whatever the window: one 2 s bucket covers
      // [T0 + 4_000, T0 + 6_000), and the 1 s-bucket 3 lands in [T0 + 2_000, T0 + 4_000).
      const wide = await s.activity.stats(window, { bucketMs: 2_000 });
      expect(wide.buckets?.map((b) => [b.start, b.requests])).toEqual([
        [T0, 22],
        [T0 + 2_000, 1],
        [T0 + 4_000, 3],
      ]);
      // One bucket larger than the window; an empty window has none.
      const one = await s.activity.stats(window, { bucketMs: 86_400_000 });
      expect(one.buckets).toHaveLength(1);
      expect(one.buckets?.[0]?.start).toBe(Math.floor(window.since / 86_400_000) * 86_400_000);
      expect(one.buckets?.[0]?.requests).toBe(26);
      expect((await s.activity.stats({ since: T0, until: T0 }, { bucketMs: 1_000 })).buckets).toEqual([]);
      // Without bucketMs, no buckets at all.
      expect(await s.activity.stats(window, {})).not.toHaveProperty('buckets');
      expect(await s.activity.stats(window)).not.toHaveProperty('buckets');
    });

    it('refuses buckets without a closed window, of a bad size, or more than 1000 of them', async () => {
      const s = ctx.store();
      await s.activity.insertMany([entry(1)]);
      const window = { since: T0, until: T0 + 1_000 };
      const bad = (filter: ActivityFilter, bucketMs: unknown) =>
        expect(s.activity.stats(filter, { bucketMs: bucketMs as number }), String(bucketMs)).rejects.toThrow(
          InvalidArgumentError,
        );
      await bad({ since: T0 }, 1_000);
      await bad({ until: T0 + 1_000 }, 1_000);
      await bad({}, 1_000);
      for (const size of [0, -1, 1.5, '1000', Number.NaN, 2 ** 53]) await bad(window, size);
      // 1000 buckets of 1 ms is the most; 1001 is refused, naming the bucket size.
      expect((await s.activity.stats(window, { bucketMs: 1 })).buckets).toHaveLength(ACTIVITY_MAX_BUCKETS);
      const err: unknown = await s.activity.stats({ since: T0, until: T0 + 1_001 }, { bucketMs: 1 }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(InvalidArgumentError.isInstance(err) && err.argument).toBe('options.bucketMs');
      await expect(s.activity.stats(window, null as unknown as { bucketMs: number })).rejects.toThrow(
        InvalidArgumentError,
      );
    });

    it('stores large batches atomically', async () => {
      const s = ctx.store();
      await s.activity.insertMany(Array.from({ length: 1_500 }, (_, i) => entry(i, { ts: T0 + (i % 10) })));
      expect((await s.activity.stats({})).total).toBe(1_500);
      expect((await walk(s, {}, 500)).ids).toHaveLength(1_500);
    });

    it('rejects malformed entries and filters, storing nothing from a bad batch', async () => {
      const s = ctx.store();
      const bad = (e: unknown) => s.activity.insertMany([entry(1), e as ActivityEntry]);
      await expect(bad({ ...entry(2), status: 200.5 })).rejects.toThrow(InvalidArgumentError);
      await expect(bad({ ...entry(2), stream: 1 })).rejects.toThrow(InvalidArgumentError);
      await expect(bad({ ...entry(2), costMicros: -1 })).rejects.toThrow(InvalidArgumentError);
      await expect(bad({ ...entry(2), error: undefined })).rejects.toThrow(InvalidArgumentError);
      await expect(bad({ ...entry(2), attempt: -1 })).rejects.toThrow(InvalidArgumentError);
      await expect(bad(null)).rejects.toThrow(InvalidArgumentError);
      await expect(s.activity.insertMany({} as unknown as ActivityEntry[])).rejects.toThrow(InvalidArgumentError);
      await expect(s.activity.list({ outcome: 'maybe' as 'error' })).rejects.toThrow(InvalidArgumentError);
      await expect(s.activity.list({ since: -1 })).rejects.toThrow(InvalidArgumentError);
      await expect(s.activity.stats(null as unknown as ActivityFilter)).rejects.toThrow(InvalidArgumentError);
      expect((await s.activity.list({})).entries).toEqual([]);
    });
  });
}
