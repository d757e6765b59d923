/**
 * Activity: `GET /v1/activity` lists attempts newest first with filters and cursor pagination
 * (a key sees its own, the admin sees all or `?key_id=`), `GET /v1/activity/stats` summarises a
 * window, and with `?bucket=1h` also splits it into time buckets for charts. A request's cost is
 * found with `?request_id=` (its `X-Request-Id`).
 */
import { Hono } from 'hono';
import {
  ACTIVITY_MAX_BUCKETS,
  activityBucketCount,
  type ActivityBucket,
  type ActivityEntry,
  type ActivityFilter,
  type Store,
} from '@saferouter/store';
import { formatUsd } from '@saferouter/billing';
import type { AppEnv } from '../env.js';
import { ApiError } from '../errors.js';
import {
  parseBucket,
  parseIntParam,
  parseOutcome,
  parseText,
  parseTime,
  parseWindow,
  tooManyBuckets,
} from '../query.js';
import { keyIdParam } from './key-id.js';
import type { Context } from 'hono';

export function entryView(e: ActivityEntry): Record<string, unknown> {
  return {
    id: e.id,
    request_id: e.requestId,
    ts: e.ts,
    key_id: e.keyId,
    model: e.model,
    provider: e.provider,
    original_model: e.originalModel,
    attempt: e.attempt,
    status: e.status,
    error: e.error,
    latency_ms: e.latencyMs,
    ttfb_ms: e.ttfbMs,
    prompt_tokens: e.promptTokens,
    completion_tokens: e.completionTokens,
    cost_usd: formatUsd(e.costMicros),
    stream: e.stream,
    estimated: e.estimated,
    generation_id: e.generationId ?? null,
    finish_reason: e.finishReason ?? null,
    cached_tokens: e.cachedTokens ?? 0,
    reasoning_tokens: e.reasoningTokens ?? 0,
    generation_ms: e.generationMs ?? null,
    excluded: e.excluded ?? [],
    key_source: e.keySource ?? 'gateway',
  };
}

/**
 * One chart bucket on the wire: counts, latency percentiles (nearest-rank, 0 when empty) and the
 * exact cost, formatted only here.
 */
function bucketView(b: ActivityBucket): Record<string, unknown> {
  return {
    start: b.start,
    requests: b.requests,
    success: b.success,
    errors: b.requests - b.success,
    latency_ms: { p50: b.p50LatencyMs, p95: b.p95LatencyMs },
    cost_usd: formatUsd(b.costMicros),
    prompt_tokens: b.promptTokens,
    completion_tokens: b.completionTokens,
  };
}

interface FilterDefaults {
  /** The window when neither `since` nor `window` is given. */
  windowMs?: number | undefined;
  /**
   * Bucketed stats: the window needs an end, so an absent `until` becomes the end of the bucket
   * holding now (the last bucket is then whole, and with a window a multiple of the bucket, the
   * first one too).
   */
  bucketMs?: number | undefined;
}

function filterFrom(c: Context<AppEnv>, clock: () => number, defaults: FilterDefaults = {}): ActivityFilter {
  const caller = c.get('caller');
  const q = (name: string): string | undefined => c.req.query(name);
  // An empty value (`?model=`) filters on nothing, as if the parameter were absent.
  const rawKey = q('key_id');
  const requestedKey = rawKey === undefined || rawKey === '' ? undefined : keyIdParam(rawKey);
  if (caller.role !== 'admin' && requestedKey !== undefined && requestedKey !== caller.id) {
    throw new ApiError(403, 'permission_error', 'forbidden', 'A key can only see its own activity.');
  }
  const window = parseWindow(q('window'), 'window') ?? defaults.windowMs;
  let since = parseTime(q('since'), 'since');
  let until = parseTime(q('until'), 'until');
  const bucketMs = defaults.bucketMs;
  if (until === undefined && bucketMs !== undefined) until = (Math.floor(clock() / bucketMs) + 1) * bucketMs;
  if (since === undefined && window !== undefined) since = Math.max(0, (until ?? clock()) - window);
  if (since !== undefined && until !== undefined && since >= until) {
    throw new ApiError(
      400,
      'invalid_request_error',
      'invalid_value',
      "Invalid parameters: 'since' must be before 'until'.",
    );
  }
  return {
    keyId: caller.role === 'admin' ? requestedKey : caller.id,
    model: parseText(q('model'), 'model', 200),
    provider: parseText(q('provider'), 'provider', 100),
    requestId: parseText(q('request_id'), 'request_id', 128),
    outcome: parseOutcome(q('outcome')),
    since,
    until,
  };
}

export function activityRoutes(store: Store, clock: () => number): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get('/activity', async (c) => {
    const filter = filterFrom(c, clock);
    const limit = parseIntParam(c.req.query('limit'), 'limit', 1, 500);
    // The store validates the cursor and the filter bounds: a bad one is a 400 naming it.
    const cursor = c.req.query('cursor');
    const page = await store.activity.list(filter, { limit, cursor: cursor === '' ? undefined : cursor });
    return c.json({ object: 'list', data: page.entries.map(entryView), next_cursor: page.nextCursor ?? null });
  });

  app.get('/activity/stats', async (c) => {
    const bucketMs = parseBucket(c.req.query('bucket'), 'bucket');
    const filter = filterFrom(c, clock, { windowMs: 24 * 3_600_000, bucketMs });
    if (bucketMs !== undefined) {
      // The store refuses this too; asked first, so the 400 names the query parameter.
      const count = activityBucketCount(filter.since ?? 0, filter.until ?? 0, bucketMs);
      if (count > ACTIVITY_MAX_BUCKETS) throw tooManyBuckets('bucket', count, ACTIVITY_MAX_BUCKETS);
    }
    const s = await store.activity.stats(filter, { bucketMs });
    const breakdown = (rows: typeof s.byModel) =>
      rows.map((r) => ({
        id: r.key,
        requests: r.requests,
        success: r.success,
        prompt_tokens: r.promptTokens,
        completion_tokens: r.completionTokens,
        cost_usd: formatUsd(r.costMicros),
      }));
    return c.json({
      since: filter.since ?? null,
      until: filter.until ?? null,
      total: s.total,
      success: s.success,
      success_rate: s.successRate,
      latency_ms: { p50: s.p50LatencyMs, p95: s.p95LatencyMs },
      cost_usd: formatUsd(s.costMicros),
      by_model: breakdown(s.byModel),
      by_provider: breakdown(s.byProvider),
      ...(s.buckets === undefined ? {} : { bucket_ms: bucketMs, buckets: s.buckets.map(bucketView) }),
    });
  });

  return app;
}
