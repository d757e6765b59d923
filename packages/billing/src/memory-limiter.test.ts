import { InvalidArgumentError } from '@saferouter/errors';
import { describe, expect, it } from 'vitest';
import { createMemoryLimiter } from './memory-limiter.js';
import { describeLimiterConformance, T0 } from './testing/limiter-conformance.js';

describeLimiterConformance('memory', async () => ({
  open: async (clock, options) => createMemoryLimiter({ clock, ...options }),
}));

describe('createMemoryLimiter', () => {
  it('defaults to the real clock', async () => {
    const limiter = createMemoryLimiter();
    const refused = await limiter.acquire('k', { rpm: 0, concurrency: null });
    expect(refused.ok).toBe(false);
    if (!refused.ok) {
      expect(refused.retryAfterSeconds).toBeGreaterThanOrEqual(1);
      expect(refused.retryAfterSeconds).toBeLessThanOrEqual(60);
    }
    await limiter.close();
  });

  it('rejects malformed options', () => {
    expect(() => createMemoryLimiter({ slotTtlMs: 0 })).toThrow(/options\.slotTtlMs/);
    expect(() => createMemoryLimiter({ clock: 5 as unknown as () => number })).toThrow(InvalidArgumentError);
    expect(() => createMemoryLimiter(null as unknown as object)).toThrow(InvalidArgumentError);
  });

  it('forgets an old minute: a key idle for a window starts from zero', async () => {
    let now = T0;
    const limiter = createMemoryLimiter({ clock: () => now });
    expect((await limiter.acquire('a', { rpm: 1, concurrency: null })).ok).toBe(true);
    now = T0 + 5 * 60_000;
    expect((await limiter.acquire('a', { rpm: 1, concurrency: null })).ok).toBe(true);
    expect((await limiter.acquire('a', { rpm: 1, concurrency: null })).ok).toBe(false);
  });

  it('tolerates release after close', async () => {
    const limiter = createMemoryLimiter();
    const slot = await limiter.acquire('a', { rpm: null, concurrency: 1 });
    await limiter.close();
    expect(slot.ok).toBe(true);
    if (slot.ok) expect(() => slot.release()).not.toThrow();
  });
});
