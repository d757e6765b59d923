/**
 * The single error handler: every failure leaves the gateway in OpenAI's error shape
 * `{ error: { message, type, code } }`, with the right status, never an HTML page or a bare 500.
 * Upstream 4xx errors bubble up with the upstream's own status and body, as clients expect.
 */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { SafeRouterError, UpstreamError } from '@saferouter/router';
import { InsufficientCreditsError } from '@saferouter/billing';
import type { AppEnv } from './env.js';

export interface OpenAIErrorBody {
  error: { message: string; type: string; code: string; param?: string | null };
}

export function errorBody(message: string, type: string, code: string): OpenAIErrorBody {
  return { error: { message, type, code } };
}

/** An HTTP error carrying an OpenAI-shaped body. Middleware throws these. */
export class ApiError extends HTTPException {
  readonly type: string;
  readonly code: string;
  readonly headers: Record<string, string>;
  constructor(status: ContentfulStatusCode, type: string, code: string, message: string, headers: Record<string, string> = {}) {
    super(status, { message });
    this.type = type;
    this.code = code;
    this.headers = headers;
  }
}

const statusTypes: Record<number, [string, string]> = {
  400: ['invalid_request_error', 'invalid_request'],
  401: ['authentication_error', 'invalid_api_key'],
  403: ['permission_error', 'forbidden'],
  404: ['not_found_error', 'not_found'],
  405: ['invalid_request_error', 'method_not_allowed'],
  413: ['invalid_request_error', 'request_too_large'],
  429: ['rate_limit_error', 'rate_limited'],
};

function asStatus(n: number): ContentfulStatusCode {
  return (n >= 400 && n <= 599 ? n : 500) as ContentfulStatusCode;
}

/** True when the bytes are a JSON object with an `error` member (OpenAI shape), safe to pass on. */
function isOpenAIErrorJson(body: Uint8Array): boolean {
  if (body.byteLength === 0 || body.byteLength > 1 << 20) return false;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
    return typeof parsed === 'object' && parsed !== null && 'error' in parsed;
  } catch {
    return false;
  }
}

/** `app.onError`: the one place errors become responses. */
export function handleError(err: Error, c: Context<AppEnv>): Response {
  if (err instanceof UpstreamError && err.statusCode < 500) {
    // Bubble a client error up unchanged: the upstream's status and its own error body.
    if (isOpenAIErrorJson(err.body)) {
      return c.body(err.body as Uint8Array<ArrayBuffer>, asStatus(err.statusCode), { 'content-type': 'application/json' });
    }
    return c.json(errorBody(err.message, err.type, err.code), asStatus(err.statusCode));
  }
  if (InsufficientCreditsError.isInstance(err)) {
    return c.json(errorBody(err.message, err.type, err.code), 402);
  }
  if (SafeRouterError.isInstance(err)) {
    return c.json(err.toJSON(), asStatus(err.statusCode));
  }
  if (err instanceof ApiError) {
    for (const [k, v] of Object.entries(err.headers)) c.header(k, v);
    return c.json(errorBody(err.message, err.type, err.code), err.status);
  }
  if (err instanceof HTTPException) {
    const [type, code] = statusTypes[err.status] ?? ['api_error', 'http_error'];
    return c.json(errorBody(err.message || 'Request failed', type, code), err.status);
  }
  console.error(`[${c.get('requestId') ?? '-'}] unhandled error:`, err);
  return c.json(errorBody('Internal error. The request id identifies it in the gateway log.', 'api_error', 'internal_error'), 500);
}

export function notFound(c: Context<AppEnv>): Response {
  return c.json(errorBody(`No route for ${c.req.method} ${c.req.path}`, 'not_found_error', 'not_found'), 404);
}
