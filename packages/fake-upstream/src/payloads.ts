/**
 * Wire payloads in DeepSeek's exact shapes. Everything that does not depend on the request is
 * serialized once per behavior (a "plan"), so a hot request only concatenates a few strings:
 * the benchmark pushes tens of thousands of requests through here and the fake must never be
 * the bottleneck it measures.
 */
import type { FakeBehavior, FakeToolCall } from './types.js';
import { buildWire, type Wire } from './wire.js';

export const DEFAULT_CONTENT = 'Hello! This is a deterministic reply from the SafeRouter fake upstream.';
export const DEFAULT_REASONING = 'The user wants a greeting. A short, friendly reply will do.';
export const DEFAULT_CHUNKS = 8;
const FINGERPRINT = 'fp_fake_upstream';

/** A behavior with its request-independent JSON fragments precomputed. */
export interface Plan {
  behavior: FakeBehavior;
  /** `"choices":[…]` of the non-stream body. */
  messageChoices: string;
  /** `"choices":[…]` of every stream chunk, in order: role, reasoning…, content…, tool calls…, finish. */
  chunkChoices: string[];
  completionTokens: number;
  reasoningTokens: number;
  /** `usage` fields besides the two counts, sent verbatim; undefined for DeepSeek's default shape. */
  usageExtra: Record<string, unknown> | undefined;
  /** Stream usage rides on the last choice chunk instead of a `choices: []` chunk of its own. */
  usageInLastChunk: boolean;
  /** The stream's wire shape; undefined for the default one (`data: …\n\n`, one `[DONE]`). */
  wire: Wire | undefined;
}

/** Split into at most `n` non-empty pieces of near-equal length, never inside a surrogate pair. */
export function splitText(text: string, n: number): string[] {
  const chars = Array.from(text);
  if (chars.length === 0) return [];
  const parts = Math.max(1, Math.min(Math.floor(n), chars.length));
  const size = Math.ceil(chars.length / parts);
  const out: string[] = [];
  for (let i = 0; i < chars.length; i += size) out.push(chars.slice(i, i + size).join(''));
  return out;
}

/** The ~4 characters per token rule of thumb; close enough for billing tests to see sane numbers. */
export function estimateTokens(chars: number): number {
  return Math.ceil(chars / 4);
}

type Delta = Record<string, unknown>;

/** The tool-call deltas of a stream: per call, a header delta, then its arguments in pieces. */
function toolCallDeltas(calls: readonly FakeToolCall[], pieces: number): Delta[] {
  const deltas: Delta[] = [];
  calls.forEach((call, index) => {
    const head = { index, id: toolCallId(index), type: 'function', function: { name: call.name, arguments: '' } };
    deltas.push({ tool_calls: [head] });
    for (const args of splitText(call.arguments, pieces)) {
      deltas.push({ tool_calls: [{ index, function: { arguments: args } }] });
    }
  });
  return deltas;
}

const toolCallId = (index: number): string => `call_fake_${index}`;

export function buildPlan(behavior: FakeBehavior): Plan {
  const empty = behavior.emptyCompletion === true;
  const calls = behavior.toolCalls;
  // With tool calls the content is null unless set explicitly; an empty answer has ''.
  const content = empty ? '' : calls !== undefined ? behavior.content : (behavior.content ?? DEFAULT_CONTENT);
  const reasoning = behavior.reasoning === true && !empty ? DEFAULT_REASONING : undefined;
  const finish =
    behavior.finishReason === undefined ? (calls === undefined ? 'stop' : 'tool_calls') : behavior.finishReason;

  const message: Record<string, unknown> = { role: 'assistant', content: content ?? null };
  if (reasoning !== undefined) message['reasoning_content'] = reasoning;
  if (calls !== undefined) {
    message['tool_calls'] = calls.map((c, i) => ({
      id: toolCallId(i),
      type: 'function',
      function: { name: c.name, arguments: c.arguments },
    }));
  }
  const messageChoices = `"choices":${JSON.stringify([{ index: 0, message, logprobs: null, finish_reason: finish }])}`;

  const pieces = behavior.chunks ?? DEFAULT_CHUNKS;
  const deltas: Delta[] = [];
  // DeepSeek opens with the role; the reasoner sets content null and reasoning_content '' there.
  deltas.push(
    reasoning === undefined
      ? { role: 'assistant', content: '' }
      : { role: 'assistant', content: null, reasoning_content: '' },
  );
  if (reasoning !== undefined) {
    for (const r of splitText(reasoning, pieces)) deltas.push({ content: null, reasoning_content: r });
  }
  for (const c of splitText(content ?? '', pieces)) {
    deltas.push(reasoning === undefined ? { content: c } : { content: c, reasoning_content: null });
  }
  if (calls !== undefined) deltas.push(...toolCallDeltas(calls, pieces));
  const chunkChoices = deltas.map(
    (delta) => `"choices":${JSON.stringify([{ index: 0, delta, logprobs: null, finish_reason: null }])}`,
  );
  if (finish !== null) {
    // DeepSeek closes a text answer with an empty content delta, OpenAI a tool-call one with {}.
    const delta = calls === undefined ? { content: '' } : {};
    chunkChoices.push(`"choices":${JSON.stringify([{ index: 0, delta, logprobs: null, finish_reason: finish }])}`);
  }

  const reasoningTokens = reasoning === undefined ? 0 : estimateTokens(reasoning.length);
  const callChars = (calls ?? []).reduce((n, c) => n + c.name.length + c.arguments.length, 0);
  const { prompt_tokens: _p, completion_tokens: _c, ...extra } = behavior.usage ?? {};
  return {
    behavior,
    messageChoices,
    chunkChoices,
    completionTokens: estimateTokens((content ?? '').length + callChars) + reasoningTokens,
    reasoningTokens,
    usageExtra: Object.keys(extra).length > 0 ? extra : undefined,
    usageInLastChunk: behavior.usageIn === 'last-content-chunk',
    wire: buildWire(behavior),
  };
}

