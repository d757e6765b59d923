/**
 * The API's description, public:
 * - `GET /openapi.json`: the OpenAPI 3.1 document (../openapi.ts), built on first request from
 *   the same features the app was built with;
 * - `GET /docs`: Scalar's interactive reference for it. The page is in the gateway's binary; its
 *   one asset, `/docs/scalar.js` (Scalar's standalone bundle, copied from the pinned package by
 *   build.mjs), comes from the start-time snapshot that the measurement covers
 *   (../static-files.ts), never from a CDN.
 *
 * The page gets its own Content-Security-Policy: scripts only from this origin, network only to
 * this origin (the document, and "try it" requests), no framing. Styles need `'unsafe-inline'`:
 * the bundle injects its stylesheet and Vue sets style attributes at run time. Nothing on the page
 * is secret (a key typed into "try it" stays in the page's memory), so that is the one relaxation.
 */
import { Hono } from 'hono';
import type { AppEnv } from '../env.js';
import { ApiError } from '../errors.js';
import type { JsonObject } from '../openapi-types.js';
import { contentTypeOf, type StaticFiles } from '../static-files.js';

export const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "object-src 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** The bundle's file name in the snapshot (and under `/docs/`). */
export const SCALAR_BUNDLE = 'scalar.js';

/**
 * Scalar's settings: nothing that reaches another origin (no web fonts, telemetry, hosted
 * proxy, AI agent or registry), the document and its "try it" requests on this gateway only.
 */
const SCALAR_CONFIGURATION = {
  withDefaultFonts: false,
  telemetry: false,
  agent: { disabled: true },
  hideClientButton: false,
  showDeveloperTools: 'never',
  documentDownloadType: 'json',
  defaultOpenAllTags: false,
};

const escapeAttribute = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The page: relative URLs, so a gateway behind a path prefix still finds its files. */
export const DOCS_HTML = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta name="referrer" content="no-referrer" />
    <title>SafeRouter API reference</title>
    <link rel="icon" href="data:," />
  </head>
  <body>
    <script id="api-reference" type="application/json" data-url="openapi.json" data-configuration="${escapeAttribute(
      JSON.stringify(SCALAR_CONFIGURATION),
    )}"></script>
    <script src="docs/${SCALAR_BUNDLE}"></script>
  </body>
</html>
`;

function notBuilt(): ApiError {
  return new ApiError(
    503,
    'service_unavailable',
    'docs_not_built',
    'This gateway has no API reference assets built. Its operator runs `pnpm --filter @saferouter/gateway build`; /openapi.json works without them.',
  );
}

function readOnly(): never {
  throw new ApiError(405, 'invalid_request_error', 'method_not_allowed', 'The API reference is read-only.', {
    allow: 'GET, HEAD',
  });
}

export interface DocsRouteOptions {
  /** Builds the document; called once, on the first request for it. */
  document: () => JsonObject;
  /** The docs assets as snapshotted (and measured) at start; empty when not built. */
  files: StaticFiles;
}

/** @example app.route('/', docsRoutes({ document: () => buildOpenApiDocument(features), files })); */
export function docsRoutes({ document, files }: DocsRouteOptions): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  let json: Uint8Array<ArrayBuffer> | undefined;

  app.get('/openapi.json', (c) => {
    json ??= new TextEncoder().encode(JSON.stringify(document()));
    return c.body(json, 200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-cache' });
  });

  app.get('/docs', (c) => {
    if (!files.has(SCALAR_BUNDLE)) throw notBuilt();
    return c.body(DOCS_HTML, 200, {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-cache',
      'content-security-policy': DOCS_CSP,
      'referrer-policy': 'no-referrer',
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
    });
  });

  app.get('/docs/:file', (c) => {
    const name = c.req.param('file');
    const file = files.get(name);
    if (file === undefined) {
      if (files.size === 0) throw notBuilt();
      throw new ApiError(404, 'not_found_error', 'not_found', 'No such file of the API reference.');
    }
    // Not named by content, so revalidated: the snapshot's SHA-256 is the ETag.
    const etag = `"${file.sha256}"`;
    const headers = { etag, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' };
    if (c.req.header('if-none-match') === etag) return c.body(null, 304, headers);
    return c.body(file.bytes as Uint8Array<ArrayBuffer>, 200, { ...headers, 'content-type': contentTypeOf(name) });
  });
  app.all('/docs/:file', readOnly);

  return app;
}
