/**
 * Public types of the fake upstream. Kept apart from the server so tests and the benchmark can
 * import them without pulling in node:http.
 */

/** How the fake answers requests for one model. Every field is optional; `{}` is a clean 200. */
export interface FakeBehavior {
  /** Answer with this HTTP status; >= 400 sends an OpenAI-shaped error body (default 200). */
  status?: number;
  /** Custom JSON error body for status >= 400, sent verbatim instead of the default shape. */
  errorBody?: unknown;
  /** Wait this long before sending response headers. */
  delayMs?: number;
  /** Accept the request and never answer, until the client goes away. Overrides everything else. */
  hang?: boolean;
  /** Stream: send headers at once, the first body chunk after this delay. */
  firstChunkDelayMs?: number;
  /** Stream: delay between data chunks (default 0: the whole stream goes out in one write). */
  chunkDelayMs?: number;
  /**
   * Stream: destroy the socket after N `data:` events (the role chunk counts), never sending
   * `[DONE]` nor the terminating HTTP chunk: a mid-stream death. 0 dies right after the headers.
   */
  cutAfterChunks?: number;
  /** DeepSeek-reasoner style `reasoning_content` before the content (stream and non-stream). */
  reasoning?: boolean;
  /**
   * Stream: `: keep-alive` SSE comments right after the headers and every 100 ms until the first
   * data chunk, as DeepSeek does while a request is queued. Non-stream with `delayMs`: headers at
   * once, then blank lines until the JSON body (DeepSeek's non-stream keep-alive).
   */
  keepAlive?: boolean;
  /** Reply text (default: a fixed deterministic sentence). */
  content?: string;
  /** Stream: number of content (and reasoning) deltas to split the text into (default 8). */
  chunks?: number;
  /**
   * Override the reported usage; by default the counts are estimated at ~4 characters per token
   * and DeepSeek's cache counters (all misses) are added. Any field besides the two counts is an
   * extra, sent verbatim (e.g. `prompt_cache_hit_tokens`, `prompt_tokens_details: { cached_tokens }`,
   * `completion_tokens_details: { reasoning_tokens }`, even `total_tokens`): with one or more
   * extras the usage object is exactly `prompt_tokens`, `completion_tokens`, `total_tokens` (their
   * sum) and the extras, without the default cache counters. Stream and non-stream alike.
   */
  usage?: FakeUsage;
  /**
   * Answer with these tool calls (finish reason `tool_calls`): `message.tool_calls` in a
   * non-stream reply; in a stream, OpenAI-style deltas per call, one with `index`, `id`
   * (`call_fake_<index>`), `type` and `function.name` with empty `arguments`, then the arguments
   * split across `chunks` deltas (`{ index, function: { arguments } }`), so a client must
   * reassemble them. The message content is null unless `content` is set too (then it is
   * streamed before the calls). `reasoning` still comes first.
   */
  toolCalls?: FakeToolCall[];
  /**
   * Override the finish reason (default `stop`, or `tool_calls` with `toolCalls`). `null` omits
   * it: a stream then has no finish chunk at all, a non-stream reply has `finish_reason: null`.
   */
  finishReason?: string | null;
  /**
   * An answer with nothing in it: no content (or reasoning) deltas, `content: ''`, and
   * `completion_tokens` 0 unless `usage` says otherwise. Not with `content`, `reasoning` or
   * `toolCalls`.
   */
  emptyCompletion?: boolean;
  /**
   * Stream: where usage goes when the client asked for it (`stream_options.include_usage`):
   * `'final-chunk'` (default, OpenAI style) is a chunk of its own with `choices: []` after the
   * finish chunk; `'last-content-chunk'` (DeepSeek/GLM style) puts `usage` in the last chunk that
   * has a choice, the finish chunk (or the last delta when `finishReason` is null).
   */
  usageIn?: 'final-chunk' | 'last-content-chunk';

