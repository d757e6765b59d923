/**
 * Holds: how much credit to reserve before a request runs (its worst case), how many output
 * tokens a balance can still pay for, and the 402 error a client gets when it cannot afford the
 * request it asked for.
 */
import { SafeRouterError } from '@saferouter/errors';
import { assertPricing, exactCostMicros, formatUsd, type Pricing } from './money.js';
import { assertCount, checkObject } from './validate.js';

/** Where a client adds credit; named in every insufficient-credits message. */
export const TOPUP_ROUTE = 'POST /v1/credits/topup';

/** The worst case a hold covers: the estimated prompt and every output token allowed. */
export interface HoldInput {
  promptTokens: number;
  maxOutputTokens: number;
}

/**
 * The micro-dollars to hold for a request: the cost of its worst case (the prompt estimate plus
 * `maxOutputTokens` of output), rounded up like every cost.
 *
 * @example
 * holdMicros({ inputMicrosPerMillion: 3_000_000, outputMicrosPerMillion: 15_000_000 }, { promptTokens: 1200, maxOutputTokens: 4096 })
 * // 65040
 * @throws {TypeError | RangeError} on a malformed price or count, or a cost past 2^53 µ$.
 */
export function holdMicros(pricing: Pricing, input: HoldInput): number {
  assertPricing(pricing);
  checkObject(input, 'input');
  assertCount(input.promptTokens, 'input.promptTokens');
  assertCount(input.maxOutputTokens, 'input.maxOutputTokens');
  return exactCostMicros(pricing, input.promptTokens, input.maxOutputTokens);
}

/**
 * The most output tokens `availableMicros` pays for on top of the prompt (rounded down). Since a
 * cost is `ceil(exact)`, `cost ≤ available` exactly when `exact ≤ available`, so this is
 * `floor((available × 1e6 − prompt × inputPrice) / outputPrice)`.
 *
 * Returns 0 when the prompt alone is unaffordable (check with `promptAffordable`), and
 * `Number.MAX_SAFE_INTEGER` when output is free and the prompt is affordable.
 *
 * @example
 * affordableOutputTokens({ inputMicrosPerMillion: 1_000_000, outputMicrosPerMillion: 2_000_000 }, 1_000, 100) // 450
 * @throws {TypeError | RangeError} on a malformed price or count.
 */
export function affordableOutputTokens(pricing: Pricing, availableMicros: number, promptTokens: number): number {
  assertPricing(pricing);
  assertCount(availableMicros, 'availableMicros');
  assertCount(promptTokens, 'promptTokens');
  const fee = pricing.feeBasisPoints;
  if (fee === 0) return Number.MAX_SAFE_INTEGER;
  // With a fee, ceil(cost × fee / 10000) ≤ available exactly when cost ≤ floor(available × 10000 / fee).
  const available = fee === undefined ? BigInt(availableMicros) : (BigInt(availableMicros) * 10_000n) / BigInt(fee);
  const budget = available * 1_000_000n - BigInt(promptTokens) * BigInt(pricing.inputMicrosPerMillion);
  if (budget < 0n) return 0;
  if (pricing.outputMicrosPerMillion === 0) return Number.MAX_SAFE_INTEGER;
  const tokens = budget / BigInt(pricing.outputMicrosPerMillion);
  return tokens > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(tokens);
}

/**
 * Whether `availableMicros` covers the prompt with zero output tokens.
 *
 * @example promptAffordable({ inputMicrosPerMillion: 1_000_000, outputMicrosPerMillion: 0 }, 1, 2) // false
 * @throws {TypeError | RangeError} on a malformed price or count.
 */
export function promptAffordable(pricing: Pricing, availableMicros: number, promptTokens: number): boolean {
  assertPricing(pricing);
  assertCount(availableMicros, 'availableMicros');
  assertCount(promptTokens, 'promptTokens');
  return exactCostMicros(pricing, promptTokens, 0) <= availableMicros;
}

