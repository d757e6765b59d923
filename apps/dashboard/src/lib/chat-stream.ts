/**
 * One streamed chat completion, as the chat and compare pages need it: deltas of the answer and
 * of `reasoning_content` as they arrive, then the usage, the timings and the request id. Errors
 * arrive either as an HTTP error before the stream (402, 429, ...) or as an SSE error event after
 * it started (`stream_interrupted`); both become an `ApiError`. SSE comments (the receipt) are
 * skipped by the parser, as any SSE client does.
 */
import { EventSourceParserStream } from 'eventsource-parser/stream';
import { ApiError, errorFrom, type Fetch } from './api';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens?: number;
  completion_tokens_details?: { reasoning_tokens?: number };
  cost?: number;
}

export interface StreamResult {
  model: string;
  content: string;
  reasoning: string;
  usage: Usage | undefined;
  finishReason: string | null;
  requestId: string | undefined;
  /** ms from send to the first content or reasoning delta. */
  ttftMs: number | undefined;
  totalMs: number;
  /** `X-SafeRouter-Fallback-To`, when a fallback answered. */
  fallbackTo: string | undefined;
}

export interface StreamCallbacks {
  onReasoning?: (text: string) => void;
  onContent?: (text: string) => void;
  onFirstToken?: (ttftMs: number) => void;
  /** The response's headers arrived: the request id and fallback are known even if the stream is later stopped. */
  onResponse?: (info: { requestId: string | undefined; fallbackTo: string | undefined }) => void;
}

interface Chunk {
  model?: string;
  choices?: { delta?: { content?: string | null; reasoning_content?: string | null }; finish_reason?: string | null }[];
  usage?: Usage | null;
  error?: Record<string, unknown>;
}

/**
 * @throws {ApiError} on an error answer or an error event; a `DOMException` named `AbortError`
 *   when `signal` aborts (the gateway then stops the upstream and bills only what was delivered).
 */
export async function streamChat(
  options: { key: string; model: string; messages: ChatMessage[]; signal: AbortSignal; fetch: Fetch },
  callbacks: StreamCallbacks = {},
): Promise<StreamResult> {
  const started = performance.now();
  const res = await options.fetch('/v1/chat/completions', {
    method: 'POST',
    headers: { authorization: `Bearer ${options.key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: options.model, messages: options.messages, stream: true }),
    signal: options.signal,
  });
  if (!res.ok) throw await errorFrom(res);
  if (res.body === null) throw new ApiError(502, { message: 'The gateway answered with no body.' });
  const result: StreamResult = {
    model: options.model,
    content: '',
    reasoning: '',
    usage: undefined,
    finishReason: null,
    requestId: res.headers.get('x-request-id') ?? undefined,
    ttftMs: undefined,
    totalMs: 0,
    fallbackTo: res.headers.get('x-saferouter-fallback-to') ?? undefined,
  };
  callbacks.onResponse?.({ requestId: result.requestId, fallbackTo: result.fallbackTo });
  const first = (): void => {
    if (result.ttftMs !== undefined) return;
    result.ttftMs = performance.now() - started;
    callbacks.onFirstToken?.(result.ttftMs);
  };
  let done = false;
  const events = res.body.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream());
  const reader = events.getReader();
  try {
    for (;;) {
      const { value, done: ended } = await reader.read();
      if (ended) break;
      if (value.data === '[DONE]') {
        done = true;
        break;
      }
      let chunk: Chunk;
      try {
        chunk = JSON.parse(value.data) as Chunk;
      } catch {
        continue;
      }
      if (chunk.error !== undefined) throw new ApiError(502, chunk.error);
      if (typeof chunk.model === 'string') result.model = chunk.model;
      if (chunk.usage) result.usage = chunk.usage;
      for (const choice of chunk.choices ?? []) {
        const reasoning = choice.delta?.reasoning_content;
        if (typeof reasoning === 'string' && reasoning !== '') {
          first();
          result.reasoning += reasoning;
          callbacks.onReasoning?.(result.reasoning);
        }
        const content = choice.delta?.content;
        if (typeof content === 'string' && content !== '') {
          first();
          result.content += content;
          callbacks.onContent?.(result.content);
        }
        if (choice.finish_reason) result.finishReason = choice.finish_reason;
      }
    }
  } finally {
    reader.releaseLock();
  }
  if (!done)
    throw new ApiError(502, { message: 'The stream ended before it was complete.', code: 'stream_interrupted' });
  result.totalMs = performance.now() - started;
  return result;
}
