/**
 * What the client receives, given what the upstream sent and what was charged: a reply dialect.
 *
 * The upstream always speaks chat completions. The client hears either chat completions (this
 * file's `chatDialect`) or another API translated from them (the gateway builds a Responses-API
 * dialect from `@saferouter/responses`). Either way the usage the client reads carries the cost
 * the ledger was charged, computed from the same integer micro-dollars, so metering owns the
 * numbers and a dialect only their shape:
 *
 * - a non-stream body is re-serialized with the usage replaced (`body`);
 * - a stream's events pass through `rewrite` (translation, reasoning stripped), and its end
 *   (`end`) sends the usage event the relay withheld, rewritten, or a usage chunk of its own
 *   when the upstream sent none.
 */
import type { EventRewriter, Usage } from '@saferouter/router';

/** The numbers one request was charged for. */
export interface ChargedUsage {
  /** The upstream's own usage object, when it sent one (extra fields are kept). */
  upstream: Usage | undefined;
  prompt: number;
  completion: number;
  /** Prompt tokens served from the provider's cache. */
  cached: number;
  /** Completion tokens spent on reasoning. */
  reasoning: number;
  /** What the ledger was charged, in micro-dollars. */
  costMicros: number;
}

/** Facts about the request a dialect may need to build what it sends. */
export interface ReplyFacts {
  requestId: string;
  /** The catalog id the client asked for. */
  model: string;
  /** Seconds since the epoch, for a chunk the gateway makes itself. */
  created: number;
}

export interface ReplyDialect {
  /** The non-stream body for the client; `json` is the upstream body parsed (undefined if it is not JSON). */
  body(json: unknown, raw: Uint8Array, usage: ChargedUsage): Uint8Array;
  /** Per-event rewriting of a stream. */
  rewrite?: EventRewriter | undefined;
  /**
   * The stream's last bytes before the terminal event (or the error event of a cut stream):
   * `held` is the withheld usage event's JSON, undefined when the upstream sent none.
   */
  end(held: unknown, usage: ChargedUsage, ending: { completed: boolean }): Uint8Array;
  /** True when the dialect's `end` replaces the terminal `data: [DONE]`. */
  dropTerminal?: boolean | undefined;
}

const encoder = new TextEncoder();

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** USD as a JSON number, from integer micro-dollars: `204` → `0.000204`. */
export function usdNumber(micros: number): number {
  return micros / 1_000_000;
}

/**
 * The OpenAI/OpenRouter usage object for what was charged: the upstream's own fields kept,
 * the counters replaced by the billed ones, cached and reasoning tokens in OpenAI's places,
 * and `cost` in USD.
 *
 * @example chatUsage({ upstream: undefined, prompt: 10, completion: 5, cached: 8, reasoning: 0, costMicros: 7 })
 * // { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15, prompt_tokens_details: { cached_tokens: 8 }, completion_tokens_details: { reasoning_tokens: 0 }, cost: 0.000007 }
 */
export function chatUsage(usage: ChargedUsage): Record<string, unknown> {
  const upstream: Record<string, unknown> = usage.upstream === undefined ? {} : { ...usage.upstream };
  const promptDetails = isRecord(upstream['prompt_tokens_details']) ? upstream['prompt_tokens_details'] : {};
  const completionDetails = isRecord(upstream['completion_tokens_details'])
    ? upstream['completion_tokens_details']
    : {};
  return {
    ...upstream,
    prompt_tokens: usage.prompt,
    completion_tokens: usage.completion,
    total_tokens: usage.prompt + usage.completion,
    prompt_tokens_details: { ...promptDetails, cached_tokens: usage.cached },
    completion_tokens_details: { ...completionDetails, reasoning_tokens: usage.reasoning },
    cost: usdNumber(usage.costMicros),
  };
}

/** Removes `reasoning_content` / `reasoning` (and their details) from a message or delta; true if any was there. */
function stripReasoning(part: unknown): boolean {
  if (!isRecord(part)) return false;
  let found = false;
  for (const field of ['reasoning_content', 'reasoning', 'reasoning_details']) {
    if (field in part) {
      delete part[field];
      found = true;
    }
  }
  return found;
}

/** Strips reasoning from every choice's `message` and `delta`; true if anything was removed. */
function stripChoices(json: unknown): boolean {
  if (!isRecord(json) || !Array.isArray(json['choices'])) return false;
  let found = false;
  for (const choice of json['choices'] as unknown[]) {
    if (!isRecord(choice)) continue;
    if (stripReasoning(choice['message'])) found = true;
    if (stripReasoning(choice['delta'])) found = true;
  }
  return found;
}

/** True when a chunk carries nothing but empty deltas (after stripping): it can be dropped. */
function isEmptyChunk(json: Record<string, unknown>): boolean {
  const choices = json['choices'];
  // `"usage": null` rides on every chunk of an OpenAI-style stream with include_usage: not a usage.
  const usage = json['usage'];
  if (!Array.isArray(choices) || choices.length === 0 || (usage !== undefined && usage !== null)) return false;
  return choices.every(
    (choice: unknown) =>
      isRecord(choice) &&
      (choice['finish_reason'] === null || choice['finish_reason'] === undefined) &&
      isRecord(choice['delta']) &&
      Object.entries(choice['delta']).every(([key, value]) => key === 'role' || value === null || value === ''),
  );
}

const dataEvent = (json: unknown): Uint8Array => encoder.encode(`data: ${JSON.stringify(json)}\n\n`);

/**
 * Chat completions as the client receives them. With `excludeReasoning` (the request's
 * `reasoning.exclude`), reasoning is stripped from every message and delta; it was still produced,
 * counted and charged.
 *
 * @example const dialect = chatDialect({ excludeReasoning: false }, facts);
 */
export function chatDialect(options: { excludeReasoning: boolean }, facts: ReplyFacts): ReplyDialect {
  const exclude = options.excludeReasoning;
  return {
    body(json, raw, usage) {
      if (!isRecord(json)) return raw; // not JSON: relayed as received (billed from an estimate)
      if (exclude) stripChoices(json);
      json['usage'] = chatUsage(usage);
      return encoder.encode(JSON.stringify(json));
    },
    rewrite: exclude
      ? {
          probe: '"reasoning',
          event(event) {
            let json: unknown;
            try {
              json = JSON.parse(event.data);
            } catch {
              return undefined;
            }
            if (!stripChoices(json)) return undefined;
            // A chunk that only carried reasoning goes away entirely.
            return isEmptyChunk(json as Record<string, unknown>) ? null : dataEvent(json);
          },
        }
      : undefined,
    end(held, usage) {
      if (isRecord(held)) {
        if (exclude) stripChoices(held);
        held['usage'] = chatUsage(usage);
        return dataEvent(held);
      }
      // The upstream sent no usage: the gateway reports what it charged in a chunk of its own.
      return dataEvent({
        id: facts.requestId,
        object: 'chat.completion.chunk',
        created: facts.created,
        model: facts.model,
        choices: [],
        usage: chatUsage(usage),
      });
    },
  };
}
