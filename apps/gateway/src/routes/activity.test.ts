/**
 * `GET /v1/activity/stats?bucket=` through `app.request()`: buckets aligned to the epoch over the
 * filter's window (by default 24 h ending with the bucket that holds now), empty ones included,
 * adding up to the totals, with the same filters as the totals; a bad or oversized `bucket` is a
 * 400 naming it. The buckets themselves are computed by the store (its conformance suite).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ActivityEntry } from '@saferouter/store';
import { ADMIN_KEY, createFixture, expectError, type Fixture } from '../test-fixture.js';

const HOUR = 3_600_000;

let fx: Fixture;
beforeEach(async () => {
  fx = await createFixture();
});
afterEach(async () => {
  await fx.dispose();
});

let seq = 0;
function entry(overrides: Partial<ActivityEntry>): ActivityEntry {
  seq += 1;
  return {
    id: `act_test_${seq}`,
    requestId: `req_test_${seq}`,
    ts: fx.now(),
    keyId: fx.user.id,
    model: 'saferouter/demo',
    provider: 'saferouter',
    originalModel: 'saferouter/demo',
    attempt: 1,
    status: 200,
    error: null,
    latencyMs: 50,
    ttfbMs: 5,
    promptTokens: 10,
    completionTokens: 20,
    costMicros: 1_234,
    stream: false,
    estimated: false,
    ...overrides,
  };
}

interface BucketView {
  start: number;
  requests: number;
  success: number;
  errors: number;
  latency_ms: { p50: number; p95: number };
  cost_usd: string;
  prompt_tokens: number;
  completion_tokens: number;
}
interface StatsView {
  since: number;
  until: number | null;
  total: number;
  success: number;
  cost_usd: string;
  bucket_ms?: number;
  buckets?: BucketView[];
}

async function stats(query: string, key?: string): Promise<StatsView> {
  const res = await fx.call(`/v1/activity/stats${query}`, key === undefined ? {} : { key });
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as StatsView;
}

const zero = (start: number): BucketView => ({
  start,
  requests: 0,
  success: 0,
  errors: 0,
  latency_ms: { p50: 0, p95: 0 },
  cost_usd: '0',
  prompt_tokens: 0,
  completion_tokens: 0,
});

describe('GET /v1/activity/stats?bucket=', () => {
  it('by default: 24 hourly buckets ending with the one that holds now, empty ones as zeros', async () => {
    const now = fx.now();
    const currentHour = Math.floor(now / HOUR) * HOUR;
    expect(now).not.toBe(currentHour); // the fixture's clock is not on a bucket edge
    await fx.store.activity.insertMany([
      entry({ ts: now - 1_000, latencyMs: 40 }),
      entry({ ts: now - 2 * HOUR, status: 502, error: 'upstream_error: x', costMicros: 0, latencyMs: 900 }),
      entry({ ts: currentHour - 23 * HOUR, costMicros: 1 }), // the first bucket's first ms
      entry({ ts: currentHour - 23 * HOUR - 1 }), // just before the window
      entry({ ts: now - HOUR, keyId: 'key_someoneelse00' }), // another key's
    ]);
    const s = await stats('?bucket=1h');
    expect(s.bucket_ms).toBe(HOUR);
    expect(s.until).toBe(currentHour + HOUR);
    expect(s.since).toBe(currentHour + HOUR - 24 * HOUR);
    const buckets = s.buckets ?? [];
    expect(buckets.map((b) => b.start)).toEqual(Array.from({ length: 24 }, (_, i) => s.since + i * HOUR));
    expect(buckets[0]).toEqual({
      ...zero(s.since),
      requests: 1,
      success: 1,
      latency_ms: { p50: 50, p95: 50 },
      cost_usd: '0.000001',
      prompt_tokens: 10,
      completion_tokens: 20,
    });
    expect(buckets[21]).toEqual({
      ...zero(currentHour - 2 * HOUR),
      requests: 1,
      errors: 1,
      latency_ms: { p50: 900, p95: 900 },
      prompt_tokens: 10,
      completion_tokens: 20,
    });
    expect(buckets[23]).toEqual({
      ...zero(currentHour),
      requests: 1,
      success: 1,
      latency_ms: { p50: 40, p95: 40 },
      cost_usd: '0.001234',
      prompt_tokens: 10,
      completion_tokens: 20,
    });
    for (const i of [1, 2, 20, 22]) expect(buckets[i]).toEqual(zero(s.since + i * HOUR));
    // The buckets add up to the totals of the same window.
    expect(buckets.reduce((n, b) => n + b.requests, 0)).toBe(s.total);
    expect([s.total, s.success, s.cost_usd]).toEqual([3, 2, '0.001235']);

    // The admin sees every key's, the other key's entry included.
    const all = await stats('?bucket=1h', ADMIN_KEY);
    expect(all.buckets?.[22]?.requests).toBe(1);
    expect(all.total).toBe(4);
  });

  it('covers an explicit since/until, with partial edge buckets, and applies the filters', async () => {
    const now = fx.now();
    const q15 = 15 * 60_000;
    const since = Math.floor(now / q15) * q15 - 2 * q15 + 7_000; // 7 s into a quarter hour
    const until = since + 3 * q15; // 7 s into another
    await fx.store.activity.insertMany([
      entry({ ts: since - 1 }), // same bucket as `since`, before it
      entry({ ts: since, status: 429, costMicros: 0 }),
      entry({ ts: until - 1, model: 'other/model' }),
      entry({ ts: until }),
    ]);
    const s = await stats(`?bucket=15m&since=${since}&until=${until}`);
    const first = Math.floor(since / q15) * q15;
    expect(s.bucket_ms).toBe(q15);
    expect(s.buckets?.map((b) => [b.start, b.requests, b.errors])).toEqual([
      [first, 1, 1],
      [first + q15, 0, 0],
      [first + 2 * q15, 0, 0],
      [first + 3 * q15, 1, 0],
    ]);
    const errors = await stats(`?bucket=15m&since=${since}&until=${until}&outcome=error`);
    expect(errors.buckets?.map((b) => b.requests)).toEqual([1, 0, 0, 0]);
    const model = await stats(`?bucket=15m&since=${since}&until=${until}&model=other/model`);
    expect(model.buckets?.map((b) => b.requests)).toEqual([0, 0, 0, 1]);
    const day = await stats(`?bucket=1d&since=${since}&until=${until}`);
    expect(day.buckets?.map((b) => b.start % 86_400_000)).toEqual(day.buckets?.map(() => 0)); // UTC midnights
  });

  it('allows 1000 buckets and refuses 1001 with a 400 naming bucket', async () => {
    expect((await stats('?bucket=1m&window=1000m')).buckets).toHaveLength(1000);
    for (const query of ['?bucket=1m&window=1001m', '?bucket=1m&window=7d', '?bucket=1m&since=0']) {
      const json = await expectError(await fx.call(`/v1/activity/stats${query}`), 400, 'invalid_value');
      expect(json.error.param, query).toBe('bucket');
      expect(json.error.message, query).toMatch(
        /^Invalid parameter 'bucket': it splits the window into \d+ buckets, at most 1000/,
      );
    }
  });

  it.each(['1w', '0m', '1s', '60', '1H', '367d', '-1h', '1.5h'])('bucket=%s → 400 naming bucket', async (bucket) => {
    const json = await expectError(await fx.call(`/v1/activity/stats?bucket=${bucket}`), 400, 'invalid_value');
    expect(json.error.param).toBe('bucket');
  });

  it('without bucket the answer is as before: no bucket_ms, no buckets, an open until', async () => {
    const s = await stats('');
    expect(s).not.toHaveProperty('buckets');
    expect(s).not.toHaveProperty('bucket_ms');
    expect(s.until).toBeNull();
    expect(s.since).toBe(fx.now() - 24 * HOUR);
    // `?bucket=` (empty) is as if absent, like every other filter.
    expect(await stats('?bucket=')).not.toHaveProperty('buckets');
  });
});