  // The fields below shape the stream's bytes, to test that a client or gateway recognises the
  // end of an SSE stream by parsing events, not by matching bytes. `cutAfterChunks` wins over all
  // of them: a cut stream never reaches its tail.

  /**
   * Stream: write the (first) `data: [DONE]\n\n` event in two writes split at this byte offset of
   * the event (1 .. its length - 1), e.g. 9 sends `data: [DO`, then `NE]\n\n` after
   * `doneSplitDelayMs`. Everything before `[DONE]` goes out in writes of its own first, so both
   * parts are separate HTTP chunks and separate TCP writes. Not with `omitDone`.
   */
  doneSplitAt?: number;
  /** Stream: pause between the two parts of a split `[DONE]` (default 50 ms). */
  doneSplitDelayMs?: number;
  /** Stream: the SSE line terminator, used everywhere; an event ends with two (default `'\n'`). */
  lineEnding?: '\n' | '\r\n' | '\r';
  /** Stream: `data:{…}` and `data:[DONE]`, without the (optional) space after the colon. */
  dataNoSpace?: boolean;
  /** Stream: raw bytes written after the `[DONE]` event(s), before the response ends. */
  afterDone?: string;
  /** Stream: send the `[DONE]` event twice. */
  doubleDone?: boolean;
  /** Stream: end the response cleanly (terminating HTTP chunk and all) without any `[DONE]`. */
  omitDone?: boolean;
  /**
   * Stream: after the last bytes (`[DONE]`, or `afterDone`), wait this long before ending the
   * response with the terminating HTTP chunk. A reader that treats the end of the response, not
   * the `[DONE]` event, as the end of the stream is late by exactly this much.
   */
  endDelayMs?: number;
}

/** Reported usage: the two counts (estimated when absent) and any extra field, verbatim. */
export interface FakeUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  [extra: string]: unknown;
}

/** One tool call of a `toolCalls` answer; `arguments` is the JSON text the model "wrote". */
export interface FakeToolCall {
  name: string;
  arguments: string;
}

/** One request as the fake saw it. `aborted` and `finished` change while the response runs. */
export interface RecordedRequest {
  id: number;
  path: string;
  model: string;
  stream: boolean;
  /** The request body as received: `JSON.parse` of the bytes the client sent, never altered. */
  body: Record<string, unknown>;
  headers: Record<string, string | string[] | undefined>;
  startedAt: number;
  /** The client closed the connection before the response completed. */
  aborted: boolean;
  /** The response was completely written. */
  finished: boolean;
}

export interface FakeUpstream {
  /** e.g. `http://127.0.0.1:43123`; providers use `${url}/v1` as their OpenAI base URL. */
  url: string;
  port: number;
  /** Every chat request received, oldest first, at most 10 000 (oldest dropped). Empty with `record: false`. */
  requests: RecordedRequest[];
  /** Behavior for requests whose body `model` equals `model`; `'*'` is the default for all others. */
  setBehavior(model: string, behavior: FakeBehavior): void;
  /** Forget every behavior (back to defaults) and every recorded request. */
  reset(): void;
  /**
   * Resolve once `predicate(requests)` holds; it is re-checked on every new request and every
   * abort/finish. @throws Error after `timeoutMs` (default 2000).
   */
  waitFor(predicate: (r: RecordedRequest[]) => boolean, timeoutMs?: number): Promise<void>;
  /** Stop listening and drop every open connection, hanging ones included. */
  close(): Promise<void>;
}

export interface StartOptions {
  /** Port to listen on (default 0: a free one). */
  port?: number;
  /** Interface to bind (default 127.0.0.1). */
  host?: string;
  /** Initial behaviors, as if passed to `setBehavior`; `reset()` does not restore them. */
  behaviors?: Record<string, FakeBehavior>;
  /** Keep a request log (default true). Benchmarks turn it off to keep the hot path lean. */
  record?: boolean;
}
