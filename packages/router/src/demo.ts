/**
 * The built-in demo provider: answers offline, for free, so SafeRouter can be tried (and its
 * streaming, billing and verification paths exercised) without any upstream API key.
 *
 * Replies are deterministic, derived only from the request: the same messages always give the
 * same bytes (apart from `created`, which comes from the injected clock). Streams are proper
 * OpenAI `chat.completion.chunk` SSE; `*-thinking` models first stream DeepSeek-style
 * `reasoning_content` deltas (unless the request's `reasoning` turns reasoning off) and report
 * `completion_tokens_details.reasoning_tokens`. Streams go through the same relay and SSE tap as
 * real upstreams.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { reasoningIntent } from './adapters/index.js';
import { AbortedError } from './errors.js';
import type { CallOptions, ChatModelV1, ChatRequestBody, GenerateResult, StreamResult, Usage } from './spec.js';
import { relaySse } from './sse-relay.js';
import { toRouterError } from './transport-errors.js';

export interface DemoProviderSettings {
  /** Clock for `created`; defaults to `Date.now`. */
  now?: (() => number) | undefined;
  /** Pause between streamed chunks, to look like a real model. Default 0. */
  chunkDelayMs?: number | undefined;
  /** Provider id reported on models. Default `saferouter`. */
  provider?: string | undefined;
}

interface DemoAnswer {
  id: string;
  reasoning: string | undefined;
  content: string;
  usage: Usage;
}

const encoder = new TextEncoder();
const QUOTE_LIMIT = 160;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** The text of a message's `content`, whether a string or an array of parts. */
function textOf(message: unknown): string {
  if (!isRecord(message)) return '';
  const content = message['content'];
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part: unknown) => (isRecord(part) && typeof part['text'] === 'string' ? part['text'] : ''))
    .filter((text) => text !== '')
    .join(' ');
}

/** FNV-1a, 32 bits: a short stable id for a request, not a security property. */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(16).padStart(8, '0');
}

const estimateTokens = (chars: number): number => Math.ceil(chars / 4);

/**
 * Composes the whole answer for a request; a pure function of `modelId` and `body` (its
 * `messages`, and its `reasoning` for a `*-thinking` model).
 *
 * @example demoAnswer('saferouter/demo', { model: 'saferouter/demo', messages }).content
 */
export function demoAnswer(modelId: string, body: ChatRequestBody): DemoAnswer {
  const messages: readonly unknown[] = Array.isArray(body.messages) ? body.messages : [];
  const lastUser = [...messages].reverse().find((m) => isRecord(m) && m['role'] === 'user');
  const said = textOf(lastUser).replace(/\s+/g, ' ').trim();
  const quote = said.length > QUOTE_LIMIT ? `${said.slice(0, QUOTE_LIMIT - 1)}…` : said;
  const intro = `Hello! I am SafeRouter's built-in demo model (${modelId}). I answer offline, so no upstream provider was called and this reply costs nothing.`;
  const content =
    quote === '' ? `${intro} Send me a message and I will echo it back.` : `${intro} You said: "${quote}"`;
  // A thinking model honours `reasoning: { enabled: false }` / `{ effort: 'none' }` like a hybrid one.
  const thinking = modelId.endsWith('thinking') && reasoningIntent(body['reasoning'])?.on !== false;
  const reasoning = thinking
    ? `The user sent ${messages.length} message(s); the last user message has ${said.length} characters. I am the demo model, so I should say so and quote it back.`
    : undefined;

  const promptChars = messages.reduce<number>((sum, m) => sum + textOf(m).length, 0);
  const reasoningTokens = estimateTokens(reasoning?.length ?? 0);
  const completionTokens = estimateTokens(content.length) + reasoningTokens;
  const promptTokens = estimateTokens(promptChars);
  const usage: Usage = {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
    ...(thinking ? { completion_tokens_details: { reasoning_tokens: reasoningTokens } } : {}),
  };
  return { id: `chatcmpl-demo-${fnv1a(`${modelId}\n${JSON.stringify(messages)}`)}`, reasoning, content, usage };
}

