/**
 * The `/metrics` route and the in-flight middleware under `app.request()` (no Node response): who
 * may scrape, the content type, and that a preflight is not a request.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Hono, type MiddlewareHandler } from 'hono';
import { createCatalog, parseCatalogConfig } from '@saferouter/router';
import type { AppEnv } from '../env.js';
import { ApiError, handleError } from '../errors.js';
import { createMetrics } from '../metrics.js';
import { parseExposition, valueOf } from '../../test/prom-text.js';
import { countInflight, metricsRoutes } from './metrics.js';

const catalog = createCatalog(parseCatalogConfig({ providers: [], models: [] }), { env: {} });
afterAll(() => catalog.close());

/** Admin is the header `x-admin: yes`; anything else a 403 (the real check is auth's `requireAdmin`). */
const requireAdmin: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (c.req.header('x-admin') !== 'yes') throw new ApiError(403, 'permission_error', 'admin_required', 'admin only');
  await next();
};

function appWith(open: boolean): { app: Hono<AppEnv>; metrics: ReturnType<typeof createMetrics> } {
  const metrics = createMetrics({ catalog, processMetrics: false });
  const app = new Hono<AppEnv>();
  app.use('/v1/chat/completions', countInflight(metrics));
  app.route('/', metricsRoutes({ metrics, requireAdmin: open ? undefined : requireAdmin }));
  app.post('/v1/chat/completions', (c) => c.json({ ok: true }));
  app.options('/v1/chat/completions', (c) => c.body(null, 204));
  app.onError(handleError);
  return { app, metrics };
}

describe('GET /metrics', () => {
  it('answers the admin in the Prometheus text format, and refuses anyone else', async () => {
    const { app, metrics } = appWith(false);
    const refused = await app.request('/metrics');
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('admin_required');
    const res = await app.request('/metrics', { headers: { 'x-admin': 'yes' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(metrics.contentType);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(parseExposition(await res.text()).types.get('saferouter_inflight_requests')).toBe('gauge');
  });

  it('answers anyone when open', async () => {
    const { app } = appWith(true);
    expect((await app.request('/metrics')).status).toBe(200);
  });
});

describe('countInflight', () => {
  it('times each request to the route, and not its preflights', async () => {
    const { app, metrics } = appWith(true);
    expect((await app.request('/v1/chat/completions', { method: 'POST' })).status).toBe(200);
    expect((await app.request('/v1/chat/completions', { method: 'POST' })).status).toBe(200);
    expect((await app.request('/v1/chat/completions', { method: 'OPTIONS' })).status).toBe(204);
    const text = parseExposition(await metrics.scrape());
    expect(valueOf(text, 'saferouter_request_duration_seconds_count')).toBe(2);
    expect(valueOf(text, 'saferouter_inflight_requests')).toBe(0);
  });
});
