/**
 * The in-process `Limiter`: right for a single gateway process, and the reference the Redis
 * limiter is tested against (same conformance suite, same fixed minute window, same slot expiry).
 */
import {
  assertAcquireArgs,
  CONCURRENCY_RETRY_AFTER_SECONDS,
  DEFAULT_SLOT_TTL_MS,
  minuteWindow,
  type Limiter,
} from './limiter.js';
import { assertFunction, assertPositiveInteger, checkObject } from './validate.js';

export interface MemoryLimiterOptions {
  /** Milliseconds since the epoch. Default `Date.now`. */
  clock?: (() => number) | undefined;
  /** When an unreleased slot frees itself. Default 10 minutes. */
  slotTtlMs?: number | undefined;
}

/**
 * @example
 * const limiter = createMemoryLimiter();
 * const slot = await limiter.acquire(keyId, { rpm: 60, concurrency: 4 });
 * if (!slot.ok) throw tooManyRequests(slot.retryAfterSeconds);
 * try { await handle(); } finally { slot.release(); }
 * @throws {TypeError | RangeError} on malformed options.
 */
export function createMemoryLimiter(options: MemoryLimiterOptions = {}): Limiter {
  checkObject(options, 'options');
  const clock = options.clock ?? Date.now;
  assertFunction(clock, 'options.clock');
  const slotTtlMs = options.slotTtlMs ?? DEFAULT_SLOT_TTL_MS;
  assertPositiveInteger(slotTtlMs, 'options.slotTtlMs');

  /** Requests started per key in the current window. */
  const counts = new Map<string, { bucket: number; count: number }>();
  /** Per key, each in-flight slot's expiry, by slot. */
  const inFlight = new Map<string, Map<symbol, number>>();
  let sweptBucket = -1;
  let closed = false;

  const liveSlots = (keyId: string, now: number): Map<symbol, number> | undefined => {
    const slots = inFlight.get(keyId);
    if (slots === undefined) return undefined;
    for (const [slot, expiresAt] of slots) if (expiresAt <= now) slots.delete(slot);
    if (slots.size === 0) inFlight.delete(keyId);
    return slots.size === 0 ? undefined : slots;
  };

  return {
    // Async although nothing awaits, so bad arguments reject like the Redis limiter's do.
    async acquire(keyId, limits) {
      assertAcquireArgs(keyId, limits);
      if (closed) throw new Error('limiter is closed');
      const now = clock();
      const window = minuteWindow(now);
      if (window.bucket !== sweptBucket) {
        // Once per minute drop every stale counter, so idle keys do not accumulate.
        for (const [key, entry] of counts) if (entry.bucket !== window.bucket) counts.delete(key);
        sweptBucket = window.bucket;
      }

      const counted = counts.get(keyId);
      const started = counted?.bucket === window.bucket ? counted.count : 0;
      if (limits.rpm !== null && started >= limits.rpm) {
        return { ok: false, reason: 'rpm', retryAfterSeconds: window.retryAfterSeconds };
      }
      const slots = liveSlots(keyId, now);
      if (limits.concurrency !== null && (slots?.size ?? 0) >= limits.concurrency) {
        return { ok: false, reason: 'concurrency', retryAfterSeconds: CONCURRENCY_RETRY_AFTER_SECONDS };
      }

      if (limits.rpm !== null) counts.set(keyId, { bucket: window.bucket, count: started + 1 });
      if (limits.concurrency === null) return { ok: true, release: () => undefined };
      const slot = Symbol(keyId);
      const held = slots ?? new Map<symbol, number>();
      held.set(slot, now + slotTtlMs);
      inFlight.set(keyId, held);
      return {
        ok: true,
        release: () => {
          // Idempotent by construction: deleting an absent slot changes nothing.
          const current = inFlight.get(keyId);
          if (current?.delete(slot) === true && current.size === 0) inFlight.delete(keyId);
        },
      };
    },

    async ping() {
      if (closed) throw new Error('limiter is closed');
    },

    close() {
      closed = true;
      counts.clear();
      inFlight.clear();
      return Promise.resolve();
    },
  };
}
