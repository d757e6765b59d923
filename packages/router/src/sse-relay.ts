/**
 * Turns a source of SSE chunks into the `ReadableStream` + `summary` pair of a `StreamResult`.
 * Shared by every provider so that the delicate parts live in one place:
 *
 * - The stream is PULL-based with a high-water mark of 0: a chunk is taken from the source only
 *   when the consumer asks, so bytes are neither re-encoded nor queued here, and nothing is ever
 *   enqueued from an event callback after a cancel (Node 20's `Readable.toWeb()` did exactly that
 *   and crashed the process with ERR_INVALID_STATE when a client went away).
 * - A stream that breaks before `data: [DONE]` never ends cleanly: it gets one SSE error event
 *   (`code: "stream_interrupted"`) and then closes, so clients cannot mistake a cut for an answer.
 * - `summary` settles exactly once, whichever way the stream ends, and never rejects.
 */
import { AbortedError, type SafeRouterError, StreamInterruptedError } from './errors.js';
import type { StreamSummary } from './spec.js';
import { createSseTap, type SseTap } from './sse-tap.js';

/** Where the chunks come from: usually an undici body's async iterator. */
export interface ChunkSource {
  next(): Promise<IteratorResult<Uint8Array, unknown>>;
  /** Stops the source and releases what it holds (aborts the upstream request). Idempotent. */
  destroy(): void;
}

export interface RelayOptions {
  /** Provider id, used to name an interruption. */
  provider: string;
  /** A chunk already read from the source (doStream waits for it before resolving). */
  first?: Uint8Array | undefined;
  /** Names an error thrown by `source.next()`. */
  mapError(error: unknown): SafeRouterError;
  /** A tap to feed; a new one by default. Pass your own to read it elsewhere too. */
  tap?: SseTap | undefined;
}

/**
 * A relayed stream. The bytes can be read two ways, pick one: `stream`, a web `ReadableStream`
 * built lazily on first access, or `read()`/`cancel()`, which a server writing to a Node socket
 * uses to skip web-stream machinery (a measurable share of a proxy's per-request CPU on Node 20).
 */
export interface Relay {
  /** The next chunk, or `undefined` once the stream is over. Not re-entrant: await each call. */
  read(): Promise<Uint8Array | undefined>;
  /** Stops the stream and aborts the upstream. Idempotent; later `read()`s give `undefined`. */
  cancel(reason?: unknown): void;
  readonly stream: ReadableStream<Uint8Array>;
  readonly summary: Promise<StreamSummary>;
}

const encoder = new TextEncoder();
const LF = 10;
const CR = 13;

/**
 * The SSE error event that ends an interrupted stream. If the cut fell inside an event, blank
 * lines first terminate that fragment so the error arrives as an event of its own.
 *
 * @example interruptionEvent(new Error('cut'), lastChunk) // data: {"error":{...,"code":"stream_interrupted"}}\n\n
 */
export function interruptionEvent(error: Error, lastChunk: Uint8Array | undefined): Uint8Array {
  const body = JSON.stringify({
    error: { message: error.message, type: 'upstream_error', code: 'stream_interrupted' },
  });
  return encoder.encode(`${separatorAfter(lastChunk)}data: ${body}\n\n`);
}

/** What must follow `chunk` so the next bytes start a new event: '', '\n' or '\n\n'. */
function separatorAfter(chunk: Uint8Array | undefined): string {
  const n = chunk?.byteLength ?? 0;
  if (chunk === undefined || n === 0) return '';
  if (chunk[n - 1] !== LF) return '\n\n';
  if (n >= 2 && chunk[n - 2] === LF) return '';
  if (n >= 4 && chunk[n - 2] === CR && chunk[n - 3] === LF && chunk[n - 4] === CR) return '';
  return '\n';
}

/**
 * Wraps `source` as a pull-based byte stream with an SSE tap and a settle-once summary.
 *
 * @example
 * const it = body[Symbol.asyncIterator]();
 * const { stream, summary } = relaySse(
 *   { next: () => it.next(), destroy: () => body.destroy() },
 *   { provider: 'deepseek', first, mapError: (e) => new NetworkError('deepseek', e) },
 * );
 */
export function relaySse(source: ChunkSource, options: RelayOptions): Relay {
  return new SseRelay(source, options);
}

class SseRelay implements Relay {
  readonly summary: Promise<StreamSummary>;
  readonly #source: ChunkSource;
  readonly #options: RelayOptions;
  readonly #tap: SseTap;
  #pending: Uint8Array | undefined;
  #lastChunk: Uint8Array | undefined;
  #finished = false;
  #settle!: (summary: StreamSummary) => void;
  #stream: ReadableStream<Uint8Array> | undefined;

  constructor(source: ChunkSource, options: RelayOptions) {
    this.#source = source;
    this.#options = options;
    this.#tap = options.tap ?? createSseTap();
    this.#pending = options.first;
    this.summary = new Promise<StreamSummary>((resolve) => {
      this.#settle = resolve;
    });
  }

  async read(): Promise<Uint8Array | undefined> {
    if (this.#finished) return undefined;
    if (this.#pending !== undefined) {
      const chunk = this.#pending;
      this.#pending = undefined;
      return this.#deliver(chunk);
    }
    let next: IteratorResult<Uint8Array, unknown>;
    try {
      next = await this.#source.next();
    } catch (error) {
      return this.#finished ? undefined : this.#end(this.#options.mapError(error));
    }
    // A cancel may have arrived while we waited.
    if (this.#finished) return undefined;
    if (next.done === true) {
      return this.#end(this.#tap.done ? undefined : new StreamInterruptedError(this.#options.provider));
    }
    return this.#deliver(next.value);
  }

  cancel(reason?: unknown): void {
    if (this.#finished) return;
    this.#source.destroy();
    this.#finish(new AbortedError('The consumer cancelled the stream', reason));
  }

  get stream(): ReadableStream<Uint8Array> {
    if (this.#stream === undefined) {
      let cancelled = false;
      this.#stream = new ReadableStream<Uint8Array>(
        {
          pull: async (controller) => {
            const chunk = await this.read();
            // After a cancel the controller is closed for good: touching it would throw.
            if (cancelled) return;
            if (chunk === undefined) controller.close();
            else controller.enqueue(chunk);
          },
          cancel: (reason) => {
            cancelled = true;
            this.cancel(reason);
          },
        },
        { highWaterMark: 0 },
      );
    }
    return this.#stream;
  }

  #deliver(chunk: Uint8Array): Uint8Array {
    this.#tap.push(chunk);
    this.#lastChunk = chunk;
    return chunk;
  }

  /** Ends the stream; an error that arrives before [DONE] yields the closing error event. */
  #end(error: SafeRouterError | undefined): Uint8Array | undefined {
    if (error !== undefined) this.#source.destroy();
    // After [DONE] the client already holds a complete answer; a late socket error changes nothing.
    if (error === undefined || this.#tap.done) {
      this.#finish();
      return undefined;
    }
    const event = interruptionEvent(error, this.#lastChunk);
    this.#tap.push(event);
    this.#finish(error);
    return event;
  }

  #finish(error?: Error): void {
    if (this.#finished) return;
    this.#finished = true;
    const seen = this.#tap.result();
    this.#settle({
      usage: seen.usage,
      finishReason: seen.finishReason,
      bytes: seen.bytes,
      completed: seen.done && error === undefined,
      error,
    });
  }
}
