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
import { AbortedError, SafeRouterError, StreamInterruptedError } from './errors.js';
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

export interface Relay {
  stream: ReadableStream<Uint8Array>;
  summary: Promise<StreamSummary>;
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
  const tap = options.tap ?? createSseTap();
  let pending = options.first;
  let lastChunk: Uint8Array | undefined;
  let finished = false;
  let settle!: (summary: StreamSummary) => void;
  const summary = new Promise<StreamSummary>((resolve) => {
    settle = resolve;
  });

  const finish = (error?: Error): void => {
    if (finished) return;
    finished = true;
    const seen = tap.result();
    settle({
      usage: seen.usage,
      finishReason: seen.finishReason,
      bytes: seen.bytes,
      completed: seen.done && error === undefined,
      error,
    });
  };

  const deliver = (controller: ReadableStreamDefaultController<Uint8Array>, chunk: Uint8Array): void => {
    tap.push(chunk);
    lastChunk = chunk;
    controller.enqueue(chunk);
  };

  const end = (controller: ReadableStreamDefaultController<Uint8Array>, error?: SafeRouterError): void => {
    if (error !== undefined) source.destroy();
    // After [DONE] the client already holds a complete answer; a late socket error changes nothing.
    if (error === undefined || tap.done) {
      controller.close();
      finish();
      return;
    }
    const event = interruptionEvent(error, lastChunk);
    tap.push(event);
    controller.enqueue(event);
    controller.close();
    finish(error);
  };

  const stream = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (finished) return;
        if (pending !== undefined) {
          const chunk = pending;
          pending = undefined;
          deliver(controller, chunk);
          return;
        }
        let next: IteratorResult<Uint8Array, unknown>;
        try {
          next = await source.next();
        } catch (error) {
          if (!finished) end(controller, options.mapError(error));
          return;
        }
        // A cancel may have arrived while we waited; the controller is then closed for good.
        if (finished) return;
        if (next.done === true) {
          if (tap.done) end(controller);
          else end(controller, new StreamInterruptedError(options.provider));
          return;
        }
        deliver(controller, next.value);
      },
      cancel(reason) {
        if (finished) return;
        source.destroy();
        finish(new AbortedError('The consumer cancelled the stream', reason));
      },
    },
    { highWaterMark: 0 },
  );

  return { stream, summary };
}
