/**
 * Money math in integer micro-dollars (1 USD = 1_000_000 µ$): the cost of a request from its
 * token counts, exact USD formatting, and parsing of top-up amounts typed by people.
 *
 * No float ever touches an amount. Costs are computed with BigInt, because tokens × price can pass
 * 2^53 long before the result does (2^53 ≈ 9e15 is only 9e6 tokens at $1,000/M per token side,
 * and the product is what would lose precision, silently).
 */
import { InvalidArgumentError } from '@saferouter/errors';
import { assertCount, assertObject, checkObject } from './validate.js';

/** Micro-dollars in one US dollar. */
export const MICROS_PER_USD = 1_000_000;

/** The largest single top-up `parseUsdAmount` accepts, in USD. Bigger amounts are a typo. */
export const MAX_TOPUP_USD = 1_000_000;

const MICROS_PER_USD_BIG = 1_000_000n;
const TOKENS_PER_MILLION_BIG = 1_000_000n;
const MAX_SAFE_BIG = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * Prices in integer micro-dollars per million tokens. The same shape as the router's catalog
 * `Pricing`, declared here so billing does not depend on the router.
 */
export interface Pricing {
  inputMicrosPerMillion: number;
  outputMicrosPerMillion: number;
  /** Price of prompt tokens served from the provider's cache; absent means the input price. */
  cachedInputMicrosPerMillion?: number | undefined;
  /**
   * Charge only a share of the cost, in basis points (1/100 of a percent): a request costs
   * `ceil(cost × feeBasisPoints / 10000)`, where `cost` is what it costs at the prices above. A
   * fee on a request whose provider key the caller brought (BYOK), as a share of what it would
   * have cost on the gateway's key. Absent: the whole cost (a plain price).
   */
  feeBasisPoints?: number | undefined;
}

/** The largest fee a price may carry: 100 times the cost. */
export const MAX_FEE_BASIS_POINTS = 1_000_000;
const BASIS_POINTS_BIG = 10_000n;

/** Token counts of one request. */
export interface TokenCounts {
  promptTokens: number;
  completionTokens: number;
  /** How many of `promptTokens` the provider served from its cache (charged at the cached price). */
  cachedTokens?: number | undefined;
}

/**
 * @example assertPricing(entry.pricing, 'entry.pricing');
 * @throws {InvalidArgumentError} (reason `type`) when `pricing` is not an object of two numbers.
 * @throws {InvalidArgumentError} (reason `range`) when a price is not a non-negative safe integer.
 */
export function assertPricing(pricing: unknown, name = 'pricing'): asserts pricing is Pricing {
  assertObject(pricing, name);
  assertCount(pricing['inputMicrosPerMillion'], `${name}.inputMicrosPerMillion`);
  assertCount(pricing['outputMicrosPerMillion'], `${name}.outputMicrosPerMillion`);
  if (pricing['cachedInputMicrosPerMillion'] !== undefined)
    assertCount(pricing['cachedInputMicrosPerMillion'], `${name}.cachedInputMicrosPerMillion`);
  const fee = pricing['feeBasisPoints'];
  if (fee !== undefined) {
    assertCount(fee, `${name}.feeBasisPoints`);
    if (fee > MAX_FEE_BASIS_POINTS)
      throw new InvalidArgumentError(
        `${name}.feeBasisPoints`,
        `${name}.feeBasisPoints must be at most ${MAX_FEE_BASIS_POINTS}`,
        'range',
      );
  }
}

/**
 * A price that charges `feeBasisPoints` of what `pricing` charges (see `Pricing.feeBasisPoints`).
 *
 * @example
 * feePricing({ inputMicrosPerMillion: 270_000, outputMicrosPerMillion: 1_100_000 }, 250) // 2.5 % of the cost
 * @throws {InvalidArgumentError} on a malformed price or fee.
 */
export function feePricing(pricing: Pricing, feeBasisPoints: number): Pricing {
  const fee: Pricing = { ...pricing, feeBasisPoints };
  assertPricing(fee);
  return fee;
}

