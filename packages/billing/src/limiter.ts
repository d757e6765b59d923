/**
 * Per-key admission limits: requests per minute and requests in flight. This is the contract
 * both implementations keep — in memory for one process (`createMemoryLimiter`) and in Redis for
 * replicas sharing one budget (`@saferouter/billing/redis`) — and the window arithmetic they share.
 *
 * The rpm window is FIXED and keyed by the minute of the clock (`floor(now / 60 s)`): every key's
 * budget resets at :00. A fixed window is one counter per key and one atomic increment in Redis;
 * its known weakness (up to 2× rpm across a minute boundary) is acceptable for abuse control.
 * A refused request consumes nothing: neither an rpm unit nor a slot.
 *
 * Concurrency slots carry an expiry (`slotTtlMs`) as a safety net: a slot whose `release()` never
 * came (a crashed replica, a bug) frees itself instead of blocking the key forever.
 */
import { InvalidArgumentError, SafeRouterError } from '@saferouter/errors';
import { assertKeyId, assertObject } from './validate.js';

/** A key's limits; `null` means unlimited. 0 refuses every request. */
export interface Limits {
  rpm: number | null;
  concurrency: number | null;
}

export type AcquireResult =
  { ok: true; release(): void } | { ok: false; retryAfterSeconds: number; reason: 'rpm' | 'concurrency' };

export interface Limiter {
  /**
   * Admits one request of `keyId`, or says why not and when to retry (`Retry-After`). The rpm
   * limit is checked first, since its wait is the one that is known. `release()` frees the
   * concurrency slot; it is idempotent and never throws.
   */
  acquire(keyId: string, limits: Limits): Promise<AcquireResult>;
  /**
   * Checks that the limiter can answer (one `PING` to Redis; nothing for the memory limiter), for
   * a readiness probe. Rejects when its backend is unreachable, or after `close()`.
   */
  ping(): Promise<void>;
  /** Frees resources (connections). `acquire` afterwards rejects. */
  close(): Promise<void>;
}

/** A refusal as `acquire` reports it. */
export type LimitRefusal = Extract<AcquireResult, { ok: false }>;

/**
 * A request refused by a per-key limit: 429 with `Retry-After`, in the one error family. Not
 * retryable by fallback: another model would be refused by the same key's limit.
 *
 * @example
 * const slot = await limiter.acquire(keyId, limits);
 * if (!slot.ok) throw new RateLimitError(slot, limits);
 */
export class RateLimitError extends SafeRouterError {
  readonly reason: LimitRefusal['reason'];
  readonly retryAfterSeconds: number;

  constructor(refusal: LimitRefusal, limits: Limits) {
    const what =
      refusal.reason === 'rpm'
        ? `${String(limits.rpm)} requests per minute`
        : `${String(limits.concurrency)} concurrent requests`;
    super({
      message: `Rate limit reached for this key (${what}). Retry after ${refusal.retryAfterSeconds} s.`,
      statusCode: 429,
      type: 'rate_limit_error',
      code: `rate_limit_${refusal.reason}`,
      headers: { 'retry-after': String(refusal.retryAfterSeconds) },
    });
    this.name = 'RateLimitError';
    this.reason = refusal.reason;
    this.retryAfterSeconds = refusal.retryAfterSeconds;
  }
}

/** The rpm window length. */
export const WINDOW_MS = 60_000;

/** Default lifetime of an unreleased concurrency slot: longer than any request should run. */
export const DEFAULT_SLOT_TTL_MS = 10 * 60_000;

/**
 * `Retry-After` for a concurrency refusal. When a slot frees is unknown (it is when some running
 * request ends), so clients are told to try again shortly.
 */
export const CONCURRENCY_RETRY_AFTER_SECONDS = 1;

/**
 * The window `now` falls in, and the whole seconds until the next one starts (at least 1).
 *
 * @example minuteWindow(60_000 * 5 + 15_000) // { bucket: 5, retryAfterSeconds: 45 }
 */
export function minuteWindow(now: number): { bucket: number; retryAfterSeconds: number } {
  const bucket = Math.floor(now / WINDOW_MS);
  return { bucket, retryAfterSeconds: retryAfterSeconds((bucket + 1) * WINDOW_MS - now) };
}

/**
 * Milliseconds of wait as a `Retry-After` value: rounded up, at least 1.
 *
 * @example retryAfterSeconds(200) // 1
 */
export function retryAfterSeconds(waitMs: number): number {
  return Math.max(1, Math.ceil(waitMs / 1000));
}

/**
 * The argument checks every `Limiter.acquire` runs first.
 *
 * @example assertAcquireArgs(keyId, { rpm: 60, concurrency: null });
 * @throws {InvalidArgumentError} when `keyId` is not a 1–64 character string, or a limit is
 *   neither `null` nor a non-negative safe integer.
 */
export function assertAcquireArgs(keyId: unknown, limits: unknown): asserts limits is Limits {
  assertKeyId(keyId);
  assertObject(limits, 'limits');
  for (const name of ['rpm', 'concurrency'] as const) {
    const value = limits[name];
    if (value === null) continue;
    if (typeof value !== 'number')
      throw new InvalidArgumentError(`limits.${name}`, `limits.${name} must be a number or null`, 'type');
    if (!Number.isSafeInteger(value) || value < 0)
      throw new InvalidArgumentError(
        `limits.${name}`,
        `limits.${name} must be a non-negative safe integer or null`,
        'range',
      );
  }
}
