/**
 * The Response object and its output items, shared by the non-stream answer and the stream's
 * lifecycle events, so both always carry the same fields. Item ids are derived from the response
 * id and the item's output index: deterministic, unique within a response, and no randomness here.
 */
import { encodeReasoningToken } from './reasoning-token.js';
import type { IncompleteDetails, ResponseContext, ResponseError, ResponsesRequest, ResponsesUsage } from './types.js';

export type ItemStatus = 'in_progress' | 'completed' | 'incomplete';

/** The id of the output item at `index`: `msg_…`, `rs_…` or `fc_…` after the response id. */
export function itemId(ctx: ResponseContext, prefix: 'msg' | 'rs' | 'fc' | 'call', index: number): string {
  return `${prefix}_${ctx.id.replace(/^resp_/, '')}_${index}`;
}

export function outputTextPart(text: string) {
  return { type: 'output_text', text, annotations: [], logprobs: [] };
}

export function messageItem(id: string, status: ItemStatus, text: string | undefined) {
  return { id, type: 'message', status, role: 'assistant', content: text === undefined ? [] : [outputTextPart(text)] };
}

/**
 * A reasoning item. With `token`, a finished item also carries its text as `encrypted_content`
 * (see reasoning-token.ts); an item still streaming has `encrypted_content: null`.
 */
export function reasoningItem(id: string, text: string | undefined, token: boolean) {
  const item: Record<string, unknown> = {
    id,
    type: 'reasoning',
    summary: text === undefined ? [] : [{ type: 'summary_text', text }],
  };
  if (token) item['encrypted_content'] = text === undefined ? null : encodeReasoningToken(text);
  return item;
}

/**
 * Whether reasoning items carry a round-trip token: for clients that say they are stateless
 * (`store: false`) or ask for it (`include: ['reasoning.encrypted_content']`), as at OpenAI.
 */
export function wantsReasoningToken(req: ResponsesRequest): boolean {
  return req.store === false || (req.include?.includes('reasoning.encrypted_content') ?? false);
}

export function functionCallItem(
  id: string,
  status: ItemStatus,
  call: { callId: string; name: string; arguments: string },
) {
  return { id, type: 'function_call', status, call_id: call.callId, name: call.name, arguments: call.arguments };
}

export interface ResponseState {
  status: 'in_progress' | 'completed' | 'incomplete' | 'failed';
  output: readonly unknown[];
  usage?: ResponsesUsage | undefined;
  error?: ResponseError | undefined;
  incompleteDetails?: IncompleteDetails | undefined;
}

/**
 * The Response object for `ctx` in `state`: the request's settings echoed with OpenAI's defaults
 * (`tool_choice: 'auto'`, `parallel_tool_calls: true`, text format `text`), `store: false` since
 * SafeRouter keeps nothing, and `usage` null until the response ends.
 */
export function responseObject(ctx: ResponseContext, state: ResponseState): Record<string, unknown> {
  const req: ResponsesRequest = ctx.request;
  return {
    id: ctx.id,
    object: 'response',
    created_at: ctx.createdAt,
    status: state.status,
    background: false,
    error: state.error ?? null,
    incomplete_details: state.incompleteDetails ?? null,
    instructions: req.instructions ?? null,
    max_output_tokens: req.max_output_tokens ?? null,
    max_tool_calls: null,
    model: ctx.model,
    output: state.output,
    parallel_tool_calls: req.parallel_tool_calls ?? true,
    previous_response_id: null,
    reasoning: { effort: req.reasoning?.effort ?? null, summary: req.reasoning?.summary ?? null },
    store: false,
    temperature: req.temperature ?? null,
    text: {
      format: req.text?.format ?? { type: 'text' },
      ...(req.text?.verbosity ? { verbosity: req.text.verbosity } : {}),
    },
    tool_choice: req.tool_choice ?? 'auto',
    tools: req.tools ?? [],
    top_p: req.top_p ?? null,
    truncation: 'disabled',
    usage: state.usage ?? null,
    metadata: req.metadata ?? {},
  };
}

/** Status and details of a response that ended with this chat `finish_reason`. */
export function endOf(finishReason: unknown): { status: 'completed' | 'incomplete'; details?: IncompleteDetails } {
  if (finishReason === 'length') return { status: 'incomplete', details: { reason: 'max_output_tokens' } };
  if (finishReason === 'content_filter') return { status: 'incomplete', details: { reason: 'content_filter' } };
  return { status: 'completed' };
}

const count = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) ? value : 0);
const obj = (value: unknown): Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};

/**
 * A chat-completions `usage` in the Responses shape: cached prompt tokens from
 * `prompt_tokens_details.cached_tokens` (or DeepSeek's `prompt_cache_hit_tokens`), reasoning
 * tokens from `completion_tokens_details`, and `cost` kept when present. Undefined for no usage.
 *
 * @example toResponsesUsage({ prompt_tokens: 10, completion_tokens: 5, total_tokens: 15, cost: 0.0001 })
 * // { input_tokens: 10, input_tokens_details: { cached_tokens: 0 }, output_tokens: 5, …, total_tokens: 15, cost: 0.0001 }
 */
export function toResponsesUsage(usage: unknown): ResponsesUsage | undefined {
  if (typeof usage !== 'object' || usage === null || Array.isArray(usage)) return undefined;
  const u = usage as Record<string, unknown>;
  const input = count(u['prompt_tokens']);
  const output = count(u['completion_tokens']);
  const cached = count(obj(u['prompt_tokens_details'])['cached_tokens']) || count(u['prompt_cache_hit_tokens']);
  const out: ResponsesUsage = {
    input_tokens: input,
    input_tokens_details: { cached_tokens: cached },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: count(obj(u['completion_tokens_details'])['reasoning_tokens']) },
    total_tokens: typeof u['total_tokens'] === 'number' ? u['total_tokens'] : input + output,
  };
  if (typeof u['cost'] === 'number') out.cost = u['cost'];
  return out;
}