/**
 * True when both prices are zero (demo models), or the fee is zero (`feeBasisPoints: 0`): such
 * requests hold and charge nothing.
 *
 * @example isFreePricing({ inputMicrosPerMillion: 0, outputMicrosPerMillion: 0 }) // true
 */
export function isFreePricing(pricing: Pricing): boolean {
  if (pricing.feeBasisPoints === 0) return true;
  return (
    pricing.inputMicrosPerMillion === 0 &&
    pricing.outputMicrosPerMillion === 0 &&
    (pricing.cachedInputMicrosPerMillion ?? 0) === 0
  );
}

/**
 * The cost of one request in micro-dollars, rounded UP to a whole micro-dollar.
 *
 * We never bill a fraction of a µ$, so a request whose exact cost is 12.3 µ$ costs 13 µ$: the
 * rounding favours the provider by less than 1 µ$ ($0.000001) per request, and a request with
 * a non-zero exact cost never rounds down to free. Prompt and completion are summed before
 * rounding, so the rounding happens once per request, not once per side.
 *
 * @example
 * costMicros({ inputMicrosPerMillion: 150_000, outputMicrosPerMillion: 600_000 }, { promptTokens: 1000, completionTokens: 500 })
 * // 450 (1000 × 0.15 + 500 × 0.6 µ$, i.e. $0.00045)
 * @throws {InvalidArgumentError} on a malformed price or token count.
 * @throws {InvalidArgumentError} (reason `range`) when the cost would exceed `Number.MAX_SAFE_INTEGER` µ$ (about $9 billion).
 */
export function costMicros(pricing: Pricing, tokens: TokenCounts): number {
  assertPricing(pricing);
  checkObject(tokens, 'tokens');
  assertCount(tokens.promptTokens, 'tokens.promptTokens');
  assertCount(tokens.completionTokens, 'tokens.completionTokens');
  if (tokens.cachedTokens !== undefined) assertCount(tokens.cachedTokens, 'tokens.cachedTokens');
  return exactCostMicros(pricing, tokens.promptTokens, tokens.completionTokens, tokens.cachedTokens);
}

/**
 * `costMicros` without the argument checks, for callers that validated already. Of the prompt,
 * `cachedTokens` (at most all of it) are priced at `cachedInputMicrosPerMillion` (the input price
 * when absent), the rest at the input price; one rounding for the whole request (and one more for
 * a `feeBasisPoints` share of it).
 *
 * @example exactCostMicros(pricing, 1000, 500) // same as costMicros(pricing, { promptTokens: 1000, completionTokens: 500 })
 * @example exactCostMicros({ inputMicrosPerMillion: 300_000, outputMicrosPerMillion: 1_200_000, cachedInputMicrosPerMillion: 30_000 }, 1000, 0, 800) // 66
 * @throws {InvalidArgumentError} (reason `range`) when the cost would exceed `Number.MAX_SAFE_INTEGER` µ$.
 */
export function exactCostMicros(
  pricing: Pricing,
  promptTokens: number,
  completionTokens: number,
  cachedTokens = 0,
): number {
  const cached = Math.min(cachedTokens, promptTokens);
  const numerator =
    BigInt(promptTokens - cached) * BigInt(pricing.inputMicrosPerMillion) +
    BigInt(cached) * BigInt(pricing.cachedInputMicrosPerMillion ?? pricing.inputMicrosPerMillion) +
    BigInt(completionTokens) * BigInt(pricing.outputMicrosPerMillion);
  let micros = (numerator + TOKENS_PER_MILLION_BIG - 1n) / TOKENS_PER_MILLION_BIG;
  // A fee is a share of the whole (rounded) cost, itself rounded up once more.
  if (pricing.feeBasisPoints !== undefined)
    micros = (micros * BigInt(pricing.feeBasisPoints) + BASIS_POINTS_BIG - 1n) / BASIS_POINTS_BIG;
  if (micros > MAX_SAFE_BIG)
    throw new InvalidArgumentError(
      'tokens',
      'tokens cost more than Number.MAX_SAFE_INTEGER micro-dollars at this price',
      'range',
    );
  return Number(micros);
}

