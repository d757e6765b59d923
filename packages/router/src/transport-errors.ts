/**
 * Maps what undici throws onto the router's error family. Errors are told apart by their `code`
 * string rather than `instanceof`, because an injected dispatcher may come from another copy of
 * undici (or be a test fake) whose classes are not ours.
 *
 * Messages never include request headers, so an API key cannot leak through here.
 */
import { AbortedError, NetworkError, SafeRouterError, TimeoutError } from './errors.js';
import type { AbortSignalLike } from './cancellation.js';

function codeOf(error: unknown): unknown {
  return typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
}

/**
 * The router error for a failed upstream call. An aborted `signal` wins over whatever undici
 * reported, since the abort is the reason the call failed and it must stop fallback.
 *
 * @example
 * try { await pool.request(opts) } catch (e) { throw toRouterError(e, 'deepseek', opts.signal) }
 */
export function toRouterError(error: unknown, provider: string, signal?: AbortSignalLike | undefined): SafeRouterError {
  if (signal?.aborted === true) {
    return SafeRouterError.isInstance(error) && error.code === 'client_closed_request'
      ? error
      : new AbortedError(undefined, error);
  }
  if (SafeRouterError.isInstance(error)) return error;
  switch (codeOf(error)) {
    case 'UND_ERR_CONNECT_TIMEOUT':
      return new TimeoutError(provider, 'connect', error);
    case 'UND_ERR_HEADERS_TIMEOUT':
      return new TimeoutError(provider, 'first-byte', error);
    case 'UND_ERR_BODY_TIMEOUT':
      return new TimeoutError(provider, 'body', error);
    default:
      return new NetworkError(provider, error);
  }
}
