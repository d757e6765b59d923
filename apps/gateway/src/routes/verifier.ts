/**
 * `GET /verify/*`: the static verifier page (apps/verifier's built `dist/`), so every gateway
 * carries a way to check it. The page says itself that a copy hosted independently is the one to
 * trust: this one comes from the gateway being verified.
 *
 * Files come from a snapshot taken at start (../static-files.ts): what is served is exactly what
 * the measurement covers, and a page rebuilt later needs a restart (a new build, a new
 * measurement). A request path is decoded segment by segment and refused when any segment could
 * leave the directory (`..`, an encoded `/` or `\`, a NUL, a dot-file); the snapshot holds regular
 * files only, never a symlink's target. A missing file is a 404 and a missing build a 503, both in
 * OpenAI's error shape; `/verify` redirects to `/verify/` so the page's relative asset URLs
 * resolve under it.
 */
import { join } from 'node:path';
import { contentTypeOf, IMMUTABLE, staticRelativePath, type StaticFiles } from '../static-files.js';
import { Hono } from 'hono';
import type { AppEnv } from '../env.js';
import { ApiError } from '../errors.js';

export { VERIFY_PREFIX } from '../static-files.js';

/**
 * The file a path under `/verify/` names, inside `root`, or undefined when the path is not one
 * this route serves. `rest` is the raw (still percent-encoded) path after `/verify/`.
 *
 * @example resolveVerifierPath('/srv/verifier', 'assets/index-abc.js') // '/srv/verifier/assets/index-abc.js'
 * @example resolveVerifierPath('/srv/verifier', '..%2fsecret') // undefined
 */
export function resolveVerifierPath(root: string, rest: string): string | undefined {
  const relative = staticRelativePath(rest);
  return relative === undefined ? undefined : join(root, ...relative.split('/'));
}

/** The snapshot key a raw path under `/verify/` names (see `staticRelativePath`). */
export const verifierRelativePath = staticRelativePath;

/** Public, so it names no server path (the start-up log does). */
function notBuilt(): ApiError {
  return new ApiError(
    503,
    'service_unavailable',
    'verifier_not_built',
    'This gateway has no verifier page built. Its operator runs `pnpm --filter @saferouter/verifier build`, or sets SAFEROUTER_VERIFIER_DIR to a built copy.',
  );
}

function missing(path: string): ApiError {
  return new ApiError(404, 'not_found_error', 'not_found', `No verifier file at ${path}`);
}

/**
 * @param files the verifier's built `dist/` as snapshotted at start (./static-files.ts): the
 *   measured bytes are the served bytes. Without an index.html, `/verify` answers 503.
 */
export function verifierRoutes(files: StaticFiles): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get('/*', (c) => {
    const url = new URL(c.req.url);
    const below = url.pathname.slice('/verify'.length);
    if (below === '') return c.redirect(`/verify/${url.search}`, 308);
    if (!files.has('index.html')) throw notBuilt();
    const rest = below.slice(1);
    const file = verifierRelativePath(rest);
    const bytes = file === undefined ? undefined : files.get(file)?.bytes;
    if (file === undefined || bytes === undefined) throw missing(url.pathname);
    const html = file.endsWith('.html');
    c.header('content-type', contentTypeOf(file));
    c.header('x-content-type-options', 'nosniff');
    c.header('cache-control', rest.startsWith('assets/') ? IMMUTABLE : 'no-cache');
    if (html) {
      // The page carries its own CSP (a <meta>); framing can only be refused by a header.
      c.header('content-security-policy', "frame-ancestors 'none'");
      c.header('referrer-policy', 'no-referrer');
    }
    return c.body(bytes as Uint8Array<ArrayBuffer>);
  });

  app.all('/*', () => {
    throw new ApiError(405, 'invalid_request_error', 'method_not_allowed', 'The verifier page is read-only.', {
      allow: 'GET, HEAD',
    });
  });

  return app;
}
