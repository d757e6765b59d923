/**
 * The relay: turns a source of SSE bytes into the `read()` / `stream` + `summary` of a
 * `StreamResult`, as an event-level transformer. Every provider streams through it, so the
 * delicate rules live here and only here:
 *
 * - **Whole events only.** Bytes are framed into events (sse-frames.ts) before they are handed
 *   on; an unfinished event is held until its end arrives. Events that nobody rewrites pass as the
 *   upstream's own bytes, usually the very chunk that was read.
 * - **The terminal event is held for the end-of-stream hook.** The protocol's terminal event
 *   (`data: [DONE]` for chat completions) is recognised by parsing events — split at any byte, over
 *   any number of reads, with LF, CRLF or CR line ends, with or without the space after `data:` —
 *   and held back while `beforeEnd` runs (billing charges there). Only when the hook succeeds is
 *   the terminal event sent; if it fails the consumer gets an error event and no terminal event,
 *   so an acknowledged stream is always an accounted one. Bytes after the terminal event, a second
 *   terminal event included, are dropped: the answer is complete. The upstream body is then
 *   drained briefly in the background so its keep-alive connection survives.
 * - **A cut is never mistaken for an answer.** A stream that ends or breaks before its terminal
 *   event gets one SSE error event (code `stream_interrupted`) and closes; `beforeEnd` runs before
 *   that event too, so a cut stream can be settled (and receipted) before the client hears of it.
 * - **Pull-based, high-water mark 0:** a chunk is read from the source only when the consumer
 *   asks, and nothing is ever enqueued from an event callback after a cancel (Node 20's
 *   `Readable.toWeb()` did exactly that and crashed the process when a client went away).
 * - `summary` settles exactly once, after the hook has finished if it ran, and never rejects.
 *
 * Usage and `finish_reason` are read from the events that can hold them (a byte probe picks them;
 * a typical stream parses one event's JSON), for billing and the activity log.
 *
 * Two hooks change what the consumer gets, and both are decided here, once:
 * - `holdUsageEvent`: the event carrying the usage is withheld and handed to `beforeEnd`, which
 *   sends it rewritten (with the cost that was just charged) before the terminal event. So the
 *   usage a client reads is always the one that was billed, split chunks or not.
 * - `keepAliveMs`: a silent upstream (long hidden reasoning) gets an SSE comment
 *   `: SAFEROUTER PROCESSING` after each such gap, while the pending read stays in flight.
 */
import { AbortedError, SafeRouterError, StreamInterruptedError } from './errors.js';
import { readUsage } from './response-fields.js';
import { eventData, nextKey, parseEvent, SseFramer } from './sse-frames.js';
import {
  CHAT_COMPLETIONS_SSE,
  completeCrLf,
  eventAround,
  hookFailureBody,
  sseErrorEvent,
  type SseProtocol,
} from './sse-protocol.js';
import type { EventRewriter, StreamHooks, StreamSummary, Usage } from './spec.js';

/** Where the chunks come from: usually an undici body. */
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
  /** The caller's hooks (`CallOptions.hooks`). */
  hooks?: StreamHooks | undefined;
  /** Default: chat completions. */
  protocol?: SseProtocol | undefined;
  /** Largest event accepted without an end; past it the stream is cut. Default 8 MiB. */
  maxEventBytes?: number | undefined;
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

const OPEN_BRACE = 123; // {
/** What a silent upstream's consumer gets after each `keepAliveMs` gap: an SSE comment. */
export const KEEP_ALIVE_COMMENT: Uint8Array = new TextEncoder().encode(': SAFEROUTER PROCESSING\n\n');
const KEEP_ALIVE = Symbol('keep-alive');
const QUOTE = 34; // "
/** After the terminal event, the upstream body is read to its end for at most this long. */
const DRAIN_MS = 2_000;
const DRAIN_BYTES = 256 * 1024;

/**
 * A web stream over a pull-based reader (`read()` / `cancel()`), built once by whoever owns the
 * reader: high-water mark 0 (a chunk is read only when asked for), and nothing is enqueued after
 * a cancel, when the controller is closed for good and touching it would throw.
 *
 * @example get stream() { return (this.#stream ??= pullStream(this)); }
 */
