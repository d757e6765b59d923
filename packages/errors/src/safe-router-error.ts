/**
 * The base of SafeRouter's one error family. Every error a client can be answered with (an
 * upstream failure, a refused hold, a bad argument to the store) extends `SafeRouterError`, so it
 * knows its own HTTP status, OpenAI error `type` and `code`, whether fallback may move on to
 * another model (`isRetryable`), and how it looks on the wire (`toJSON()`: OpenAI's error shape).
 * The gateway therefore needs one branch for the whole family, not one per package.
 *
 * Use `SafeRouterError.isInstance()` rather than `instanceof`: it recognises errors made by a
 * duplicated copy of this package (two versions in one `node_modules`) through a global symbol.
 *
 * This package has no dependencies, so the crypto-free and browser-safe packages can all use it.
 */

const marker = Symbol.for('saferouter.error');
const encoder = new TextEncoder();

/** OpenAI's error `type` values, plus the few SafeRouter adds for upstream and service failures. */
export type OpenAIErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'rate_limit_error'
  | 'insufficient_quota'
  | 'api_error'
  | 'upstream_error'
  | 'timeout_error'
  | 'service_unavailable';

/** A value of an error's `metadata`: JSON scalars only, so the wire body is plain and stable. */
export type ErrorMetadataValue = string | number | boolean | null;

/** Machine-readable details of one error, e.g. `{ affordable_tokens: 1234 }` on a 402. */
export type ErrorMetadata = Readonly<Record<string, ErrorMetadataValue>>;

/**
 * OpenAI's error body: `{ error: { message, type, code, param?, metadata? } }`. `metadata` (as
 * OpenRouter sends it) carries details a client can act on without parsing the message.
 */
export interface OpenAIErrorBody {
  error: { message: string; type: string; code: string; param?: string; metadata?: Record<string, ErrorMetadataValue> };
}

export interface SafeRouterErrorOptions {
  message: string;
  /** The HTTP status a client is answered with (400–599). */
  statusCode: number;
  type: OpenAIErrorType;
  /** A stable machine-readable code, e.g. `insufficient_credits`. */
  code: string;
  /** True when another model (or a retry later) may succeed: fallback reads only this. */
  isRetryable?: boolean | undefined;
  /** The request parameter at fault, for validation errors (`max_tokens`, `limits.rpm`). */
  param?: string | undefined;
  /** Response headers the answer needs, e.g. `retry-after` on a 429 or `allow` on a 405. */
  headers?: Readonly<Record<string, string>> | undefined;
  /** Details rendered as `error.metadata` (snake_case keys, JSON scalars), e.g. on a 402. */
  metadata?: ErrorMetadata | undefined;
  cause?: unknown;
}

/**
 * @example
 * throw new SafeRouterError({ message: 'Model is unavailable', statusCode: 503, type: 'service_unavailable', code: 'provider_unavailable', isRetryable: true });
 * @throws {RangeError} when `statusCode` is not an HTTP error status (400–599).
 */
export class SafeRouterError extends Error {
  readonly [marker] = true;
  readonly statusCode: number;
  readonly type: OpenAIErrorType;
  readonly code: string;
  readonly isRetryable: boolean;
  readonly param: string | undefined;
  /** Rendered as `error.metadata` by `toJSON()`; undefined when the error has none. */
  readonly metadata: ErrorMetadata | undefined;
  /**
   * Response headers the answer carries. Code that knows more about the request may add to them
   * before the error is rendered (a receipt for a request that reached an upstream).
   */
  readonly headers: Record<string, string>;

  constructor(options: SafeRouterErrorOptions) {
    super(options.message, options.cause === undefined ? undefined : { cause: options.cause });
    if (!Number.isInteger(options.statusCode) || options.statusCode < 400 || options.statusCode > 599) {
      throw new RangeError(`statusCode must be an HTTP error status (400-599), got ${String(options.statusCode)}`);
    }
    this.name = 'SafeRouterError';
    this.statusCode = options.statusCode;
    this.type = options.type;
    this.code = options.code;
    this.isRetryable = options.isRetryable ?? false;
    this.param = options.param;
    this.metadata = options.metadata === undefined ? undefined : Object.freeze({ ...options.metadata });
    this.headers = { ...options.headers };
  }

  /**
   * True for any error of the family, whichever copy of this package made it.
   *
   * @example if (SafeRouterError.isInstance(err)) return c.json(err.toJSON(), err.statusCode);
   */
  static isInstance(error: unknown): error is SafeRouterError {
    return typeof error === 'object' && error !== null && (error as { [marker]?: unknown })[marker] === true;
  }

  /**
   * OpenAI's error shape; `param` only when the error names one, `metadata` only when it has some.
   * The one owner of the wire body: `responseBody()` (sent, and hashed by receipts) and SSE error
   * events are both made from it.
   */
  toJSON(): OpenAIErrorBody {
    const error: OpenAIErrorBody['error'] = { message: this.message, type: this.type, code: this.code };
    if (this.param !== undefined) error.param = this.param;
    if (this.metadata !== undefined) error.metadata = { ...this.metadata };
    return { error };
  }

  /**
   * The exact bytes of the JSON body a client is answered with (`application/json`). One owner
   * for them: the gateway sends them, and a receipt hashes them. A subclass that relays someone
   * else's body (an upstream's own 4xx) overrides this.
   */
  responseBody(): Uint8Array {
    return encoder.encode(JSON.stringify(this.toJSON()));
  }
}
