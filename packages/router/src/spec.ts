/**
 * The provider specification, version 1: the small interface every upstream implements.
 * A chat model is `{ specificationVersion, provider, modelId }` plus a non-streaming and a
 * streaming call. Cross-cutting behaviour (fallback) wraps models; it never branches inside them.
 */

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
  /** Aborts the upstream call (client went away, or the gateway gave up). */
  signal?: AbortSignal | undefined;
  /** Extra headers for this one call (e.g. a request id). */
  headers?: Readonly<Record<string, string>> | undefined;
}

export interface GenerateResult {
  /** Upstream HTTP status (2xx here; errors are thrown as `UpstreamError`). */
  status: number;
  /** Raw response body bytes, passed to the client unchanged. */
  body: Uint8Array;
  /** Parsed usage, when the upstream reported it. */
  usage?: Usage | undefined;
  finishReason?: string | undefined;
  /** Milliseconds from call start to the first response byte. */
  ttfbMs: number;
}

/** What the SSE tap learned from a stream, resolved when the stream ends (cleanly or not). */
export interface StreamSummary {
  usage?: Usage | undefined;
  finishReason?: string | undefined;
  /** Bytes delivered to the consumer. */
  bytes: number;
  /** True only if the upstream sent `data: [DONE]` and closed cleanly. */
  completed: boolean;
  /** Set when the stream ended in an error (upstream cut, abort). */
  error?: Error | undefined;
}

export interface StreamResult {
  status: number;
  /**
   * Upstream SSE bytes, unchanged and unbuffered. The first chunk has already been received
   * from the upstream when `doStream` resolves, so fallback can still happen before it.
   * If the upstream dies mid-stream, the stream emits an SSE error event
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
