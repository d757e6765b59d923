/**
 * The provider specification, version 1: the small interface every upstream implements.
 * A chat model is `{ specificationVersion, provider, modelId }` plus a non-streaming and a
 * streaming call. Cross-cutting behaviour (fallback) wraps models; it never branches inside them.
 */
import type { AbortSignalLike } from './cancellation.js';

/** Token usage as reported by an OpenAI-compatible upstream. */
export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  /** Anything else the upstream reported (cache hits, reasoning tokens...). */
  [extra: string]: unknown;
}

/** An OpenAI chat-completions request body. Known fields are typed; the rest passes through. */
export interface ChatRequestBody {
  model: string;
  messages: readonly unknown[];
  stream?: boolean;
  max_tokens?: number;
  max_completion_tokens?: number;
  tools?: readonly unknown[];
  response_format?: unknown;
  stream_options?: { include_usage?: boolean; [k: string]: unknown };
  /** OpenRouter-style client fallback order. Never forwarded upstream. */
  models?: readonly string[];
  [k: string]: unknown;
}

export type Capability = 'reasoning' | 'tools' | 'vision' | 'json';

export interface CallOptions {
  /** The request body; the model sets `model` to its own upstream id before sending. */
  body: ChatRequestBody;
  /** Aborts the upstream call (client went away, or the gateway gave up): an `AbortSignal`, or a cheaper `Cancellation`. */
  signal?: AbortSignalLike | undefined;
  /** Extra headers for this one call (e.g. a request id). */
  headers?: Readonly<Record<string, string>> | undefined;
  /**
   * The provider credential for this one call, instead of the one the model was configured with:
   * a key the caller brought (BYOK). It lives only as long as the call; a model never logs it,
   * keeps it, or puts it in an error. Models without credentials (the demo) ignore it.
   */
  credential?: string | undefined;
  /** Stream hooks, run by the relay of whichever model answers (`doStream` only). */
  hooks?: StreamHooks | undefined;
}

/** One parsed SSE event, as the relay hands it to hooks. */
export interface SseEvent {
  /** The `event:` field, when the event names one. */
  event: string | undefined;
  /** The `data:` lines joined with `\n`; `''` for a comment or keep-alive. */
  data: string;
  id: string | undefined;
}

/** Rewrites chosen events of a stream (e.g. adds `usage.cost` to the usage chunk). */
export interface EventRewriter {
  /** Only events whose bytes contain this string are offered (keeps the hot path cheap). */
  probe: string;
  /**
   * Returns the replacement bytes (one or more whole events, each ending in a blank line),
   * `null` to drop the event, or `undefined` to keep it unchanged. `raw` is the event as received.
   */
  event(event: SseEvent, raw: Uint8Array): Uint8Array | null | undefined;
}

/**
 * What a consumer can attach to a stream. The relay owns the protocol's end: it recognises the
 * terminal event (`data: [DONE]`) by parsing events and holds it back until `beforeEnd` is done.
 */
