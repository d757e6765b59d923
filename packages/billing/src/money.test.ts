import { InvalidArgumentError } from '@saferouter/errors';
import { describe, expect, it } from 'vitest';
import { costMicros, formatUsd, isFreePricing, parseUsdAmount, type Pricing } from './money.js';

const price = (inputMicrosPerMillion: number, outputMicrosPerMillion: number): Pricing => ({
  inputMicrosPerMillion,
  outputMicrosPerMillion,
});

describe('costMicros', () => {
  it('computes exact costs', () => {
    // $0.15 / $0.60 per million: 1000 × 0.15 + 500 × 0.6 = 450 µ$.
    expect(costMicros(price(150_000, 600_000), { promptTokens: 1000, completionTokens: 500 })).toBe(450);
    expect(costMicros(price(3_000_000, 15_000_000), { promptTokens: 1_000_000, completionTokens: 1_000_000 })).toBe(
      18_000_000,
    );
  });

  it('rounds up to the next whole micro-dollar, once per request', () => {
    const onePerMillion = price(1, 1);
    expect(costMicros(onePerMillion, { promptTokens: 1, completionTokens: 0 })).toBe(1); // 0.000001 µ$ → 1
    expect(costMicros(onePerMillion, { promptTokens: 1_000_000, completionTokens: 0 })).toBe(1); // exactly 1
    expect(costMicros(onePerMillion, { promptTokens: 1_000_001, completionTokens: 0 })).toBe(2);
    expect(costMicros(onePerMillion, { promptTokens: 999_999, completionTokens: 1 })).toBe(1); // sum is exactly 1
    // 0.5 µ$ + 0.5 µ$ = 1 µ$: rounding each side separately would have billed 2.
    expect(costMicros(price(500_000, 500_000), { promptTokens: 1, completionTokens: 1 })).toBe(1);
    // 2.5 µ$ + 0.6 µ$ = 3.1 µ$ → 4.
    expect(costMicros(price(2_500_000, 600_000), { promptTokens: 1, completionTokens: 1 })).toBe(4);
  });

  it('prices cached prompt tokens at the cached price, the rest at the input price', () => {
    const cachedPrice: Pricing = { ...price(300_000, 1_200_000), cachedInputMicrosPerMillion: 30_000 };
    // 200 × 0.3 + 800 × 0.03 + 100 × 1.2 = 60 + 24 + 120 = 204 µ$.
    expect(costMicros(cachedPrice, { promptTokens: 1000, completionTokens: 100, cachedTokens: 800 })).toBe(204);
    // Without a cached price the cache changes nothing.
    expect(
      costMicros(price(300_000, 1_200_000), { promptTokens: 1000, completionTokens: 100, cachedTokens: 800 }),
    ).toBe(420);
    // More cached than prompt (a confused upstream) is capped at the prompt.
    expect(costMicros(cachedPrice, { promptTokens: 10, completionTokens: 0, cachedTokens: 50 })).toBe(1);
    expect(() => costMicros(cachedPrice, { promptTokens: 10, completionTokens: 0, cachedTokens: -1 })).toThrow(
      InvalidArgumentError,
    );
    expect(isFreePricing({ ...price(0, 0), cachedInputMicrosPerMillion: 5 })).toBe(false);
  });

  it('never bills a non-zero usage as free, and bills nothing for nothing', () => {
    expect(costMicros(price(1, 1), { promptTokens: 0, completionTokens: 1 })).toBe(1);
    expect(costMicros(price(1_000_000, 1_000_000), { promptTokens: 0, completionTokens: 0 })).toBe(0);
  });

  it('charges nothing on zero prices, even for huge counts', () => {
    expect(
      costMicros(price(0, 0), { promptTokens: Number.MAX_SAFE_INTEGER, completionTokens: Number.MAX_SAFE_INTEGER }),
    ).toBe(0);
    expect(isFreePricing(price(0, 0))).toBe(true);
    expect(isFreePricing(price(0, 1))).toBe(false);
  });

  it('stays exact where tokens × price passes 2^53', () => {
    // (2^53 − 1) × 3 = 27021597764222973 (> 2^53): a float product would be off.
    expect(costMicros(price(3, 0), { promptTokens: Number.MAX_SAFE_INTEGER, completionTokens: 0 })).toBe(
      27_021_597_765,
    );
    expect(costMicros(price(1, 0), { promptTokens: Number.MAX_SAFE_INTEGER, completionTokens: 0 })).toBe(9_007_199_255);
    // $1M per million tokens (the catalog's maximum) on a billion tokens: $1e9 = 1e15 µ$, still safe.
    expect(costMicros(price(1_000_000_000_000, 0), { promptTokens: 1_000_000_000, completionTokens: 0 })).toBe(1e15);
    // Numerator 9007199255000001 (> 2^53): a float sum drops the +1 and would bill 9007199255.
    expect(9_007_199_255 * 1_000_000 + 1).toBe(9_007_199_255_000_000);
    expect(costMicros(price(1_000_000, 1), { promptTokens: 9_007_199_255, completionTokens: 1 })).toBe(9_007_199_256);
  });

  it('refuses a cost past Number.MAX_SAFE_INTEGER micro-dollars', () => {
    expect(() =>
      costMicros(price(1_000_000_000_000, 0), { promptTokens: 10_000_000_000, completionTokens: 0 }),
    ).toThrow(InvalidArgumentError);
  });

  it('validates prices and counts, naming the argument', () => {
    expect(() => costMicros(price(1.5, 0), { promptTokens: 1, completionTokens: 1 })).toThrow(
      /pricing\.inputMicrosPerMillion/,
    );
    expect(() => costMicros(price(0, -1), { promptTokens: 1, completionTokens: 1 })).toThrow(InvalidArgumentError);
    expect(() =>
      costMicros({ inputMicrosPerMillion: '1', outputMicrosPerMillion: 1 } as unknown as Pricing, {
        promptTokens: 1,
        completionTokens: 1,
      }),
    ).toThrow(InvalidArgumentError);
    expect(() => costMicros(null as unknown as Pricing, { promptTokens: 1, completionTokens: 1 })).toThrow(
      InvalidArgumentError,
    );
    expect(() => costMicros(price(1, 1), { promptTokens: Number.NaN, completionTokens: 1 })).toThrow(
      /tokens\.promptTokens/,
    );
    expect(() => costMicros(price(1, 1), { promptTokens: 1, completionTokens: -3 })).toThrow(InvalidArgumentError);
    expect(() => costMicros(price(1, 1), { promptTokens: 1, completionTokens: 2 ** 53 })).toThrow(InvalidArgumentError);
    expect(() =>
      costMicros(price(1, 1), undefined as unknown as { promptTokens: number; completionTokens: number }),
    ).toThrow(InvalidArgumentError);
  });
});

