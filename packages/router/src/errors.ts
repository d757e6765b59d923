/**
 * Everything the router can fail with, as members of SafeRouter's one error family
 * (`@saferouter/errors`). Each error knows the HTTP status and OpenAI error `type`/`code` the
 * gateway should answer with, and whether fallback may move on to the next model
 * (`isRetryable`). Use `SafeRouterError.isInstance()` rather than `instanceof`, so errors from
 * duplicated package copies are still recognised.
 */
import { SafeRouterError, type OpenAIErrorType, type SafeRouterErrorOptions } from '@saferouter/errors';

export { SafeRouterError, type OpenAIErrorType, type SafeRouterErrorOptions } from '@saferouter/errors';

/** True for statuses where another model may succeed: 408, 409, 429 and every 5xx. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

/** The upstream answered with an HTTP error status. `body` is its error body, unchanged. */
export class UpstreamError extends SafeRouterError {
  readonly provider: string;
  readonly modelId: string;
  /** The upstream's raw error body (bytes as received; may be empty). */
  readonly body: Uint8Array;
  readonly contentType: string | undefined;

  constructor(options: {
    provider: string;
    modelId: string;
    statusCode: number;
    body: Uint8Array;
    contentType?: string | undefined;
    message?: string;
    /** A more precise error than the status alone (a subclass's); default by status. */
    type?: OpenAIErrorType | undefined;
    code?: string | undefined;
    metadata?: SafeRouterErrorOptions['metadata'];
  }) {
    super({
      message: options.message ?? `Upstream ${options.provider} answered ${options.statusCode} for ${options.modelId}`,
      statusCode: options.statusCode,
      type: options.type ?? (options.statusCode >= 500 ? 'upstream_error' : 'invalid_request_error'),
      code: options.code ?? `upstream_${options.statusCode}`,
      metadata: options.metadata,
      isRetryable: isRetryableStatus(options.statusCode),
    });
    this.name = 'UpstreamError';
    this.provider = options.provider;
    this.modelId = options.modelId;
    this.body = options.body;
    this.contentType = options.contentType;
  }

  /**
   * A client error bubbles up unchanged: the upstream's own body, when it is an OpenAI-shaped
   * JSON error (at most 1 MiB). Anything else (a 5xx, an HTML page, junk) is answered in our shape.
   */
  override responseBody(): Uint8Array {
    return this.statusCode < 500 && isOpenAIErrorJson(this.body) ? this.body : super.responseBody();
  }
}

/** True when the bytes are a JSON object with an `error` member (OpenAI's shape), safe to pass on. */
function isOpenAIErrorJson(body: Uint8Array): boolean {
  if (body.byteLength === 0 || body.byteLength > 1 << 20) return false;
  try {
    const parsed: unknown = JSON.parse(new TextDecoder().decode(body));
    return typeof parsed === 'object' && parsed !== null && 'error' in parsed;
  } catch {
    return false;
  }
}

/** The upstream could not be reached, or the connection broke. Always retryable. */
export class NetworkError extends SafeRouterError {
  constructor(provider: string, cause?: unknown) {
    super({
      message: `Could not reach provider ${provider}`,
      statusCode: 502,
      type: 'upstream_error',
      code: 'upstream_unreachable',
      isRetryable: true,
      cause,
    });
    this.name = 'NetworkError';
  }
}

/** The upstream did not connect, or did not send its first byte, in time. Always retryable. */
export class TimeoutError extends SafeRouterError {
  readonly phase: 'connect' | 'first-byte' | 'body';
  constructor(provider: string, phase: 'connect' | 'first-byte' | 'body', cause?: unknown) {
    super({
      message: `Provider ${provider} timed out (${phase})`,
      statusCode: 504,
      type: 'timeout_error',
      code: 'upstream_timeout',
      isRetryable: true,
      cause,
    });
    this.name = 'TimeoutError';
    this.phase = phase;
  }
}

