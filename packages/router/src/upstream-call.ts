/**
 * One upstream HTTP call over undici's `dispatch()` handler API. `dispatcher.request()` wraps every
 * response in a `BodyReadable` stream, and iterating that with `for await` adds Node's Readable
 * async-iterator machinery on top: together a large share of a proxy's CPU per request on Node 20.
 * Here body chunks go from undici's parser straight into a small queue that the relay pulls from,
 * with backpressure through undici's own pause/resume, and an abort goes straight to the socket.
 */
import type { Dispatcher } from 'undici';
import { AbortedError } from './errors.js';
import type { AbortSignalLike } from './cancellation.js';
import type { ChunkSource } from './sse-relay.js';

/** Chunks queued before undici is asked to pause reading from the upstream socket. */
const HIGH_WATER_CHUNKS = 16;

/** A response body as a pull-based chunk source. Not re-entrant: await each `next()`. */
export class BodyQueue implements ChunkSource {
  #chunks: Buffer[] = [];
  #ended = false;
  #error: unknown = undefined;
  #waiter: { resolve: (r: IteratorResult<Uint8Array, undefined>) => void; reject: (e: unknown) => void } | undefined;
  #paused = false;
  #resume: (() => void) | undefined;
  #abort: ((reason?: Error) => void) | undefined;

  /** @internal Called by the handler. Returns false to ask undici to pause. */
  push(chunk: Buffer): boolean {
    const waiter = this.#waiter;
    if (waiter !== undefined) {
      this.#waiter = undefined;
      waiter.resolve({ done: false, value: chunk });
      return true;
    }
    this.#chunks.push(chunk);
    if (this.#chunks.length >= HIGH_WATER_CHUNKS) {
      this.#paused = true;
      return false;
    }
    return true;
  }

  /** @internal */
  end(): void {
    this.#ended = true;
    const waiter = this.#waiter;
    if (waiter !== undefined) {
      this.#waiter = undefined;
      waiter.resolve({ done: true, value: undefined });
    }
  }

  /** @internal */
  fail(error: unknown): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#error = error;
    const waiter = this.#waiter;
    if (waiter !== undefined) {
      this.#waiter = undefined;
      waiter.reject(error);
    }
  }

  /** @internal */
  bind(resume: () => void, abort: (reason?: Error) => void): void {
    this.#resume = resume;
    this.#abort = abort;
  }

  next(): Promise<IteratorResult<Uint8Array, undefined>> {
    const chunk = this.#chunks.shift();
    if (chunk !== undefined) {
      if (this.#paused && this.#chunks.length === 0) {
        this.#paused = false;
        this.#resume?.();
      }
      return Promise.resolve({ done: false, value: chunk });
    }
    if (this.#error !== undefined) return Promise.reject(this.#error);
    if (this.#ended) return Promise.resolve({ done: true, value: undefined });
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
  }

  /** Aborts the upstream request (closing its socket) unless the body already ended. */
  destroy(reason?: Error): void {
    if (this.#ended) return;
    const error = reason ?? new AbortedError('The upstream body was discarded');
    this.#abort?.(error);
    this.fail(error);
  }

  /** Reads the whole body. With `cap`, keeps at most `cap` bytes and drops the connection past it. */
  async readAll(cap = Number.POSITIVE_INFINITY): Promise<Buffer> {
    const parts: Buffer[] = [];
    let size = 0;
    for (;;) {
      const next = await this.next();
      if (next.done === true) break;
      const chunk = next.value as Buffer;
      if (size + chunk.byteLength >= cap) {
        parts.push(chunk.subarray(0, cap - size));
        size = cap;
        this.destroy();
        break;
      }
      parts.push(chunk);
      size += chunk.byteLength;
    }
    return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, size);
  }
}

export interface UpstreamResponse {
  statusCode: number;
  /** Raw header list as undici delivered it: name, value, name, value... */
  rawHeaders: readonly Buffer[];
  body: BodyQueue;
}

/** The first value of a response header, by case-insensitive name. */
export function rawHeader(raw: readonly Buffer[], name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if ((raw[i] as Buffer).toString('latin1').toLowerCase() === wanted)
      return (raw[i + 1] as Buffer).toString('latin1');
  }
  return undefined;
}

/**
 * Sends one request; resolves when the response headers arrive, rejects with undici's error
 * (timeouts, network) or an `AbortedError` when `signal` fires first. After the headers, an abort
 * or a broken connection surfaces as a rejected `body.next()`.
 */
export function callUpstream(
  dispatcher: Dispatcher,
  options: Dispatcher.DispatchOptions,
  signal?: AbortSignalLike | undefined,
): Promise<UpstreamResponse> {
  if (signal?.aborted === true) return Promise.reject(new AbortedError(undefined, signal.reason));
  return new Promise((resolve, reject) => {
    const body = new BodyQueue();
    let abortSocket: ((reason?: Error) => void) | undefined;
    let settled = false;
    const onAbort = (): void => {
      const error = new AbortedError(undefined, signal?.reason);
      abortSocket?.(error);
      if (!settled) {
        settled = true;
        reject(error);
      } else body.fail(error);
    };
    const cleanup = (): void => {
      signal?.removeEventListener('abort', onAbort);
    };
    signal?.addEventListener('abort', onAbort, { once: true });

    const handler = {
      onConnect(abort: (reason?: Error) => void): void {
        abortSocket = abort;
        // The signal may have fired between dispatch() and the connection being assigned.
        if (signal?.aborted === true) abort(new AbortedError(undefined, signal.reason));
      },
      onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
        // 1xx informational responses (103 Early Hints...) come first; the real one follows.
        if (statusCode < 200) return true;
        body.bind(resume, (reason) => abortSocket?.(reason));
        settled = true;
        resolve({ statusCode, rawHeaders, body });
        return true;
      },
      onData(chunk: Buffer): boolean {
        return body.push(chunk);
      },
      onComplete(): void {
        cleanup();
        body.end();
      },
      onError(error: Error): void {
        cleanup();
        if (!settled) {
          settled = true;
          reject(error);
        } else body.fail(error);
      },
    };
    dispatcher.dispatch(options, handler as unknown as Dispatcher.DispatchHandler);
  });
}