export function pullStream(reader: Pick<Relay, 'read' | 'cancel'>): ReadableStream<Uint8Array> {
  let cancelled = false;
  return new ReadableStream<Uint8Array>(
    {
      pull: async (controller) => {
        const chunk = await reader.read();
        if (cancelled) return;
        if (chunk === undefined) controller.close();
        else controller.enqueue(chunk);
      },
      cancel: (reason) => {
        cancelled = true;
        reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}

/**
 * Wraps `source` as a pull-based, event-framed stream with a settle-once summary.
 *
 * @example
 * const relay = relaySse(source, {
 *   provider: 'deepseek', first, mapError: (e) => new NetworkError('deepseek', e),
 *   hooks: { beforeEnd: async (summary) => { await charge(summary.usage) } },
 * });
 */
export function relaySse(source: ChunkSource, options: RelayOptions): Relay {
  return new SseRelay(source, options);
}

type Phase = 'streaming' | 'terminal' | 'cut' | 'closing' | 'finished';

interface HeldEvent {
  json: unknown;
  raw: Uint8Array;
}

class SseRelay implements Relay {
  readonly summary: Promise<StreamSummary>;
  readonly #source: ChunkSource;
  readonly #options: RelayOptions;
  readonly #hooks: StreamHooks;
  readonly #protocol: SseProtocol;
  readonly #framer: SseFramer;
  #pending: Uint8Array | undefined;
  #phase: Phase = 'streaming';
  /** The terminal event's bytes, held while `beforeEnd` runs. */
  #terminal: Uint8Array | undefined;
  /** Why the stream ends early (`cut`), then after the last event was handed out (`closing`). */
  #failure: SafeRouterError | undefined;
  /** Set by a cancel that arrives while the hook runs: the hook finishes, nothing more is sent. */
  #cancelled = false;
  #hookRunning = false;
  #usage: Usage | undefined;
  /** The withheld usage event (`holdUsageEvent`). */
  #held: HeldEvent | undefined;
  readonly #holdsUsage: boolean;
  /** A source read still pending after a keep-alive comment was sent in its place. */
  #inflight: Promise<IteratorResult<Uint8Array, unknown>> | undefined;
  /** The keep-alive timer (one per stream) and what it does when it fires during a read. */
  #silence: ReturnType<typeof setTimeout> | undefined;
  #onSilence: (() => void) | undefined;
  #finishReason: string | undefined;
  #bytes = 0;
  #settle!: (summary: StreamSummary) => void;
  #stream: ReadableStream<Uint8Array> | undefined;

  constructor(source: ChunkSource, options: RelayOptions) {
    this.#source = source;
    this.#options = options;
    this.#hooks = options.hooks ?? {};
    this.#protocol = options.protocol ?? CHAT_COMPLETIONS_SSE;
    this.#framer = new SseFramer({ maxEventBytes: options.maxEventBytes });
    this.#pending = options.first;
    this.#holdsUsage = this.#hooks.holdUsageEvent === true && this.#hooks.beforeEnd !== undefined;
    this.summary = new Promise<StreamSummary>((resolve) => {
      this.#settle = resolve;
    });
  }

  async read(): Promise<Uint8Array | undefined> {
    for (;;) {
      switch (this.#phase) {
        case 'finished':
          return undefined;
        case 'closing':
          this.#finish(this.#failure);
          return undefined;
        case 'terminal':
          return this.#endWithHook();
        case 'cut':
          return this.#cutWithHook();
        case 'streaming': {
          const out = await this.#pull();
          if (out !== undefined) return this.#deliver(out);
        }
      }
    }
  }

  cancel(reason?: unknown): void {
    if (this.#phase === 'finished' || this.#cancelled) return;
    this.#cancelled = true;
    // A charge in flight completes (the text was delivered); only the terminal event is withheld.
    if (this.#hookRunning) return;
    this.#source.destroy();
    this.#finish(new AbortedError('The consumer cancelled the stream', reason));
  }

  get stream(): ReadableStream<Uint8Array> {
    this.#stream ??= pullStream(this);
    return this.#stream;
  }

  /**
   * Reads one chunk and returns what can be handed on now: whole events before any terminal one,
   * an error event when the source ended or broke first, or undefined (nothing complete yet, or
   * the stream was cancelled meanwhile).
   */
  async #pull(): Promise<Uint8Array | undefined> {
    let chunk = this.#pending;
    this.#pending = undefined;
    if (chunk === undefined) {
      let next: IteratorResult<Uint8Array, unknown> | typeof KEEP_ALIVE;
      try {
        next = await this.#next();
      } catch (error) {
        return this.#phase === 'finished' ? undefined : this.#cut(this.#options.mapError(error));
      }
      // A cancel may have arrived while we waited.
      if (this.#phase === 'finished') return undefined;
      if (next === KEEP_ALIVE) return KEEP_ALIVE_COMMENT;
      if (next.done === true) return this.#cut(new StreamInterruptedError(this.#options.provider));
      chunk = next.value;
    }
    this.#hooks.onSource?.(chunk);
    let frames;
    try {
      frames = this.#framer.push(chunk);
    } catch (error) {
      return this.#cut(new StreamInterruptedError(this.#options.provider, error));
    }
    const { window, ends } = frames;
    if (ends.length === 0) return undefined;
    const complete = ends[ends.length - 1] as number;

    // Cheap byte probes pick the few events worth parsing.
    let limit = complete;
    const probe = this.#protocol.terminalProbe;
    for (
      let at = nextKey(window, probe, 0, complete);
      at !== -1;
      at = nextKey(window, probe, at + probe.length, complete)
    ) {
      const [s, e] = eventAround(ends, at);
      if (this.#protocol.isTerminal(parseEvent(window, s, e))) {
        this.#terminal = completeCrLf(window.subarray(s, e));
        this.#phase = 'terminal';
        limit = s;
        break;
      }
    }
    const usageEvent = this.#readUsage(window, ends, limit);
    this.#readFinishReason(window, limit);
    if (limit === 0) return undefined;
    if (!this.#holdsUsage) return this.#emit(window, ends, 0, limit);
    // A withheld event followed by more events was not the last: it goes out first, in order.
    const previous = this.#held;
    this.#held = undefined;
    // Only a usage event that is the last complete one so far is withheld.
    const hold = usageEvent !== undefined && usageEvent.e === limit ? usageEvent : undefined;
    if (hold !== undefined) this.#held = { json: hold.json, raw: Buffer.from(window.subarray(hold.s, hold.e)) };
    const parts = [
      previous === undefined ? undefined : this.#emitHeld(previous),
      this.#emit(window, ends, 0, hold === undefined ? limit : hold.s),
    ].filter((part): part is Uint8Array => part !== undefined && part.byteLength > 0);
    if (parts.length === 0) return undefined;
    return parts.length === 1 ? parts[0] : Buffer.concat(parts);
  }

  /**
   * The source's next chunk, or KEEP_ALIVE when `keepAliveMs` passed first (the read stays in
   * flight). One timer per stream, re-armed with `refresh()` on every read: cheaper than a timer
   * per chunk on the hot path.
   */
  #next(): Promise<IteratorResult<Uint8Array, unknown> | typeof KEEP_ALIVE> {
    const pending = this.#inflight ?? this.#source.next();
    this.#inflight = undefined;
    const ms = this.#hooks.keepAliveMs;
    if (ms === undefined || ms <= 0) return pending;
    return new Promise((resolve, reject) => {
      let settled = false;
      this.#onSilence = () => {
        if (settled) return;
        settled = true;
        this.#inflight = pending;
        resolve(KEEP_ALIVE);
      };
      if (this.#silence === undefined) {
        this.#silence = setTimeout(() => this.#onSilence?.(), ms);
        this.#silence.unref?.();
      } else {
        this.#silence.refresh();
      }
      // A late result after the keep-alive is read by the next #next(), from #inflight.
      pending.then(
        (result) => {
          if (settled) return;
          settled = true;
          resolve(result);
        },
        (error: unknown) => {
          if (settled) return;
          settled = true;
          reject(error);
        },
      );
    });
  }

  /** The events in `[from, to)` of `window`, through the rewriter when there is one. */
  #emit(window: Buffer, ends: readonly number[], from: number, to: number): Uint8Array | undefined {
    if (to <= from) return undefined;
    const rewrite = this.#hooks.rewrite;
    if (rewrite !== undefined) return this.#rewrite(window, ends, from, to, rewrite);
    return from === 0 && to === window.byteLength ? window : window.subarray(from, to);
  }

  /** A withheld event released unchanged by the hook: through the rewriter like any other. */
  #emitHeld(held: HeldEvent): Uint8Array | undefined {
    const raw = Buffer.from(held.raw.buffer, held.raw.byteOffset, held.raw.byteLength);
    return this.#emit(raw, [raw.byteLength], 0, raw.byteLength);
  }

  /**
   * Parses the events (before `limit`) whose bytes hold `"usage":{`: usually one per stream.
   * Returns the last one that held a usage object.
   */
  #readUsage(
    window: Buffer,
    ends: readonly number[],
    limit: number,
  ): { s: number; e: number; json: unknown } | undefined {
    let found: { s: number; e: number; json: unknown } | undefined;
    let last = -1;
    for (
      let at = nextKey(window, 'usage"', 0, limit, OPEN_BRACE);
      at !== -1;
      at = nextKey(window, 'usage"', at + 6, limit, OPEN_BRACE)
    ) {
      const [s, e] = eventAround(ends, at);
      if (s === last) continue;
      last = s;
      let json: unknown;
      try {
        json = JSON.parse(eventData(window, s, e));
      } catch {
        continue; // not ours to judge; the bytes still pass through unchanged
      }
      const usage = readUsage(json);
      if (usage === undefined) continue;
      this.#usage = usage;
      found = { s, e, json };
    }
    return found;
  }

  /**
   * The last string `"finish_reason"` before `limit`, read from the bytes: it is a bare word
   * (`stop`, `length`, `tool_calls`), so the event's JSON need not be parsed for it. A value
   * with an escape in it is not a finish reason any client knows, and is skipped.
   */
  #readFinishReason(window: Buffer, limit: number): void {
    const key = '"finish_reason"';
    for (
      let at = nextKey(window, key, 0, limit, QUOTE);
      at !== -1;
      at = nextKey(window, key, at + key.length, limit, QUOTE)
    ) {
      const open = window.indexOf(QUOTE, at + key.length);
      const close = window.indexOf(QUOTE, open + 1);
      if (close === -1 || close >= limit || close - open > 64) continue;
      const value = window.toString('latin1', open + 1, close);
      if (!value.includes('\\')) this.#finishReason = value;
    }
  }

  /** The bytes in `[start, limit)`, with every event the rewriter changes replaced or dropped. */
  #rewrite(
    window: Buffer,
    ends: readonly number[],
    start: number,
    limit: number,
    rewrite: EventRewriter,
  ): Uint8Array | undefined {
    const parts: Uint8Array[] = [];
    let from = start;
    let last = -1;
    const probe = rewrite.probe;
    for (
      let at = nextKey(window, probe, start, limit);
      at !== -1;
      at = nextKey(window, probe, at + probe.length, limit)
    ) {
      const [s, e] = eventAround(ends, at);
      if (s === last) continue;
      last = s;
      const replaced = rewrite.event(parseEvent(window, s, e), window.subarray(s, e));
      if (replaced === undefined) continue;
      parts.push(window.subarray(from, s));
      if (replaced !== null) parts.push(replaced);
      from = e;
    }
    if (parts.length === 0) return start === 0 && limit === window.byteLength ? window : window.subarray(start, limit);
    parts.push(window.subarray(from, limit));
    const out = Buffer.concat(parts);
    return out.byteLength === 0 ? undefined : out;
  }

  /** Runs `beforeEnd` on a complete answer, then hands on its bytes and the terminal event; or an error event. */
  async #endWithHook(): Promise<Uint8Array | undefined> {
    const terminal = this.#terminal as Uint8Array;
    this.#terminal = undefined;
    this.#drainSource();
    let extra: Uint8Array | undefined;
    try {
      extra = await this.#runHook(this.#snapshot(true));
    } catch (error) {
      const failure = SafeRouterError.isInstance(error)
        ? error
        : new StreamInterruptedError(this.#options.provider, error);
      return this.#afterHook(failure, sseErrorEvent(hookFailureBody(error)));
    }
    const last =
      this.#hooks.dropTerminal === true ? extra : extra === undefined ? terminal : Buffer.concat([extra, terminal]);
    return this.#afterHook(undefined, last);
  }

  /**
   * Runs `beforeEnd` on a cut stream, then hands on its bytes and the one error event. Whatever
   * broke the stream, the event's code is `stream_interrupted`, the one code a client checks for a
   * cut; the message says why. A failing hook changes nothing: the stream is failing already.
   */
  async #cutWithHook(): Promise<Uint8Array | undefined> {
    const failure = this.#failure as SafeRouterError;
    const event = sseErrorEvent({
      error: { message: failure.message, type: 'upstream_error', code: 'stream_interrupted' },
    });
    let extra: Uint8Array | undefined;
    try {
      extra = await this.#runHook(this.#snapshot(false, failure));
    } catch {
      extra = undefined;
    }
    return this.#afterHook(failure, extra === undefined ? event : Buffer.concat([extra, event]));
  }

  /** The hook's bytes (undefined when there is no hook or it returned none). */
  async #runHook(summary: StreamSummary): Promise<Uint8Array | undefined> {
    const hook = this.#hooks.beforeEnd;
    if (hook === undefined) return undefined;
    this.#hookRunning = true;
    try {
      const extra = await hook(summary);
      return extra === undefined || extra.byteLength === 0 ? undefined : extra;
    } finally {
      this.#hookRunning = false;
    }
  }

  #afterHook(failure: SafeRouterError | undefined, last: Uint8Array | undefined): Uint8Array | undefined {
    if (this.#cancelled || last === undefined) {
      // The consumer left while the hook ran; the hook ran all the same.
      this.#finish(failure);
      return undefined;
    }
    this.#phase = 'closing';
    this.#failure = failure;
    return this.#deliver(last);
  }

  /** Ends the stream early: the source is dropped, and the next read runs the hook and hands on the error event. */
  #cut(error: SafeRouterError): undefined {
    this.#source.destroy();
    this.#phase = 'cut';
    this.#failure = error;
    return undefined;
  }

  #deliver(chunk: Uint8Array): Uint8Array {
    this.#bytes += chunk.byteLength;
    this.#hooks.onChunk?.(chunk);
    return chunk;
  }

  #snapshot(completed: boolean, error?: Error): StreamSummary {
    return {
      usage: this.#usage,
      usageEvent: this.#held,
      finishReason: this.#finishReason,
      bytes: this.#bytes,
      completed,
      error,
    };
  }

  /**
   * Settles the summary once. Every way a stream can end without the terminal event (a cut, a
   * cancel, a failed hook) carries an error, so `completed` is exactly "no error".
   */
  #finish(error: Error | undefined): void {
    if (this.#phase === 'finished') return;
    this.#phase = 'finished';
    if (this.#silence !== undefined) clearTimeout(this.#silence);
    this.#settle(this.#snapshot(error === undefined, error));
  }
  /**
   * After the terminal event nothing the upstream sends matters. Read the body to its end (so a
   * pooled keep-alive connection can be reused), but briefly: past a time or size budget, drop it.
   */
  #drainSource(): void {
    const source = this.#source;
    let read = 0;
    const timer = setTimeout(() => source.destroy(), DRAIN_MS);
    timer.unref?.();
    const loop = async (): Promise<void> => {
      try {
        for (;;) {
          const next = await source.next();
          if (next.done === true) break;
          read += next.value.byteLength;
          if (read > DRAIN_BYTES) {
            source.destroy();
            break;
          }
        }
      } catch {
        // A broken connection after the answer is complete changes nothing.
      } finally {
        clearTimeout(timer);
      }
    };
    void loop();
  }
}
