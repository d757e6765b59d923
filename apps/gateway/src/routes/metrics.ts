/**
 * `GET /metrics` (Prometheus text format) and the middleware that counts chat and responses
 * requests in flight. The metrics themselves live in ../metrics.ts.
 *
 * `/metrics` needs the admin key (a user key is a 403, no key a 401, as on the other admin
 * routes) unless the operator opened it with SAFEROUTER_METRICS_PUBLIC=1, e.g. for a Prometheus
 * that scrapes over a private network without credentials.
 */
import { Hono, type MiddlewareHandler } from 'hono';
import type { AppEnv } from '../env.js';
import type { Metrics } from '../metrics.js';

export interface MetricsRouteOptions {
  metrics: Pick<Metrics, 'scrape' | 'contentType'>;
  /** The admin check; absent (SAFEROUTER_METRICS_PUBLIC=1): anyone may scrape. */
  requireAdmin?: MiddlewareHandler<AppEnv> | undefined;
}

/**
 * @example
 * app.route('/', metricsRoutes({ metrics, requireAdmin: auth.requireAdmin }));
 */
export function metricsRoutes(options: MetricsRouteOptions): Hono<AppEnv> {
  const { metrics, requireAdmin } = options;
  const app = new Hono<AppEnv>();
  const open: MiddlewareHandler<AppEnv> = (_c, next) => next();
  app.get('/metrics', requireAdmin ?? open, async (c) =>
    c.body(await metrics.scrape(), 200, { 'content-type': metrics.contentType, 'cache-control': 'no-store' }),
  );
  return app;
}

/**
 * Counts a request in flight (and times it) until its response has ended; a CORS preflight
 * (`OPTIONS`) is not counted. Under @hono/node-server the end is the Node response's `close`,
 * which comes after the last byte of a stream written straight to it (../node-response.ts) or
 * when the client goes away; under `app.request()` (tests) there is no Node response, and the
 * request ends when the handler returns.
 *
 * @example
 * app.use('/v1/chat/completions', countInflight(metrics));
 */
export function countInflight(metrics: Pick<Metrics, 'requestStarted'>): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    // A CORS preflight is not a request to the route.
    if (c.req.method === 'OPTIONS') return next();
    const end = metrics.requestStarted();
    const out = c.env?.outgoing;
    if (out === undefined || typeof out.on !== 'function' || out.closed) {
      try {
        await next();
      } finally {
        end();
      }
      return;
    }
    // Once the response is written (or the client is gone) `close` comes, whatever the handler did.
    // Returned, not awaited: no async frame of its own on every chat request.
    out.on('close', end);
    return next();
  };
}
