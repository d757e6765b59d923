/**
 * A fee as a share of the cost (`Pricing.feeBasisPoints`, what a BYOK request pays): the math
 * against an independent reference in exact rationals, the affordability it implies, and an
 * admission that holds and settles the fee, re-priced to the full price for a fallback.
 */
import { InvalidArgumentError } from '@saferouter/errors';
import { describe, expect, it } from 'vitest';
import { createBilling } from './admission.js';
import { affordableOutputTokens, InsufficientCreditsError, promptAffordable } from './hold.js';
import { costMicros, exactCostMicros, feePricing, isFreePricing, MAX_FEE_BASIS_POINTS, type Pricing } from './money.js';
import { createFakeBillingStore } from './testing/fake-billing-store.js';

const P: Pricing = { inputMicrosPerMillion: 270_000, outputMicrosPerMillion: 1_100_000 };

/** ⌈a / b⌉ for non-negative BigInts. */
const ceilDiv = (a: bigint, b: bigint): bigint => (a + b - 1n) / b;

/** The fee as the brief defines it: ⌈cost × bp / 10000⌉ of the rounded-up cost, all in BigInt. */
function referenceFee(pricing: Pricing, prompt: number, completion: number, bp: number): bigint {
  const cost = ceilDiv(
    BigInt(prompt) * BigInt(pricing.inputMicrosPerMillion) +
      BigInt(completion) * BigInt(pricing.outputMicrosPerMillion),
    1_000_000n,
  );
  return ceilDiv(cost * BigInt(bp), 10_000n);
}