export interface StreamHooks {
  /** Sees every chunk handed to the consumer, in order (e.g. to hash or estimate what was delivered). */
  onChunk?: ((chunk: Uint8Array) => void) | undefined;
  /**
   * Sees every chunk read from the upstream, before framing or rewriting: what the upstream
   * produced, delivered or not (e.g. to estimate a stream whose client left, hidden reasoning
   * included).
   */
  onSource?: ((chunk: Uint8Array) => void) | undefined;
  rewrite?: EventRewriter | undefined;
  /**
   * With `beforeEnd`: the last event that carries a `usage` object is withheld from the stream and
   * handed to `beforeEnd` as `summary.usageEvent`, which then sends it (rewritten: the cost added)
   * among its bytes. An earlier usage event is released, through `rewrite`, when a later one comes.
   */
  holdUsageEvent?: boolean | undefined;
  /** With `beforeEnd`: the terminal event (`data: [DONE]`) is not sent; the hook's bytes end the stream. */
  dropTerminal?: boolean | undefined;
  /**
   * After this long without an upstream byte, the consumer gets an SSE comment
   * (`: SAFEROUTER PROCESSING`), and again after each further such gap, so proxies do not time
   * the stream out during long silent reasoning. Default: none.
   */
  keepAliveMs?: number | undefined;
  /**
   * Runs once, when the stream reaches its end and before its last event is handed on:
   * - the upstream's terminal event arrived (`summary.completed` is true): it runs before that
   *   event is sent. If it throws, the consumer gets an SSE error event (the error's own OpenAI
   *   body when it is a `SafeRouterError`) and no terminal event;
   * - the stream was cut (`completed` false, `error` set): it runs before the cut's error event.
   *   A throw changes nothing there.
   * It may return bytes to send just before that last event (an SSE comment carrying a receipt).
   * It does not run for a consumer that cancelled first; one that cancels while it runs lets it
   * finish, and is sent nothing more.
   */
  beforeEnd?: ((summary: StreamSummary) => Promise<Uint8Array | undefined | void>) | undefined;
}

export interface GenerateResult {
  /** Upstream HTTP status (2xx here; errors are thrown as `UpstreamError`). */
  status: number;
  /** Raw response body bytes, as the upstream sent them. */
  body: Uint8Array;
  /** The body parsed as JSON, when it is JSON (parsed once, here, for whoever needs it). */
  json?: unknown;
  /** Parsed usage, when the upstream reported it. */
  usage?: Usage | undefined;
  finishReason?: string | undefined;
  /** Milliseconds from call start to the first response byte. */
  ttfbMs: number;
}

/** What the relay learned from a stream, resolved when the stream ends (cleanly or not). */
export interface StreamSummary {
  usage?: Usage | undefined;
  /** The withheld usage event (`hooks.holdUsageEvent`): its parsed JSON and its bytes as received. */
  usageEvent?: { json: unknown; raw: Uint8Array } | undefined;
  finishReason?: string | undefined;
  /** Bytes handed to the consumer. */
  bytes: number;
  /**
   * True when the upstream's terminal event arrived and `beforeEnd` (if any) succeeded: the answer
   * is complete and accounted for. False for a cut, a cancel before that point, or a failed hook.
   */
  completed: boolean;
  /** Why the stream ended early (upstream cut, abort, hook failure); undefined when completed. */
  error?: Error | undefined;
}

export interface StreamResult {
  status: number;
  /**
   * Upstream SSE events, as whole events and byte for byte unless a hook rewrote one. The first
   * chunk has already been received from the upstream when `doStream` resolves, so fallback can
   * still happen before it. If the upstream dies mid-stream, the stream emits an SSE error event
   * (`data: {"error":{...}}`) and ends without `data: [DONE]`.
   * Cancelling it aborts the upstream request.
   */
  readonly stream: ReadableStream<Uint8Array>;
  /**
   * The same bytes without a web stream, for servers that write to a Node socket: the next
   * chunk, or `undefined` at the end. Use either `stream` or `read()`/`cancel()`, not both.
   */
  read(): Promise<Uint8Array | undefined>;
  /** Stops the stream and aborts the upstream request. Idempotent. */
  cancel(reason?: unknown): void;
  /** Settles when the stream is finished, for billing and activity. Never rejects. */
  summary: Promise<StreamSummary>;
  ttfbMs: number;
}

/** Version 1 of the chat model interface. */
export interface ChatModelV1 {
  readonly specificationVersion: 'v1';
  /** Provider id, e.g. `deepseek`. */
  readonly provider: string;
  /** The id sent upstream, e.g. `deepseek-v4-flash`. */
  readonly modelId: string;
  /** Non-streaming call. @throws {SafeRouterError} on any failure. */
  doGenerate(options: CallOptions): Promise<GenerateResult>;
  /** Streaming call. @throws {SafeRouterError} on any failure before the first byte. */
  doStream(options: CallOptions): Promise<StreamResult>;
}
