/**
 * CORS for the API (`/v1/*`), so a browser app on another origin can call the gateway: only the
 * origins the operator lists in `SAFEROUTER_CORS_ORIGINS` (or `*`), none by default. The
 * attestation endpoints are not covered here: anyone may check this gateway, so they answer `*`
 * on their own (./app.ts).
 *
 * A preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`) is answered here,
 * before EHBP and auth, which a preflight never passes (it carries no credentials and no body):
 * 204 with the allowed methods and headers for an allowed origin, a 403 without any CORS header
 * for another (the browser then refuses the request). An `OPTIONS` that is not a preflight still
 * gets the 405 of the method table. Answers to an allowed origin expose the headers a client
 * reads: the request id, the receipt, the provider, the fallback pair, the EHBP response nonce and
 * `Retry-After`. Credentials (cookies) are never allowed: the API authenticates with a bearer key.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { ENCAPSULATED_KEY_HEADER, RESPONSE_NONCE_HEADER } from '@saferouter/ehbp';
import type { AppEnv } from './env.js';
import { ApiError } from './errors.js';
import { requestHeader } from './request-header.js';
import { CORS_VARIABLE, type CorsOrigins } from './cors-origins.js';

export { parseCorsOrigins, type CorsOrigins } from './cors-origins.js';

/** The methods the API serves. */
export const CORS_ALLOWED_METHODS = ['GET', 'POST', 'PATCH', 'DELETE'] as const;

/**
 * Request headers a browser client may send: the key, the body's type, EHBP's encapsulated key,
 * the headers the OpenAI SDK adds (`OpenAI-*`, `X-Stainless-*`) and OpenRouter-style attribution.
 */
export const CORS_ALLOWED_HEADERS = [
  'authorization',
  'content-type',
  ENCAPSULATED_KEY_HEADER.toLowerCase(),
  'openai-organization',
  'openai-project',
  'x-stainless-arch',
  'x-stainless-lang',
  'x-stainless-os',
  'x-stainless-package-version',
  'x-stainless-retry-count',
  'x-stainless-runtime',
  'x-stainless-runtime-version',
  'x-stainless-timeout',
  'http-referer',
  'x-title',
] as const;

/** Response headers a browser client may read. */
export const CORS_EXPOSED_HEADERS = [
  'x-request-id',
  'x-saferouter-receipt',
  'x-saferouter-provider',
  'x-saferouter-fallback-from',
  'x-saferouter-fallback-to',
  RESPONSE_NONCE_HEADER.toLowerCase(),
  'retry-after',
] as const;

/** How long a browser may cache a preflight answer, in seconds. */
const MAX_AGE_SECONDS = '600';

/** A CORS preflight: `OPTIONS` with `Origin` and `Access-Control-Request-Method`. */
export function isPreflight(c: Context<AppEnv>): boolean {
  return (
    c.req.method === 'OPTIONS' &&
    requestHeader(c, 'origin') !== undefined &&
    requestHeader(c, 'access-control-request-method') !== undefined
  );
}

/**
 * The `/v1/*` CORS middleware; mount it before EHBP and auth.
 *
 * @example app.use('/v1/*', apiCors(config.corsOrigins ?? []));
 */
export function apiCors(origins: CorsOrigins): MiddlewareHandler<AppEnv> {
  const anyOrigin = origins === '*';
  const allowed = new Set<string>(anyOrigin ? [] : origins);
  const preflight = {
    'access-control-allow-methods': CORS_ALLOWED_METHODS.join(', '),
    'access-control-allow-headers': CORS_ALLOWED_HEADERS.join(', '),
    'access-control-max-age': MAX_AGE_SECONDS,
  };
  const exposed = CORS_EXPOSED_HEADERS.join(', ');

  return async (c, next) => {
    const origin = requestHeader(c, 'origin');
    const isAllowed = origin !== undefined && (anyOrigin || allowed.has(origin));
    if (isPreflight(c)) {
      if (!isAllowed) {
        throw new ApiError(
          403,
          'permission_error',
          'cors_origin_not_allowed',
          `Cross-origin requests from this origin are not allowed: the operator lists the allowed origins in ${CORS_VARIABLE}.`,
        );
      }
      return c.body(null, 204, {
        ...preflight,
        'access-control-allow-origin': anyOrigin ? '*' : origin,
        ...(anyOrigin ? {} : { vary: 'Origin' }),
      });
    }
    if (!isAllowed) return next();
    const headers: Record<string, string> = {
      'access-control-allow-origin': anyOrigin ? '*' : origin,
      'access-control-expose-headers': exposed,
      ...(anyOrigin ? {} : { vary: 'Origin' }),
    };
    // On the Node path streams and replies are written with `writeHead` (./node-response.ts),
    // which merges headers set here; under `app.request()` Hono merges `c.header()`.
    const outgoing = c.env?.outgoing;
    if (outgoing !== undefined && typeof outgoing.setHeader === 'function') {
      for (const [name, value] of Object.entries(headers)) outgoing.setHeader(name, value);
    } else {
      for (const [name, value] of Object.entries(headers)) c.header(name, value);
    }
    return next();
  };
}
