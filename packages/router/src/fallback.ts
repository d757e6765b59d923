/**
 * Fallback as a wrapper: `withFallback(candidates)` has the `ChatModelV1` shape and tries each
 * candidate in order until one answers.
 *
 * The decision to move on reads only `SafeRouterError.isRetryable` (set from the upstream status,
 * network and timeout failures, a missing key), never a header or a provider name. A
 * non-retryable error (a 400 with its upstream body, an abort) is thrown at once and unchanged;
 * an error that is not a `SafeRouterError` at all is a bug, not an outage, and is rethrown too.
 * Streams fall back only inside `doStream`, i.e. before the first byte was handed to the client;
 * a stream that breaks later ends with an SSE error event instead (see sse-relay.ts).
 */
import { AbortedError, SafeRouterError, UpstreamError } from './errors.js';
import type { Candidate, KeySource } from './catalog.js';
import type { AbortSignalLike } from './cancellation.js';
import type { CallOptions, ChatModelV1, GenerateResult, StreamResult } from './spec.js';

/** One try of one candidate. */
export interface Attempt {
  /** Catalog id of the candidate. */
  modelId: string;
  provider: string;
  /** 1-based position in the chain. */
  attempt: number;
  ok: boolean;
  error?: SafeRouterError | undefined;
  /** From the call's start until it resolved or failed. */
  latencyMs: number;
  ttfbMs?: number | undefined;
  /** The HTTP status the upstream answered with, when it answered (an `UpstreamError`'s, or the success's). */
  upstreamStatus?: number | undefined;
  /** Whose provider key the attempt used, when the candidate said (see `withOwnKeys`); absent: the gateway's. */
  keySource?: KeySource | undefined;
}

export interface FallbackInfo {
  /** Catalog id of the candidate that answered. */
  answeredBy: string;
  /** Every attempt, in order, the successful one last. */
  attempts: Attempt[];
}

export type FallbackGenerateResult = GenerateResult & FallbackInfo;
export type FallbackStreamResult = StreamResult & FallbackInfo;

export interface FallbackModel extends ChatModelV1 {
  readonly candidates: readonly Candidate[];
  doGenerate(options: CallOptions): Promise<FallbackGenerateResult>;
  doStream(options: CallOptions): Promise<FallbackStreamResult>;
}

export interface FallbackOptions {
  /** Called after every attempt, failed or not (activity log, metrics). */
  onAttempt?: ((attempt: Attempt) => void) | undefined;
  /**
   * Runs before each fallback candidate (not the primary) is called, e.g. to re-price a billing
   * hold for it. If it throws, that candidate is skipped without an upstream call and without an
   * `Attempt`; when no candidate answers, the last upstream error is thrown as usual.
   */
  beforeFallback?: ((candidate: Candidate) => Promise<void> | void) | undefined;
  /** Clock for latencies. Default `performance.now`. */
  now?: (() => number) | undefined;
}

/**
 * Wraps a chain of candidates (primary first) as one model.
 *
 * @example
 * const model = withFallback(catalog.candidates(body), { onAttempt: (a) => log.push(a) });
 * const { stream, answeredBy, attempts } = await model.doStream({ body, signal });
 * @throws {RangeError} when `candidates` is empty.
 */
export function withFallback(candidates: readonly Candidate[], options: FallbackOptions = {}): FallbackModel {
  const first = candidates[0];
  if (first === undefined) throw new RangeError('withFallback needs at least one candidate');
  const now = options.now ?? (() => performance.now());
  const chain = [...candidates];

  async function run<R extends { ttfbMs: number; status: number }>(
    call: (model: ChatModelV1) => Promise<R>,
    signal: AbortSignalLike | undefined,
  ): Promise<R & FallbackInfo> {
    const attempts: Attempt[] = [];
    let lastError: SafeRouterError | undefined;
    for (const [index, candidate] of chain.entries()) {
      // Never start another upstream call for a client that is gone.
      if (signal?.aborted === true) throw new AbortedError();
      if (index > 0 && options.beforeFallback !== undefined) {
        try {
          await options.beforeFallback(candidate);
        } catch {
          continue;
        }
      }
      const started = now();
      const base = {
        modelId: candidate.entry.id,
        provider: candidate.entry.provider,
        attempt: index + 1,
        ...(candidate.keySource === undefined ? {} : { keySource: candidate.keySource }),
      };
      try {
        const result = await call(candidate.model);
        const attempt: Attempt = {
          ...base,
          ok: true,
          latencyMs: now() - started,
          ttfbMs: result.ttfbMs,
          upstreamStatus: result.status,
        };
        attempts.push(attempt);
        options.onAttempt?.(attempt);
        return Object.assign(result, { answeredBy: candidate.entry.id, attempts });
      } catch (error) {
        const known = SafeRouterError.isInstance(error) ? error : undefined;
        const attempt: Attempt = {
          ...base,
          ok: false,
          error: known,
          latencyMs: now() - started,
          upstreamStatus: known instanceof UpstreamError ? known.statusCode : undefined,
        };
        attempts.push(attempt);
        options.onAttempt?.(attempt);
        if (known === undefined || !known.isRetryable) throw error;
        lastError = known;
      }
    }
    // Only reached when every candidate failed retryably or was skipped; the primary always
    // runs, so there is an upstream error to report.
    throw lastError as SafeRouterError;
  }

  return {
    specificationVersion: 'v1',
    provider: first.entry.provider,
    modelId: first.entry.id,
    candidates: chain,
    doGenerate: (callOptions) => run((model) => model.doGenerate(callOptions), callOptions.signal),
    doStream: (callOptions) => run((model) => model.doStream(callOptions), callOptions.signal),
  };
}