/** What the 402 message is built from. */
export interface InsufficientCredits {
  /** The output tokens the request asked for (`max_tokens`, or the model's maximum). */
  requestedTokens: number;
  /** The output tokens the available credit pays for; 0 when even the prompt is unaffordable. */
  affordableTokens: number;
  /** The prompt estimate the hold was sized with. */
  promptTokens: number;
  /** Balance minus other requests' holds, at the moment of refusal. */
  availableMicros: number;
  /** The hold that was refused. */
  requiredMicros: number;
  /** False when the prompt alone costs more than `availableMicros`. */
  promptAffordable: boolean;
}

/**
 * The 402 message, in OpenRouter's words where the situation is the same, naming the top-up route.
 *
 * @example
 * insufficientCreditsMessage({ requestedTokens: 8192, affordableTokens: 1234, promptAffordable: true, ... })
 * // 'This request requires more credits, or fewer max_tokens. You requested up to 8192 tokens,
 * //  but can only afford 1234. To increase, add credits with POST /v1/credits/topup.'
 */
export function insufficientCreditsMessage(info: InsufficientCredits): string {
  if (!info.promptAffordable) {
    return (
      `This request requires more credits. Its prompt (about ${info.promptTokens} tokens) alone costs more than ` +
      `the available $${formatUsd(info.availableMicros)}, so no output tokens are affordable. ` +
      `To continue, add credits with ${TOPUP_ROUTE}.`
    );
  }
  return (
    `This request requires more credits, or fewer max_tokens. You requested up to ${info.requestedTokens} tokens, ` +
    `but can only afford ${info.affordableTokens}. To increase, add credits with ${TOPUP_ROUTE}.`
  );
}

const marker = Symbol.for('saferouter.billing.insufficient-credits');

/**
 * A key cannot afford a request: HTTP 402 with OpenAI's error shape, a member of the one error
 * family (`@saferouter/errors`), so the gateway renders it like any other. The numbers the
 * message is made from also travel as `error.metadata`: `affordable_tokens`, `requested_tokens`,
 * `prompt_tokens`, and `available_usd` / `required_usd` as exact decimal strings, so a client can
 * retry with `max_tokens: affordable_tokens` without parsing the message.
 *
 * `isRetryable` is true on purpose: thrown while re-pricing for a fallback candidate, it lets
 * fallback move on to a cheaper candidate; a final refusal still reaches the client as this 402.
 *
 * @example
 * if (InsufficientCreditsError.isInstance(err)) console.log(err.affordableTokens);
 */
export class InsufficientCreditsError extends SafeRouterError {
  readonly [marker] = true;
  readonly requestedTokens: number;
  readonly affordableTokens: number;
  readonly promptTokens: number;
  readonly availableMicros: number;
  readonly requiredMicros: number;

  constructor(info: InsufficientCredits) {
    super({
      message: insufficientCreditsMessage(info),
      statusCode: 402,
      type: 'insufficient_quota',
      code: 'insufficient_credits',
      isRetryable: true,
      metadata: {
        affordable_tokens: info.affordableTokens,
        requested_tokens: info.requestedTokens,
        prompt_tokens: info.promptTokens,
        available_usd: formatUsd(info.availableMicros),
        required_usd: formatUsd(info.requiredMicros),
      },
    });
    this.name = 'InsufficientCreditsError';
    this.requestedTokens = info.requestedTokens;
    this.affordableTokens = info.affordableTokens;
    this.promptTokens = info.promptTokens;
    this.availableMicros = info.availableMicros;
    this.requiredMicros = info.requiredMicros;
  }

  /** Recognises the error across duplicated copies of this package. */
  static override isInstance(error: unknown): error is InsufficientCreditsError {
    return typeof error === 'object' && error !== null && (error as { [marker]?: unknown })[marker] === true;
  }
}