/** A small deterministic PRNG (xorshift32), so a failure names reproducible inputs. */
function prng(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

describe('fee pricing', () => {
  it('charges ⌈cost × bp / 10000⌉ of the rounded cost, as a reference in exact integers says', () => {
    const random = prng(0x5eed);
    for (let i = 0; i < 5_000; i++) {
      const pricing: Pricing = {
        inputMicrosPerMillion: Math.floor(random() * 100_000_000),
        outputMicrosPerMillion: Math.floor(random() * 100_000_000),
      };
      const prompt = Math.floor(random() * 2_000_000);
      const completion = Math.floor(random() * 200_000);
      const bp = [0, 1, 250, 999, 10_000, 12_345, MAX_FEE_BASIS_POINTS][i % 7] as number;
      const got = costMicros(feePricing(pricing, bp), { promptTokens: prompt, completionTokens: completion });
      expect(BigInt(got), JSON.stringify({ pricing, prompt, completion, bp })).toBe(
        referenceFee(pricing, prompt, completion, bp),
      );
    }
  });

  it('hand-checked cases: 0 is free, 100 % is the cost, a share rounds up to a whole micro-dollar', () => {
    // 1000 × 0.27 + 500 × 1.1 = 820 µ$.
    expect(exactCostMicros(P, 1000, 500)).toBe(820);
    expect(exactCostMicros(feePricing(P, 10_000), 1000, 500)).toBe(820);
    expect(exactCostMicros(feePricing(P, 250), 1000, 500)).toBe(21); // 20.5 → 21
    expect(exactCostMicros(feePricing(P, 1), 1000, 500)).toBe(1); // 0.082 → 1
    expect(exactCostMicros(feePricing(P, 0), 1000, 500)).toBe(0);
    expect(exactCostMicros(feePricing(P, 250), 0, 0)).toBe(0);
    // Fees past 2^53 are computed exactly, not in floating point.
    const dear: Pricing = { inputMicrosPerMillion: 2 ** 40, outputMicrosPerMillion: 0 };
    expect(BigInt(exactCostMicros(feePricing(dear, 3), 4_000_000, 0))).toBe(referenceFee(dear, 4_000_000, 0, 3));
  });

  it('a zero fee is free pricing; a fee is validated like every price', () => {
    expect(isFreePricing(feePricing(P, 0))).toBe(true);
    expect(isFreePricing(feePricing(P, 1))).toBe(false);
    expect(isFreePricing(feePricing({ inputMicrosPerMillion: 0, outputMicrosPerMillion: 0 }, 500))).toBe(true);
    for (const bad of [-1, 1.5, MAX_FEE_BASIS_POINTS + 1, Number.NaN]) {
      expect(() => feePricing(P, bad), String(bad)).toThrow(InvalidArgumentError);
    }
    expect(() => feePricing(P, '250' as unknown as number)).toThrow(InvalidArgumentError);
  });

  it('affordable output under a fee is exactly the most whose fee fits the balance', () => {
    const random = prng(0xfee);
    for (let i = 0; i < 2_000; i++) {
      const bp = 1 + Math.floor(random() * 20_000);
      const pricing = feePricing(
        {
          inputMicrosPerMillion: 1 + Math.floor(random() * 10_000_000),
          outputMicrosPerMillion: 1 + Math.floor(random() * 10_000_000),
        },
        bp,
      );
      const available = Math.floor(random() * 50_000);
      const prompt = Math.floor(random() * 100_000);
      const out = affordableOutputTokens(pricing, available, prompt);
      const what = JSON.stringify({ pricing, available, prompt, out });
      if (!promptAffordable(pricing, available, prompt)) {
        expect(out, what).toBe(0);
        continue;
      }
      expect(exactCostMicros(pricing, prompt, out), what).toBeLessThanOrEqual(available);
      expect(exactCostMicros(pricing, prompt, out + 1), what).toBeGreaterThan(available);
    }
    expect(affordableOutputTokens(feePricing(P, 0), 0, 1_000_000)).toBe(Number.MAX_SAFE_INTEGER);
  });
});

describe('an admission at a fee', () => {
  const KEY = 'key_a';

  async function setup(balanceMicros: number) {
    const store = createFakeBillingStore();
    let n = 0;
    const billing = createBilling({ store, clock: () => 1, ids: (kind) => `${kind}_${++n}` });
    await store.credit({ id: 'seed', keyId: KEY, amountMicros: balanceMicros, kind: 'topup', ts: 1 });
    return { store, billing };
  }

  it('holds the fee of the worst case and settles the fee of the usage', async () => {
    const { store, billing } = await setup(1_000_000);
    const fee = feePricing(P, 250);
    const admission = await billing.admit({
      keyId: KEY,
      requestId: 'r1',
      pricing: fee,
      promptTokens: 1000,
      maxOutputTokens: 4096,
    });
    // Worst case 1000 × 0.27 + 4096 × 1.1 = 4775.6 → 4776 µ$; 2.5 % → 119.4 → 120.
    expect(admission.heldMicros).toBe(120);
    expect((await store.balance(KEY)).heldMicros).toBe(120);
    const outcome = await admission.settle({ promptTokens: 1000, completionTokens: 500 });
    expect(outcome).toMatchObject({ costMicros: 21, chargedMicros: 21 });
    expect(await store.balance(KEY)).toMatchObject({ balanceMicros: 1_000_000 - 21, heldMicros: 0 });
  });

  it('a zero fee holds nothing, so a key without credit is admitted; re-pricing to the full price then holds it', async () => {
    const { store, billing } = await setup(5_000);
    const admission = await billing.admit({
      keyId: KEY,
      requestId: 'r2',
      pricing: feePricing(P, 0),
      promptTokens: 1000,
      maxOutputTokens: 4096,
    });
    expect(admission.heldMicros).toBe(0);
    await admission.reprice(P);
    expect(admission.heldMicros).toBe(4776);
    expect((await store.balance(KEY)).heldMicros).toBe(4776);
    expect((await admission.settle({ promptTokens: 1000, completionTokens: 500 })).chargedMicros).toBe(820);

    const poor = await setup(0);
    const free = await poor.billing.admit({
      keyId: KEY,
      requestId: 'r3',
      pricing: feePricing(P, 0),
      promptTokens: 1000,
      maxOutputTokens: 4096,
    });
    // The fallback to the gateway's key is refused: the key cannot pay for it.
    await expect(free.reprice(P)).rejects.toThrow(InsufficientCreditsError);
    expect((await free.settle({ promptTokens: 1000, completionTokens: 500 })).chargedMicros).toBe(0);
  });
});
