/**
 * Activity: `GET /v1/activity` lists attempts newest first with filters and cursor pagination
 * (a key sees its own, the admin sees all or `?key_id=`), `GET /v1/activity/stats` summarises a
 * window. A request's cost is found with `?request_id=` (its `X-Request-Id`).
 */
import { Hono } from 'hono';
import type { ActivityEntry, ActivityFilter, Store } from '@saferouter/store';
import { formatUsd } from '@saferouter/billing';
import type { AppEnv } from '../env.js';
import { ApiError } from '../errors.js';
import { parseIntParam, parseOutcome, parseText, parseTime, parseWindow } from '../query.js';
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
  };
}

function filterFrom(c: Context<AppEnv>, clock: () => number, defaultWindowMs?: number): ActivityFilter {
  const caller = c.get('caller');
  const q = (name: string): string | undefined => c.req.query(name);
  // An empty value (`?model=`) filters on nothing, as if the parameter were absent.
  const rawKey = q('key_id');
  const requestedKey = rawKey === undefined || rawKey === '' ? undefined : keyIdParam(rawKey);
  if (caller.role !== 'admin' && requestedKey !== undefined && requestedKey !== caller.id) {
    throw new ApiError(403, 'permission_error', 'forbidden', 'A key can only see its own activity.');
  }
  const window = parseWindow(q('window'), 'window');
  let since = parseTime(q('since'), 'since');
  const until = parseTime(q('until'), 'until');
  if (since === undefined && (window ?? defaultWindowMs) !== undefined)
    since = Math.max(0, (until ?? clock()) - (window ?? defaultWindowMs ?? 0));
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
    const filter = filterFrom(c, clock, 24 * 3_600_000);
    const s = await store.activity.stats(filter);
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
    });
  });

  return app;
}