/** Splits text into deltas of a few words each, keeping every character. */
function pieces(text: string): string[] {
  const words = text.match(/\S+\s*/g) ?? [];
  const out: string[] = [];
  for (let i = 0; i < words.length; i += 3) out.push(words.slice(i, i + 3).join(''));
  return out;
}

/** The full SSE byte sequence for one streamed answer. */
function sseEvents(modelId: string, created: number, answer: DemoAnswer, includeUsage: boolean): Uint8Array[] {
  const base = { id: answer.id, object: 'chat.completion.chunk', created, model: modelId };
  const chunk = (delta: Record<string, unknown>, finishReason: string | null): string =>
    JSON.stringify({ ...base, choices: [{ index: 0, delta, finish_reason: finishReason }] });
  const events: string[] = [chunk({ role: 'assistant', content: '' }, null)];
  for (const piece of pieces(answer.reasoning ?? '')) events.push(chunk({ reasoning_content: piece }, null));
  for (const piece of pieces(answer.content)) events.push(chunk({ content: piece }, null));
  events.push(chunk({}, 'stop'));
  if (includeUsage) events.push(JSON.stringify({ ...base, choices: [], usage: answer.usage }));
  events.push('[DONE]');
  return events.map((data) => encoder.encode(`data: ${data}\n\n`));
}

/**
 * Creates the offline demo provider.
 *
 * @example
 * const demo = createDemoProvider({ chunkDelayMs: 20 });
 * const { stream } = await demo('saferouter/demo-thinking').doStream({ body });
 */
export function createDemoProvider(settings: DemoProviderSettings = {}): (modelId: string) => ChatModelV1 {
  const now = settings.now ?? Date.now;
  const chunkDelayMs = settings.chunkDelayMs ?? 0;
  const provider = settings.provider ?? 'saferouter';

  return (modelId: string): ChatModelV1 => ({
    specificationVersion: 'v1',
    provider,
    modelId,

    doGenerate(options: CallOptions): Promise<GenerateResult> {
      if (options.signal?.aborted === true) return Promise.reject(new AbortedError());
      const answer = demoAnswer(modelId, options.body);
      const message: Record<string, unknown> = { role: 'assistant', content: answer.content };
      if (answer.reasoning !== undefined) message['reasoning_content'] = answer.reasoning;
      const json = JSON.stringify({
        id: answer.id,
        object: 'chat.completion',
        created: Math.floor(now() / 1000),
        model: modelId,
        choices: [{ index: 0, message, finish_reason: 'stop' }],
        usage: answer.usage,
      });
      return Promise.resolve({
        status: 200,
        body: encoder.encode(json),
        usage: answer.usage,
        finishReason: 'stop',
        ttfbMs: 0,
      });
    },

    doStream(options: CallOptions): Promise<StreamResult> {
      const signal = options.signal;
      if (signal?.aborted === true) return Promise.reject(new AbortedError());
      const answer = demoAnswer(modelId, options.body);
      const includeUsage = options.body.stream_options?.include_usage === true;
      const events = sseEvents(modelId, Math.floor(now() / 1000), answer, includeUsage);
      const stop = new AbortController();
      // The caller's signal may be any AbortSignalLike: forward its abort to our own controller,
      // and stop listening once the stream is over (a long-lived signal must not collect listeners).
      const onAbort = (): void => stop.abort(signal?.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      const waitSignal = stop.signal;
      let index = 0;
      const source = {
        async next(): Promise<IteratorResult<Uint8Array, unknown>> {
          if (index >= events.length) {
            signal?.removeEventListener('abort', onAbort);
            return { done: true, value: undefined };
          }
          if (index > 0 && chunkDelayMs > 0) await delay(chunkDelayMs, undefined, { signal: waitSignal });
          if (signal?.aborted === true) throw new AbortedError();
          const value = events[index++] as Uint8Array;
          return { done: false, value };
        },
        destroy(): void {
          signal?.removeEventListener('abort', onAbort);
          stop.abort();
        },
      };
      const relay = relaySse(source, {
        provider,
        mapError: (error) => toRouterError(error, provider, signal),
        hooks: options.hooks,
      });
      return Promise.resolve(Object.assign(relay, { status: 200, ttfbMs: 0 }));
    },
  });
}