/**
 * An exact decimal USD string for an amount of micro-dollars: no trailing zeros, no exponent,
 * no float rounding. Negative amounts (ledger charges) keep their sign.
 *
 * @example formatUsd(1_500_000) // '1.5'
 * @example formatUsd(1) // '0.000001'
 * @example formatUsd(-250_000) // '-0.25'
 * @throws {InvalidArgumentError} (reason `type`) when `micros` is not a number.
 * @throws {InvalidArgumentError} (reason `range`) when it is not a safe integer.
 */
export function formatUsd(micros: number): string {
  if (typeof micros !== 'number') throw new InvalidArgumentError('micros', 'micros must be a number', 'type');
  if (!Number.isSafeInteger(micros)) throw new InvalidArgumentError('micros', 'micros must be a safe integer', 'range');
  const sign = micros < 0 ? '-' : '';
  const abs = Math.abs(micros);
  const whole = Math.floor(abs / MICROS_PER_USD);
  const fraction = abs % MICROS_PER_USD;
  if (fraction === 0) return `${sign}${whole}`;
  return `${sign}${whole}.${String(fraction).padStart(6, '0').replace(/0+$/, '')}`;
}

/** Digits, optionally a dot and 1–6 more digits. No sign, exponent, blanks or bare dots. */
const DECIMAL_PATTERN = /^(\d+)(?:\.(\d{1,6}))?$/;
const MAX_AMOUNT_LENGTH = 32;
const MAX_TOPUP_MICROS_BIG = BigInt(MAX_TOPUP_USD) * MICROS_PER_USD_BIG;

/**
 * Parses a top-up amount in USD, given as a JSON number (`5`, `0.1`) or a decimal string
 * (`"5"`, `"0.10"`), into micro-dollars. Positive, at most 6 decimals, at most $1,000,000.
 *
 * A number is read through its shortest round-trip decimal form (`String(n)`), which for every
 * amount with ≤ 6 decimals and ≤ 13 significant digits is exactly what the client typed: `0.1`
 * is 100000 µ$, never 99999 or 100000.00000000001. A number that is not such an amount (`1e-7`,
 * `0.1 + 0.2`) is rejected instead of being rounded, because silently changing an amount of
 * money is worse than asking for it again.
 *
 * @example parseUsdAmount('0.1') // 100000
 * @example parseUsdAmount(25) // 25000000
 * @throws {InvalidArgumentError} (reason `type`) when `input` is neither a number nor a string.
 * @throws {InvalidArgumentError} (reason `range`) when it is not finite, not a plain decimal with ≤ 6 decimals, not
 *   positive, or above $1,000,000.
 */
export function parseUsdAmount(input: unknown, name = 'amount'): number {
  let text: string;
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) throw new InvalidArgumentError(name, `${name} must be a finite number`, 'range');
    if (input <= 0) throw new InvalidArgumentError(name, `${name} must be positive`, 'range');
    text = String(input);
  } else if (typeof input === 'string') {
    text = input;
  } else {
    throw new InvalidArgumentError(name, `${name} must be a number or a decimal string`, 'type');
  }
  if (text.length > MAX_AMOUNT_LENGTH) throw new InvalidArgumentError(name, `${name} is too long`, 'range');
  const match = DECIMAL_PATTERN.exec(text);
  if (match === null) {
    throw new InvalidArgumentError(
      name,
      `${name} must be a positive decimal USD amount with at most 6 decimals (e.g. "10.50")`,
      'range',
    );
  }
  const whole = BigInt(match[1] ?? '0');
  const fraction = BigInt((match[2] ?? '').padEnd(6, '0'));
  const micros = whole * MICROS_PER_USD_BIG + fraction;
  if (micros === 0n) throw new InvalidArgumentError(name, `${name} must be positive`, 'range');
  if (micros > MAX_TOPUP_MICROS_BIG)
    throw new InvalidArgumentError(name, `${name} must be at most ${MAX_TOPUP_USD} USD`, 'range');
  return Number(micros);
}
