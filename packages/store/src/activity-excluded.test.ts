/** Tests for how an activity entry's excluded endpoints are encoded and bounded. */

import { describe, expect, it } from 'vitest';
import {
  ACTIVITY_EXCLUDED_MAX_BYTES,
  activityExcludedBytes,
  decodeActivityExcluded,
  encodeActivityExcluded,
  fitActivityExcluded,
} from './activity-excluded.js';
import type { ActivityExcludedEndpoint } from './activity-types.js';

const item = (i: number, reason = 'provider.ignore'): ActivityExcludedEndpoint => ({
  model: `model-${i}`,
  provider: `provider-${i}`,
  reason,
});

describe('activity excluded endpoints', () => {
  it('encodes an empty list as NULL and a list as compact JSON of the known fields', () => {
    expect(encodeActivityExcluded([])).toBeNull();
    expect(decodeActivityExcluded(null)).toEqual([]);
    const extra = { ...item(1), secret: 'x' } as ActivityExcludedEndpoint;
    const text = encodeActivityExcluded([extra]);
    expect(text).toBe('[{"model":"model-1","provider":"provider-1","reason":"provider.ignore"}]');
    expect(decodeActivityExcluded(text)).toEqual([item(1)]);
  });

  it('counts UTF-8 bytes, not characters', () => {
    const ascii = [item(1, 'e')];
    const accented = [item(1, 'é')];
    expect(activityExcludedBytes(accented)).toBe(activityExcludedBytes(ascii) + 1);
    expect(activityExcludedBytes([])).toBe(0);
  });

  it('keeps the longest prefix that fits, exactly at the bound', () => {
    expect(fitActivityExcluded([])).toEqual([]);
    const few = [item(1), item(2)];
    expect(fitActivityExcluded(few)).toBe(few);
    for (const reason of ['r', 'provider.require_parameters: tools', 'é'.repeat(37)]) {
      const many = Array.from({ length: 300 }, (_, i) => item(i, reason));
      const fitted = fitActivityExcluded(many);
      expect(fitted).toEqual(many.slice(0, fitted.length));
      expect(activityExcludedBytes(fitted)).toBeLessThanOrEqual(ACTIVITY_EXCLUDED_MAX_BYTES);
      expect(activityExcludedBytes(many.slice(0, fitted.length + 1))).toBeGreaterThan(ACTIVITY_EXCLUDED_MAX_BYTES);
    }
  });

  it('keeps a list whose JSON is exactly the bound', () => {
    // One item is 40 bytes of fixed JSON plus its strings; pad the reason to land on 4096 bytes.
    const base = activityExcludedBytes([item(1, '')]);
    const exact = [item(1, 'x'.repeat(ACTIVITY_EXCLUDED_MAX_BYTES - base))];
    expect(activityExcludedBytes(exact)).toBe(ACTIVITY_EXCLUDED_MAX_BYTES);
    expect(fitActivityExcluded(exact)).toBe(exact);
    const over = [item(1, 'x'.repeat(ACTIVITY_EXCLUDED_MAX_BYTES - base + 1))];
    expect(fitActivityExcluded(over)).toEqual([]);
  });
});