/** Prompt size in characters over every text the request carries in `messages`. */
export function promptChars(messages: unknown): number {
  if (!Array.isArray(messages)) return 0;
  let n = 0;
  for (const m of messages) {
    if (typeof m !== 'object' || m === null) continue;
    const content: unknown = (m as { content?: unknown }).content;
    if (typeof content === 'string') n += content.length;
    else if (Array.isArray(content)) {
      for (const part of content) {
        const text: unknown = typeof part === 'object' && part !== null ? (part as { text?: unknown }).text : undefined;
        if (typeof text === 'string') n += text.length;
      }
    }
  }
  return n;
}

/**
 * DeepSeek's usage object, including its cache counters (all misses here); with extras, the two
 * counts, their total and the extras as given.
 */
export function usageJson(plan: Plan, messages: unknown): string {
  const prompt = plan.behavior.usage?.prompt_tokens ?? estimateTokens(promptChars(messages));
  const completion = plan.behavior.usage?.completion_tokens ?? plan.completionTokens;
  if (plan.usageExtra !== undefined) {
    return JSON.stringify({
      prompt_tokens: prompt,
      completion_tokens: completion,
      total_tokens: prompt + completion,
      ...plan.usageExtra,
    });
  }
  const details =
    plan.reasoningTokens > 0 ? `,"completion_tokens_details":{"reasoning_tokens":${plan.reasoningTokens}}` : '';
  return (
    `{"prompt_tokens":${prompt},"completion_tokens":${completion},"total_tokens":${prompt + completion},` +
    `"prompt_tokens_details":{"cached_tokens":0},"prompt_cache_hit_tokens":0,"prompt_cache_miss_tokens":${prompt}${details}}`
  );
}

/** The `chat.completion` body of a non-stream reply. */
export function completionBody(plan: Plan, id: string, model: string, messages: unknown): string {
  const created = Math.floor(Date.now() / 1000);
  return (
    `{"id":"${id}","object":"chat.completion","created":${created},"model":${JSON.stringify(model)},` +
    `"system_fingerprint":"${FINGERPRINT}",${plan.messageChoices},"usage":${usageJson(plan, messages)}}`
  );
}

/**
 * Every `data:` event of a stream reply, in order, without `[DONE]`. Usage is present only when
 * the client asked for it, as with OpenAI and DeepSeek: in a `choices: []` chunk of its own, or
 * in the last choice chunk with `usageIn: 'last-content-chunk'`.
 */
export function streamEvents(
  plan: Plan,
  id: string,
  model: string,
  messages: unknown,
  includeUsage: boolean,
): string[] {
  const created = Math.floor(Date.now() / 1000);
  const head = `data: {"id":"${id}","object":"chat.completion.chunk","created":${created},"model":${JSON.stringify(model)},"system_fingerprint":"${FINGERPRINT}",`;
  const events = plan.chunkChoices.map((choices) => `${head}${choices}}\n\n`);
  if (!includeUsage) return events;
  const usage = `"usage":${usageJson(plan, messages)}`;
  if (plan.usageInLastChunk) {
    const last = events.length - 1;
    events[last] = `${head}${plan.chunkChoices[last] ?? '"choices":[]'},${usage}}\n\n`;
  } else {
    events.push(`${head}"choices":[],${usage}}\n\n`);
  }
  return events;
}

export const DONE_EVENT = 'data: [DONE]\n\n';
export const KEEP_ALIVE_COMMENT = ': keep-alive\n\n';

/** Error `type` and `message` per status, worded after OpenAI's and DeepSeek's. */
const ERRORS: Record<number, [type: string, message: string]> = {
  400: ['invalid_request_error', 'Invalid request'],
  401: ['authentication_error', 'Authentication Fails, Your api key is invalid'],
  402: ['invalid_request_error', 'Insufficient Balance'],
  403: ['permission_error', 'Permission denied'],
  404: ['invalid_request_error', 'Not found'],
  408: ['timeout_error', 'Request timed out'],
  409: ['conflict_error', 'Conflict'],
  422: ['invalid_request_error', 'Invalid Parameters'],
  429: ['rate_limit_error', 'Rate Limit Reached'],
  500: ['api_error', 'Server Error'],
  502: ['api_error', 'Bad Gateway'],
  503: ['service_unavailable_error', 'Server Overloaded'],
  504: ['timeout_error', 'Gateway Timeout'],
};

/** `{"error":{"message","type","code"}}`; `code` defaults to the status as a string. */
export function errorBody(status: number, message?: string, code?: string): string {
  const [type, fallback] = ERRORS[status] ?? [status >= 500 ? 'api_error' : 'invalid_request_error', `HTTP ${status}`];
  return JSON.stringify({ error: { message: message ?? fallback, type, code: code ?? String(status) } });
}
