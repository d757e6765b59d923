/**
 * Errors, in one place: every failure leaves the gateway in OpenAI's error shape
 * `{ error: { message, type, code } }` with the right status, never an HTML page or a bare 500.
 *
 * - Errors of the family (`@saferouter/errors`: router, billing, store, metering, and the
 *   gateway's own `ApiError`) carry their status, body and headers; they are rendered as they are.
 * - attest and tlog keep their own dependency-free errors; `toFamilyError` maps them (and Hono's
 *   `HTTPException`) into the family. It is the only place that knows about them.
 * - An upstream's 4xx comes back with the upstream's own status and error body, as clients expect
 *   (`UpstreamError.responseBody()` decides).
 * - Anything else is a bug: logged with the request id, answered 500 without internals.
 */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { AttestationError } from '@saferouter/attest';
import { SafeRouterError, type OpenAIErrorBody, type OpenAIErrorType } from '@saferouter/errors';
import { UpstreamError } from '@saferouter/router';
import { TlogError } from '@saferouter/tlog';
import type { AppEnv } from './env.js';

export type { OpenAIErrorBody };

/** A gateway-made HTTP error (auth, routing, query parsing), in the one error family. */
export class ApiError extends SafeRouterError {
  /**
   * @example throw new ApiError(404, 'not_found_error', 'key_not_found', `No key with id '${id}'.`);
   */
  constructor(
    status: number,
    type: OpenAIErrorType,
    code: string,
    message: string,
    headers: Record<string, string> = {},
    param?: string,
  ) {
    super({ message, statusCode: status, type, code, headers, param });
    this.name = 'ApiError';
  }
}

const httpExceptionTypes: Record<number, [OpenAIErrorType, string]> = {
  400: ['invalid_request_error', 'invalid_request'],
  401: ['authentication_error', 'invalid_api_key'],
  403: ['permission_error', 'forbidden'],
  404: ['not_found_error', 'not_found'],
  405: ['invalid_request_error', 'method_not_allowed'],
  413: ['invalid_request_error', 'request_too_large'],
  429: ['rate_limit_error', 'rate_limited'],
};

/** tlog's error codes as answers: bad input is the client's, anything else is ours. */
const tlogStatus: Record<TlogError['code'], [number, OpenAIErrorType]> = {
  malformed: [400, 'invalid_request_error'],
  missing: [404, 'not_found_error'],
  signature: [500, 'api_error'],
  unverified: [500, 'api_error'],
  proof: [500, 'api_error'],
  inconsistent: [500, 'api_error'],
  equivocation: [500, 'api_error'],
  conflict: [503, 'service_unavailable'],
  corrupt: [500, 'api_error'],
};

/**
 * The family error for anything thrown in a handler, or undefined for a bug (an error nobody
 * made on purpose, which must not be dressed up as a client error).
 */
export function toFamilyError(err: unknown): SafeRouterError | undefined {
  if (SafeRouterError.isInstance(err)) return err;
  if (TlogError.isInstance(err)) {
    const [status, type] = tlogStatus[err.code];
    return new ApiError(
      status,
      type,
      `log_${err.code}`,
      status === 500 ? 'The transparency log could not serve this request.' : err.message,
    );
  }
  if (AttestationError.isInstance(err)) {
    return new ApiError(
      503,
      'service_unavailable',
      'attestation_failed',
      'The attestation could not be produced. The request id identifies it in the gateway log.',
    );
  }
  if (err instanceof HTTPException) {
    const [type, code] = httpExceptionTypes[err.status] ?? ['api_error', 'http_error'];
    return new ApiError(err.status, type, code, err.message || 'Request failed');
  }
  return undefined;
}

/**
 * `app.onError`: the one place errors become responses. A bug, and a 5xx of ours, are logged
 * with the request id through the request's logger (`c.get('logger')`, set by ./request-log.ts).
 */
export function handleError(err: Error, c: Context<AppEnv>): Response {
  const known = toFamilyError(err);
  const logger = c.get('logger');
  if (known === undefined) {
    logger?.error({ reqId: c.get('requestId'), err }, 'unhandled error');
    return c.json(
      errorBody('Internal error. The request id identifies it in the gateway log.', 'api_error', 'internal_error'),
      500,
    );
  }
  if (known.statusCode >= 500 && !(known instanceof UpstreamError)) {
    logger?.error({ reqId: c.get('requestId'), code: known.code, err: known.cause ?? known.message }, known.code);
  }
  for (const [name, value] of Object.entries(known.headers)) c.header(name, value);
  // The error's own bytes (an upstream's 4xx passes through unchanged): what a receipt hashed.
  const body = known.responseBody() as Uint8Array<ArrayBuffer>;
  return c.body(body, known.statusCode as ContentfulStatusCode, { 'content-type': 'application/json' });
}

export function errorBody(message: string, type: string, code: string): OpenAIErrorBody {
  return { error: { message, type, code } };
}

export function notFound(c: Context<AppEnv>): Response {
  return c.json(errorBody(`No route for ${c.req.method} ${c.req.path}`, 'not_found_error', 'not_found'), 404);
}
