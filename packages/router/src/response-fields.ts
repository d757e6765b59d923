/**
 * Reads the two fields the router cares about (usage, finish reason) out of an already parsed
 * OpenAI response or chunk. Upstreams disagree on details, so these never throw: anything that is
 * not the expected shape reads as `undefined`.
 */
import type { Usage } from './spec.js';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A token count billing can use: a whole, safe, non-negative number. Fractions round up (never
 * bill less than reported), absurd values clamp to `Number.MAX_SAFE_INTEGER`, junk reads as 0.
 */
function count(value: unknown): number {
  if (typeof value !== 'number' || Number.isNaN(value) || value <= 0) return 0;
  return Math.min(Math.ceil(value), Number.MAX_SAFE_INTEGER);
}

/**
 * The `usage` object of a response or chunk, with the three counters forced to numbers so billing
 * never multiplies by `undefined`. Other fields (cache hits, reasoning tokens) are kept as sent.
 *
 * @example readUsage(JSON.parse(body)) // { prompt_tokens: 9, completion_tokens: 12, total_tokens: 21 }
 */
export function readUsage(response: unknown): Usage | undefined {
  if (!isRecord(response)) return undefined;
  const usage = response['usage'];
  if (!isRecord(usage)) return undefined;
  const prompt = count(usage['prompt_tokens']);
  const completion = count(usage['completion_tokens']);
  const total = usage['total_tokens'] === undefined ? prompt + completion : count(usage['total_tokens']);
  return { ...usage, prompt_tokens: prompt, completion_tokens: completion, total_tokens: total };
}

/**
 * `choices[0].finish_reason` when it is a string, else `undefined`.
 *
 * @example readFinishReason({ choices: [{ finish_reason: 'stop' }] }) // 'stop'
 */
export function readFinishReason(response: unknown): string | undefined {
  if (!isRecord(response)) return undefined;
  const choices = response['choices'];
  if (!Array.isArray(choices)) return undefined;
  const first: unknown = choices[0];
  if (!isRecord(first)) return undefined;
  const reason = first['finish_reason'];
  return typeof reason === 'string' ? reason : undefined;
}

/**
 * Prompt tokens the provider served from its cache: OpenAI's and Z.AI's
 * `prompt_tokens_details.cached_tokens`, or DeepSeek's `prompt_cache_hit_tokens`. At most the
 * prompt; 0 when not reported.
 *
 * @example cachedTokensOf({ prompt_tokens: 10, completion_tokens: 1, total_tokens: 11, prompt_cache_hit_tokens: 8 }) // 8
 */
export function cachedTokensOf(usage: Usage | undefined): number {
  if (usage === undefined) return 0;
  const details = usage['prompt_tokens_details'];
  const reported =
    isRecord(details) && details['cached_tokens'] !== undefined
      ? details['cached_tokens']
      : usage['prompt_cache_hit_tokens'];
  return Math.min(count(reported), usage.prompt_tokens);
}

/**
 * Completion tokens spent on reasoning (`completion_tokens_details.reasoning_tokens`); 0 when not
 * reported. At most the completion.
 *
 * @example reasoningTokensOf({ prompt_tokens: 1, completion_tokens: 9, total_tokens: 10, completion_tokens_details: { reasoning_tokens: 6 } }) // 6
 */
export function reasoningTokensOf(usage: Usage | undefined): number {
  if (usage === undefined) return 0;
  const details = usage['completion_tokens_details'];
  return isRecord(details) ? Math.min(count(details['reasoning_tokens']), usage.completion_tokens) : 0;
}
