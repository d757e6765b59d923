/**
 * The dashboard (apps/dashboard's built `dist/`) at `/`: the files of the start-time snapshot at
 * their own paths (`/index.html`, `/favicon.svg`, `/assets/index-<hash>.js`), and index.html for
 * `/` and the app's routes (`/models`, `/chat`, ..., and paths below them), so a reload or a shared
 * link lands in the app. Nothing else: every other path (the API, the trust endpoints, `/verify`)
 * is untouched, and a file whose first segment is one of those prefixes is never served.
 *
 * What is served is exactly what the measurement covers (../static-files.ts). Every page carries
 * the strict Content-Security-Policy of ./dashboard-csp.ts as a header; hashed assets are cached
 * for a year, everything else is revalidated. Without a build, the app's paths answer 503 in
 * OpenAI's error shape.
 */
import { Hono, type Context } from 'hono';
import type { AppEnv } from '../env.js';
import { ApiError, notFound } from '../errors.js';
import { contentTypeOf, IMMUTABLE, staticRelativePath, type StaticFiles } from '../static-files.js';
import { DASHBOARD_CSP } from './dashboard-csp.js';

/** The app's client-side routes: each (and any path below it) answers with index.html. */
export const DASHBOARD_ROUTES = ['models', 'chat', 'compare', 'activity', 'keys', 'credits'] as const;

/** First path segments that belong to the API and protocols: never served from the dashboard. */
const RESERVED = new Set([
  'v1',
  'attestation',
  'verify',
  'docs',
  'metrics',
  'openapi.json',
  'health',
  'ready',
  ...DASHBOARD_ROUTES,
]);

function notBuilt(): ApiError {
  return new ApiError(
    503,
    'service_unavailable',
    'dashboard_not_built',
    'This gateway has no dashboard built. Its operator runs `pnpm --filter @saferouter/dashboard build`, or sets SAFEROUTER_DASHBOARD_DIR to a built copy.',
  );
}

function readOnly(): never {
  throw new ApiError(405, 'invalid_request_error', 'method_not_allowed', 'The dashboard is read-only.', {
    allow: 'GET, HEAD',
  });
}

/**
 * The top-level names of a build that get a route: each file (`favicon.svg`) and each directory
 * as `<name>/*` (`assets/*`), minus reserved first segments and names with router
 * metacharacters. ../openapi.ts lists the same paths.
 *
 * @example dashboardTops(files) // ['assets/*', 'favicon.svg', 'index.html']
 */
export function dashboardTops(files: StaticFiles): string[] {
  const tops = new Set<string>();
  for (const path of files.keys()) {
    const [top = '', ...below] = path.split('/');
    if (RESERVED.has(top) || !/^[\w.~-]+$/.test(top)) continue;
    tops.add(below.length === 0 ? top : `${top}/*`);
  }
  return [...tops];
}

/** @param files the dashboard's built `dist/` as snapshotted (and measured) at start. */
export function dashboardRoutes(files: StaticFiles): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  const send = (c: Context<AppEnv>, path: string): Response => {
    const bytes = files.get(path)?.bytes;
    if (bytes === undefined) throw notBuilt();
    c.header('content-type', contentTypeOf(path));
    c.header('x-content-type-options', 'nosniff');
    c.header('cache-control', path.startsWith('assets/') ? IMMUTABLE : 'no-cache');
    if (path.endsWith('.html')) {
      c.header('content-security-policy', DASHBOARD_CSP);
      c.header('referrer-policy', 'no-referrer');
      c.header('x-frame-options', 'DENY');
    }
    return c.body(bytes as Uint8Array<ArrayBuffer>);
  };

  const index = (c: Context<AppEnv>): Response => send(c, 'index.html');
  app.get('/', index);
  app.all('/', readOnly);
  for (const route of DASHBOARD_ROUTES) {
    app.get(`/${route}`, index);
    app.get(`/${route}/*`, index);
    app.all(`/${route}`, readOnly);
    app.all(`/${route}/*`, readOnly);
  }
  // Top-level files at their exact paths; each top-level directory (assets/) as one route that
  // looks the decoded path up in the snapshot.
  for (const top of dashboardTops(files)) {
    if (!top.endsWith('/*')) {
      app.get(`/${top}`, (c) => send(c, top));
      continue;
    }
    app.get(`/${top}`, (c) => {
      const path = staticRelativePath(new URL(c.req.url).pathname.slice(1));
      if (path === undefined || !files.has(path)) return notFound(c);
      return send(c, path);
    });
  }
  return app;
}
