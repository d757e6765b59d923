/**
 * The audit sampler: rates 0 and 1 are exact, 0.05 over 100k CSPRNG draws lands in a tight band,
 * the decision follows the injected bytes, and bad rates are refused naming the argument.
 */
import { describe, expect, it } from 'vitest';
import { auditSampler } from './sampler.js';

const draws = (sample: () => boolean, n: number): number => {
  let k = 0;
  for (let i = 0; i < n; i++) if (sample()) k++;
  return k;
};

describe('auditSampler', () => {
  it('samples about 5% at rate 0.05', () => {
    // Binomial(100000, 0.05): mean 5000, sd ≈ 69; ±6 sd keeps a false failure below 1e-8.
    const k = draws(auditSampler(0.05), 100_000);
    expect(k).toBeGreaterThan(4580);
    expect(k).toBeLessThan(5420);
  });

  it('is exact at 0 and 1', () => {
    expect(draws(auditSampler(0), 100_000)).toBe(0);
    expect(draws(auditSampler(1), 100_000)).toBe(100_000);
  });

  it('decides from the injected random bytes (u < rate on a 53-bit fraction)', () => {
    const zeros = auditSampler(0.5, (n) => new Uint8Array(n));
    expect(zeros()).toBe(true); // u = 0
    const ones = auditSampler(0.999999, (n) => new Uint8Array(n).fill(0xff));
    expect(ones()).toBe(false); // u = 1 - 2^-53
    let calls = 0;
    const counted = auditSampler(0.3, (n) => {
      calls++;
      return new Uint8Array(n);
    });
    draws(counted, 5000);
    expect(calls).toBeLessThanOrEqual(5);
  });

  it('refuses rates outside 0..1 and non-numbers', () => {
    for (const bad of [-0.01, 1.01, Number.NaN, Number.POSITIVE_INFINITY])
      expect(() => auditSampler(bad)).toThrow(new RangeError('rate must be between 0 and 1'));
    expect(() => auditSampler('0.05' as unknown as number)).toThrow(new TypeError('rate must be a number'));
    expect(() => auditSampler(0.5, (n) => new Uint8Array(n - 1))()).toThrow(RangeError);
  });
});
