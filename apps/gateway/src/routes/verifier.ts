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
import { extname, join } from 'node:path';
import type { StaticFiles } from '../static-files.js';
import { Hono } from 'hono';
import type { AppEnv } from '../env.js';
import { ApiError } from '../errors.js';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** Vite names everything under assets/ by content hash: such a file never changes. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

/**
 * The file a path under `/verify/` names, inside `root`, or undefined when the path is not one
 * this route serves. `rest` is the raw (still percent-encoded) path after `/verify/`.
 *
 * @example resolveVerifierPath('/srv/verifier', 'assets/index-abc.js') // '/srv/verifier/assets/index-abc.js'
 * @example resolveVerifierPath('/srv/verifier', '..%2fsecret') // undefined
 */
export function resolveVerifierPath(root: string, rest: string): string | undefined {
  const relative = verifierRelativePath(rest);
  return relative === undefined ? undefined : join(root, ...relative.split('/'));
}

/**
 * The snapshot key (`index.html`, `assets/x.js`) a raw path under `/verify/` names, or undefined
 * when any segment could leave the directory (`..`, an encoded `/` or `\`, a NUL, a dot-file).
 */
export function verifierRelativePath(rest: string): string | undefined {
  if (rest === '') return 'index.html';
  const segments: string[] = [];
  for (const raw of rest.split('/')) {
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return undefined;
    }
    if (segment === '' || segment.startsWith('.') || /[/\\\0]/.test(segment)) return undefined;
    segments.push(segment);
  }
  return segments.join('/');
}

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

/** Where the page is served; the measurement's manifest names files under it. */
export const VERIFY_PREFIX = '/verify/';

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
    c.header('content-type', CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream');
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
