/**
 * A stream whose 200 was committed before any upstream answered.
 *
 * When no candidate has sent a byte within the keep-alive interval (a long queue, slow hidden
 * reasoning before the first token), a proxy in front of the gateway may time the request out.
 * So the gateway answers 200 at that point and sends `: SAFEROUTER PROCESSING` comments while the
 * fallback chain keeps working. From then on headers can no longer change, so:
 * - the candidate that finally answers continues inside this stream; when it is not the first one
 *   tried, an SSE comment says so (`: SAFEROUTER FALLBACK …`) before its first byte (the receipt's
 *   `attempts` say it too);
 * - when every candidate fails, the client gets the bytes `onFailure` builds (the receipt comment
 *   and one SSE error event with the OpenAI error body) instead of an HTTP error status.
 *
 * Before that point nothing changes: the route is awaited as usual and errors are HTTP errors.
 * Pull-based like the relay: nothing is produced unless the consumer reads.
 */
import { SafeRouterError } from '@saferouter/errors';
import {
  AbortedError,
  KEEP_ALIVE_COMMENT,
  pullStream,
  sseErrorEvent,
  type FallbackStreamResult,
  type StreamResult,
  type StreamSummary,
} from '@saferouter/router';

const encoder = new TextEncoder();
const TIMEOUT = Symbol('timeout');

/** The route's outcome once it settles. */
type Settled = { ok: true; result: FallbackStreamResult } | { ok: false; error: unknown };

export interface CommittedStreamOptions {
  /** The route, still running (it was not done within `keepAliveMs`). */
  route: Promise<FallbackStreamResult>;
  keepAliveMs: number;
  /** The model and provider tried first: an answer from anyone else is announced. */
  first: { model: string; provider: string };
  /** Sees the bytes this wrapper makes itself (comments), in order with the answer's own. */
  onChunk: (chunk: Uint8Array) => void;
  /** The last bytes for a route that failed (a receipt comment, say); the error event follows. */
  onFailure: (error: SafeRouterError) => Promise<Uint8Array | undefined>;
  /** Called once when the stream ends without an answer (cancel or failure). */
  onAbandon: () => void;
}

/**
 * Resolves with the route's result, or TIMEOUT when `ms` pass first.
 *
 * @example const first = await raceRoute(route, 15_000); if (first === ROUTE_PENDING) commit();
 */
export function raceRoute(route: Promise<FallbackStreamResult>, ms: number): Promise<Settled | typeof TIMEOUT> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(TIMEOUT), ms);
    route.then(
      (result) => {
        clearTimeout(timer);
        resolve({ ok: true, result });
      },
      (error: unknown) => {
        clearTimeout(timer);
        resolve({ ok: false, error });
      },
    );
  });
}

export { TIMEOUT as ROUTE_PENDING };

/**
 * The error body of a failed route as the stream's last event: always our OpenAI-shaped body
 * (an upstream's own error body may not be JSON, and an SSE event must be).
 */
function errorEvent(error: unknown): Uint8Array {
  const known = SafeRouterError.isInstance(error)
    ? error
    : new SafeRouterError({
        message: 'The request failed.',
        statusCode: 500,
        type: 'api_error',
        code: 'internal_error',
      });
  return sseErrorEvent(known.toJSON());
}

/**
 * @example
 * const result = new CommittedStream({ route, keepAliveMs: 15_000, first, onChunk, onFailure, onAbandon });
 * return sendStream(c, result, headers);
 */
export class CommittedStream implements StreamResult {
  readonly status = 200;
  readonly ttfbMs = 0;
  readonly summary: Promise<StreamSummary>;
  readonly #options: CommittedStreamOptions;
  #inner: FallbackStreamResult | undefined;
  #finished = false;
  #cancelled = false;
  #announced = false;
  #bytes = 0;
  #settle!: (summary: StreamSummary) => void;
  #stream: ReadableStream<Uint8Array> | undefined;

  constructor(options: CommittedStreamOptions) {
    this.#options = options;
    this.summary = new Promise((resolve) => {
      this.#settle = resolve;
    });
    // The route's failure is handled by read(); never leave it unobserved.
    options.route.catch(() => undefined);
  }

  async read(): Promise<Uint8Array | undefined> {
    if (this.#inner !== undefined) return this.#inner.read();
    if (this.#finished) return undefined;
    // The commit itself came after a full interval of silence: its comment goes out at once.
    if (!this.#announced) {
      this.#announced = true;
      return this.#own(KEEP_ALIVE_COMMENT);
    }
    const settled = await raceRoute(this.#options.route, this.#options.keepAliveMs);
    if (this.#cancelled) {
      if (settled !== TIMEOUT && settled.ok) settled.result.cancel();
      return undefined;
    }
    if (settled === TIMEOUT) return this.#own(KEEP_ALIVE_COMMENT);
    if (settled.ok) {
      const inner = settled.result;
      this.#inner = inner;
      void inner.summary.then((summary) => this.#settle({ ...summary, bytes: summary.bytes + this.#bytes }));
      const answered = inner.attempts.at(-1);
      const first = this.#options.first;
      if (answered !== undefined && (answered.modelId !== first.model || answered.provider !== first.provider)) {
        return this.#own(
          encoder.encode(
            `: SAFEROUTER FALLBACK from ${first.model} via ${first.provider} to ${answered.modelId} via ${answered.provider}\n\n`,
          ),
        );
      }
      return inner.read();
    }
    // Every candidate failed after the 200 went out: the error travels as the stream's last event.
    this.#finished = true;
    const error = SafeRouterError.isInstance(settled.error) ? settled.error : undefined;
    const before = error === undefined ? undefined : await this.#options.onFailure(error).catch(() => undefined);
    this.#options.onAbandon();
    const event = errorEvent(settled.error);
    const last = before === undefined ? event : Buffer.concat([before, event]);
    this.#bytes += last.byteLength;
    this.#settle({ bytes: this.#bytes, completed: false, error: error ?? new AbortedError('the route failed') });
    return last;
  }

  cancel(reason?: unknown): void {
    if (this.#inner !== undefined) {
      this.#inner.cancel(reason);
      return;
    }
    if (this.#finished || this.#cancelled) return;
    this.#cancelled = true;
    this.#finished = true;
    // The route itself stops through the request's abort signal (the client is gone).
    this.#options.route.then(
      (result) => result.cancel(reason),
      () => undefined,
    );
    this.#options.onAbandon();
    this.#settle({
      bytes: this.#bytes,
      completed: false,
      error: new AbortedError('The consumer cancelled the stream', reason),
    });
  }

  get stream(): ReadableStream<Uint8Array> {
    this.#stream ??= pullStream(this);
    return this.#stream;
  }

  /** A chunk this wrapper makes: seen by `onChunk` (the receipt covers it), then handed on. */
  #own(chunk: Uint8Array): Uint8Array {
    this.#bytes += chunk.byteLength;
    this.#options.onChunk(chunk);
    return chunk;
  }
}