/** No catalog entry and no provider prefix matches the requested model. */
export class ModelNotFoundError extends SafeRouterError {
  constructor(model: string) {
    super({
      message: `The model '${model}' does not exist or is not served here. See GET /v1/models.`,
      statusCode: 404,
      type: 'invalid_request_error',
      code: 'model_not_found',
    });
    this.name = 'ModelNotFoundError';
  }
}

/** The model's provider has no API key configured. Retryable, so fallback applies. */
export class ProviderUnavailableError extends SafeRouterError {
  constructor(provider: string, modelId: string, reason = 'has no API key configured') {
    super({
      message: `Model '${modelId}' is unavailable: provider ${provider} ${reason}.`,
      statusCode: 503,
      type: 'service_unavailable',
      code: 'provider_unavailable',
      isRetryable: true,
    });
    this.name = 'ProviderUnavailableError';
  }
}

/**
 * The caller gave up: the client disconnected or the gateway aborted via `options.signal`.
 * Never retryable, so fallback stops at once instead of calling the next model for nobody.
 */
export class AbortedError extends SafeRouterError {
  constructor(message = 'The request was aborted by the client', cause?: unknown) {
    super({ message, statusCode: 499, type: 'api_error', code: 'client_closed_request', isRetryable: false, cause });
    this.name = 'AbortedError';
  }
}

/**
 * A stream broke after its first byte was handed out (socket cut, body timeout, or a clean close
 * without `data: [DONE]`). Fallback can no longer apply; it is reported in the stream summary and
 * as an SSE error event.
 */
export class StreamInterruptedError extends SafeRouterError {
  constructor(provider: string, cause?: unknown) {
    super({
      message: `The stream from provider ${provider} was interrupted before it completed`,
      statusCode: 502,
      type: 'upstream_error',
      code: 'stream_interrupted',
      isRetryable: true,
      cause,
    });
    this.name = 'StreamInterruptedError';
  }
}

/** The request itself is malformed. Never retryable. `param` names the field at fault (`provider.only[1]`). */
export class InvalidRequestError extends SafeRouterError {
  constructor(message: string, code = 'invalid_request', param?: string) {
    super({ message, statusCode: 400, type: 'invalid_request_error', code, param });
    this.name = 'InvalidRequestError';
  }
}

/** One endpoint (a model as served by one provider) left out of a route, and the rule that left it out. */
export interface ExcludedEndpoint {
  /** Catalog id of the model. */
  model: string;
  provider: string;
  /** The constraint, e.g. `provider.ignore`, `provider.max_price.prompt`, `no API key`. */
  reason: string;
}

/** At most this many exclusions are spelled out in the message; `excluded` and `metadata` keep them all. */
const NO_ENDPOINT_MESSAGE_ITEMS = 8;

/**
 * The request's provider preferences left no endpoint to try (404 `no_endpoint`, as OpenRouter
 * answers). The message and `metadata` say which constraint excluded each candidate: `metadata`
 * maps `<model>@<provider>` to the reason, since error metadata holds JSON scalars only.
 */
export class NoEndpointError extends SafeRouterError {
  readonly excluded: readonly ExcludedEndpoint[];

  constructor(model: string, excluded: readonly ExcludedEndpoint[]) {
    const shown = excluded.slice(0, NO_ENDPOINT_MESSAGE_ITEMS).map((e) => `${e.model} via ${e.provider}: ${e.reason}`);
    if (excluded.length > shown.length) shown.push(`${excluded.length - shown.length} more`);
    const metadata: Record<string, string> = {};
    for (const e of excluded) metadata[`${e.model}@${e.provider}`] = e.reason;
    super({
      message:
        `No endpoint can serve '${model}' under this request's provider preferences` +
        (shown.length > 0 ? ` (${shown.join('; ')}).` : '.'),
      statusCode: 404,
      type: 'invalid_request_error',
      code: 'no_endpoint',
      metadata,
    });
    this.name = 'NoEndpointError';
    this.excluded = excluded;
  }
}

/** The catalog config file is invalid. The message names the offending field. */
export class ConfigError extends Error {
  readonly path: string;
  constructor(path: string, message: string) {
    super(`Invalid config at ${path}: ${message}`);
    this.name = 'ConfigError';
    this.path = path;
  }
}