describe('formatUsd', () => {
  it.each([
    [1_500_000, '1.5'],
    [1, '0.000001'],
    [0, '0'],
    [2_000_000, '2'],
    [1_234_567, '1.234567'],
    [100, '0.0001'],
    [10_000_000_010, '10000.00001'],
    [-250_000, '-0.25'],
    [-1, '-0.000001'],
    [Number.MAX_SAFE_INTEGER, '9007199254.740991'],
  ])('formats %d µ$ as %s', (micros, usd) => {
    expect(formatUsd(micros)).toBe(usd);
  });

  it('round-trips with parseUsdAmount', () => {
    for (const micros of [1, 10, 99, 100_000, 1_000_001, 123_456_789_012])
      expect(parseUsdAmount(formatUsd(micros))).toBe(micros);
  });

  it('rejects non-integers and non-numbers', () => {
    expect(() => formatUsd(1.5)).toThrow(InvalidArgumentError);
    expect(() => formatUsd(Number.POSITIVE_INFINITY)).toThrow(InvalidArgumentError);
    expect(() => formatUsd('1' as unknown as number)).toThrow(InvalidArgumentError);
  });
});

describe('parseUsdAmount', () => {
  it.each<[unknown, number]>([
    ['0.1', 100_000],
    [0.1, 100_000],
    ['0.10', 100_000],
    [19.99, 19_990_000],
    [1.005, 1_005_000],
    ['12.345678', 12_345_678],
    [123_456.789012, 123_456_789_012],
    ['0.000001', 1],
    [0.000001, 1],
    [5, 5_000_000],
    ['5', 5_000_000],
    ['007', 7_000_000],
    [1_000_000, 1_000_000_000_000],
    ['1000000.000000', 1_000_000_000_000],
  ])('parses %j as %d µ$', (input, micros) => {
    expect(parseUsdAmount(input)).toBe(micros);
  });

  it.each<[unknown]>([
    ['1e-7'],
    [1e-7],
    ['0.0000001'],
    ['12.3456789'],
    [0.1 + 0.2], // 0.30000000000000004: not an amount anyone typed
    [1.0000001],
    [-1],
    ['-1'],
    [0],
    ['0'],
    ['0.000000'],
    [Number.NaN],
    [Number.POSITIVE_INFINITY],
    [1_000_000.000001],
    ['1000000.000001'],
    ['1e3'],
    [''],
    [' 1'],
    ['1 '],
    ['1.'],
    ['.5'],
    ['+1'],
    ['1,5'],
    ['0x10'],
    ['Infinity'],
    ['NaN'],
    ['1'.repeat(40)],
  ])('rejects %j with RangeError', (input) => {
    expect(() => parseUsdAmount(input)).toThrow(InvalidArgumentError);
  });

  it.each<[unknown]>([[null], [undefined], [true], [10n], [{}], [['1']]])('rejects %s with TypeError', (input) => {
    expect(() => parseUsdAmount(input)).toThrow(InvalidArgumentError);
  });

  it('names the argument in its errors', () => {
    expect(() => parseUsdAmount(-1, 'body.amount')).toThrow(/body\.amount must be positive/);
    expect(() => parseUsdAmount('12.3456789')).toThrow(/amount .*at most 6 decimals/);
    expect(() => parseUsdAmount(2_000_000)).toThrow(/at most 1000000 USD/);
  });
});
