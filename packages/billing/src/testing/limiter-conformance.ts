/**
 * The behaviour every `Limiter` must share, as a vitest suite: the memory limiter and the Redis
 * limiter both run it, with a fake clock, so "behaves like the memory one" is checked, not hoped.
 * Internal to the package's tests (it imports vitest), so it is not built or exported.
 */
import { InvalidArgumentError } from '@saferouter/errors';
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AcquireResult, Limiter } from '../limiter.js';

export interface LimiterFixture {
  /** A new limiter reading `clock`. */
  open(clock: () => number, options?: { slotTtlMs?: number }): Promise<Limiter>;
  /** Called after each test, once every opened limiter is closed. */
  destroy?(): Promise<void>;
}

/** A minute boundary (28_333_334 × 60 s), so offsets inside the window are easy to read. */
export const T0 = 1_700_000_040_000;

type Granted = Extract<AcquireResult, { ok: true }>;

function granted(result: AcquireResult): Granted {
  expect(result.ok, 'expected the request to be admitted').toBe(true);
  return result as Granted;
}

/**
 * @example
 * describeLimiterConformance('memory', async () => ({ open: async (clock, o) => createMemoryLimiter({ clock, ...o }) }));
 */
export function describeLimiterConformance(name: string, createFixture: () => Promise<LimiterFixture>): void {
  describe(`${name} limiter conformance`, () => {
    let fixture: LimiterFixture;
    let opened: Limiter[];
    let now: number;
    let limiter: Limiter;
    let key: string;
    const clock = (): number => now;
    const open = async (options?: { slotTtlMs?: number }): Promise<Limiter> => {
      const l = await fixture.open(clock, options);
      opened.push(l);
      return l;
    };

    beforeEach(async () => {
      fixture = await createFixture();
      opened = [];
      now = T0;
      limiter = await open();
      key = `key_${randomUUID().slice(0, 8)}`;
    });

    afterEach(async () => {
      for (const l of opened) await l.close();
      await fixture.destroy?.();
    });

    it('admits anything without limits', async () => {
      for (let i = 0; i < 50; i++) granted(await limiter.acquire(key, { rpm: null, concurrency: null }));
    });

    it('refuses past the rpm limit with the seconds left in the minute', async () => {
      now = T0 + 15_000;
      for (let i = 0; i < 3; i++) granted(await limiter.acquire(key, { rpm: 3, concurrency: null }));
      expect(await limiter.acquire(key, { rpm: 3, concurrency: null })).toEqual({
        ok: false,
        reason: 'rpm',
        retryAfterSeconds: 45,
      });
    });

    it('rounds Retry-After up to whole seconds, never below 1', async () => {
      const limits = { rpm: 0, concurrency: null };
      const at = async (offset: number): Promise<AcquireResult> => {
        now = T0 + offset;
        return limiter.acquire(key, limits);
      };
      expect(await at(0)).toEqual({ ok: false, reason: 'rpm', retryAfterSeconds: 60 });
      expect(await at(200)).toEqual({ ok: false, reason: 'rpm', retryAfterSeconds: 60 });
      expect(await at(1_000)).toEqual({ ok: false, reason: 'rpm', retryAfterSeconds: 59 });
      expect(await at(59_500)).toEqual({ ok: false, reason: 'rpm', retryAfterSeconds: 1 });
      expect(await at(59_999)).toEqual({ ok: false, reason: 'rpm', retryAfterSeconds: 1 });
    });

    it('opens a fresh budget when the minute rolls over (fixed window)', async () => {
      const limits = { rpm: 2, concurrency: null };
      now = T0 + 59_000;
      granted(await limiter.acquire(key, limits));
      granted(await limiter.acquire(key, limits));
      expect((await limiter.acquire(key, limits)).ok).toBe(false);
      now = T0 + 59_999;
      expect((await limiter.acquire(key, limits)).ok).toBe(false);
      now = T0 + 60_000; // a fixed window: the full budget is back one ms later
      granted(await limiter.acquire(key, limits));
      granted(await limiter.acquire(key, limits));
      expect(await limiter.acquire(key, limits)).toEqual({ ok: false, reason: 'rpm', retryAfterSeconds: 60 });
    });

    it('limits requests in flight and frees a slot on release', async () => {
      const limits = { rpm: null, concurrency: 2 };
      const a = granted(await limiter.acquire(key, limits));
      granted(await limiter.acquire(key, limits));
      expect(await limiter.acquire(key, limits)).toEqual({ ok: false, reason: 'concurrency', retryAfterSeconds: 1 });
      a.release();
      granted(await limiter.acquire(key, limits));
      expect((await limiter.acquire(key, limits)).ok).toBe(false);
    });

    it('makes release idempotent: a second release frees nothing', async () => {
      const limits = { rpm: null, concurrency: 1 };
      const a = granted(await limiter.acquire(key, limits));
      a.release();
      a.release();
      granted(await limiter.acquire(key, limits));
      a.release();
      expect(await limiter.acquire(key, limits)).toEqual({ ok: false, reason: 'concurrency', retryAfterSeconds: 1 });
    });

    it('does not refund rpm on release', async () => {
      const limits = { rpm: 2, concurrency: 1 };
      granted(await limiter.acquire(key, limits)).release();
      granted(await limiter.acquire(key, limits)).release();
      expect((await limiter.acquire(key, limits)) as unknown).toMatchObject({ ok: false, reason: 'rpm' });
    });

    it('charges a refused request nothing: no rpm unit, no slot', async () => {
      const limits = { rpm: 2, concurrency: 1 };
      const a = granted(await limiter.acquire(key, limits));
      expect((await limiter.acquire(key, limits)) as unknown).toMatchObject({ ok: false, reason: 'concurrency' });
      a.release();
      granted(await limiter.acquire(key, limits)).release(); // the refused one did not spend the 2nd unit
      expect((await limiter.acquire(key, limits)) as unknown).toMatchObject({ ok: false, reason: 'rpm' });
    });

    it('reports rpm before concurrency when both are exhausted', async () => {
      const limits = { rpm: 1, concurrency: 1 };
      now = T0 + 30_000;
      granted(await limiter.acquire(key, limits));
      expect(await limiter.acquire(key, limits)).toEqual({ ok: false, reason: 'rpm', retryAfterSeconds: 30 });
    });

    it('keeps keys apart', async () => {
      const other = `${key}_other`;
      granted(await limiter.acquire(key, { rpm: 1, concurrency: 1 }));
      expect((await limiter.acquire(key, { rpm: 1, concurrency: 1 })).ok).toBe(false);
      granted(await limiter.acquire(other, { rpm: 1, concurrency: 1 }));
    });

    it('frees a slot that was never released once slotTtlMs has passed', async () => {
      const short = await open({ slotTtlMs: 30_000 });
      const limits = { rpm: null, concurrency: 1 };
      granted(await short.acquire(key, limits)); // never released: a crashed request
      now = T0 + 29_999;
      expect((await short.acquire(key, limits)).ok).toBe(false);
      now = T0 + 30_000;
      granted(await short.acquire(key, limits));
      expect((await short.acquire(key, limits)).ok).toBe(false);
    });

    it('admits exactly the limit under concurrent acquires', async () => {
      const rpmOnly = await Promise.all(
        Array.from({ length: 20 }, () => limiter.acquire(key, { rpm: 7, concurrency: null })),
      );
      expect(rpmOnly.filter((r) => r.ok)).toHaveLength(7);
      const other = `${key}_c`;
      const slots = await Promise.all(
        Array.from({ length: 20 }, () => limiter.acquire(other, { rpm: null, concurrency: 5 })),
      );
      expect(slots.filter((r) => r.ok)).toHaveLength(5);
      expect(slots.filter((r) => !r.ok).every((r) => !r.ok && r.reason === 'concurrency')).toBe(true);
    });

    it('rejects malformed arguments with TypeError / RangeError naming them', async () => {
      await expect(limiter.acquire('', { rpm: 1, concurrency: 1 })).rejects.toThrow(InvalidArgumentError);
      await expect(limiter.acquire(7 as unknown as string, { rpm: 1, concurrency: 1 })).rejects.toThrow(/keyId/);
      await expect(limiter.acquire(key, { rpm: -1, concurrency: 1 })).rejects.toThrow(InvalidArgumentError);
      await expect(limiter.acquire(key, { rpm: 1.5, concurrency: 1 })).rejects.toThrow(/limits\.rpm/);
      await expect(limiter.acquire(key, { rpm: 1, concurrency: '2' as unknown as number })).rejects.toThrow(
        InvalidArgumentError,
      );
      await expect(limiter.acquire(key, null as unknown as { rpm: null; concurrency: null })).rejects.toThrow(
        InvalidArgumentError,
      );
    });

    it('rejects acquire after close, and close twice is fine', async () => {
      const l = await open();
      await l.close();
      await l.close();
      await expect(l.acquire(key, { rpm: null, concurrency: null })).rejects.toThrow(/closed/);
    });

    it('answers ping while open and rejects it after close', async () => {
      const l = await open();
      await expect(l.ping()).resolves.toBeUndefined();
      await l.close();
      await expect(l.ping()).rejects.toThrow(/closed/);
    });
  });
}
