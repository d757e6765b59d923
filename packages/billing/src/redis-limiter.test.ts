/**
 * Runs against a real Redis (REDIS_URL, default redis://127.0.0.1:6379). These tests FAIL when
 * Redis is unreachable, on purpose: a skipped limiter test would hide a broken replica setup.
 * Every run writes under its own random prefix and deletes it afterwards.
 */
import { InvalidArgumentError } from '@saferouter/errors';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AcquireResult, Limiter } from './limiter.js';
import { createRedisLimiter } from './redis-limiter.js';
import { describeLimiterConformance, T0 } from './testing/limiter-conformance.js';

const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const RUN_PREFIX = `saferouter-billing-test:${randomUUID()}:`;

let admin: Redis;
let prefixes = 0;
const nextPrefix = (): string => `${RUN_PREFIX}${++prefixes}:`;

async function keysUnder(prefix: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await admin.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    found.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return found;
}

async function deleteUnder(prefix: string): Promise<void> {
  const keys = await keysUnder(prefix);
  if (keys.length > 0) await admin.del(...keys);
}

beforeAll(async () => {
  admin = new Redis(REDIS_URL, { maxRetriesPerRequest: 1, connectTimeout: 3_000, lazyConnect: true });
  admin.on('error', () => undefined);
  try {
    await admin.connect();
    expect(await admin.ping()).toBe('PONG');
  } catch (cause) {
    throw new Error(`Redis is not reachable at ${REDIS_URL}: start it (these tests fail rather than skip)`, { cause });
  }
});

afterAll(async () => {
  await deleteUnder(RUN_PREFIX);
  await admin.quit();
});

describeLimiterConformance('redis', async () => {
  const prefix = nextPrefix();
  return {
    open: async (clock, options) => createRedisLimiter({ url: REDIS_URL, prefix, clock, ...options }),
    destroy: () => deleteUnder(prefix),
  };
});

describe('createRedisLimiter', () => {
  const opened: Limiter[] = [];
  const open = (options: Parameters<typeof createRedisLimiter>[0]): Limiter => {
    const limiter = createRedisLimiter(options);
    opened.push(limiter);
    return limiter;
  };
  afterEach(async () => {
    for (const l of opened.splice(0)) await l.close();
  });

  it('lets two replicas (two connections) share one rpm and one concurrency budget', async () => {
    const prefix = nextPrefix();
    let now = T0 + 10_000;
    const clock = (): number => now;
    const a = open({ url: REDIS_URL, prefix, clock });
    const b = open({ url: REDIS_URL, prefix, clock });

    const rpm = { rpm: 4, concurrency: null };
    expect((await a.acquire('shared', rpm)).ok).toBe(true);
    expect((await b.acquire('shared', rpm)).ok).toBe(true);
    expect((await a.acquire('shared', rpm)).ok).toBe(true);
    expect((await b.acquire('shared', rpm)).ok).toBe(true);
    expect(await a.acquire('shared', rpm)).toEqual({ ok: false, reason: 'rpm', retryAfterSeconds: 50 });
    expect(await b.acquire('shared', rpm)).toEqual({ ok: false, reason: 'rpm', retryAfterSeconds: 50 });

    const slots = { rpm: null, concurrency: 2 };
    const fromA = await a.acquire('slots', slots);
    const fromB = await b.acquire('slots', slots);
    expect([fromA.ok, fromB.ok]).toEqual([true, true]);
    expect(await a.acquire('slots', slots)).toEqual({ ok: false, reason: 'concurrency', retryAfterSeconds: 1 });
    if (fromB.ok) fromB.release();
    // B's ZREM travels on B's connection; A sees it as soon as Redis has applied it.
    let again: AcquireResult | undefined;
    await vi.waitFor(async () => {
      again = await a.acquire('slots', slots);
      expect(again.ok).toBe(true);
    });
    expect((await b.acquire('slots', slots)).ok).toBe(false);

    // Concurrent acquires from both replicas still admit exactly the budget.
    now = T0 + 70_000;
    const burst = await Promise.all(
      Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? a : b).acquire('burst', { rpm: 9, concurrency: null })),
    );
    expect(burst.filter((r) => r.ok)).toHaveLength(9);
    await deleteUnder(prefix);
  });

  it("uses the Redis server's clock when none is given", async () => {
    const prefix = nextPrefix();
    const limiter = open({ url: REDIS_URL, prefix });
    // Retried once in case the minute rolls over between the acquires (two rollovers cannot happen).
    for (let attempt = 0; attempt < 2; attempt++) {
      const key = `server-clock-${attempt}`;
      expect((await limiter.acquire(key, { rpm: 2, concurrency: null })).ok).toBe(true);
      expect((await limiter.acquire(key, { rpm: 2, concurrency: null })).ok).toBe(true);
      const third = await limiter.acquire(key, { rpm: 2, concurrency: null });
      if (third.ok) continue;
      expect(third.reason).toBe('rpm');
      expect(third.retryAfterSeconds).toBeGreaterThanOrEqual(1);
      expect(third.retryAfterSeconds).toBeLessThanOrEqual(60);
      break;
    }
    await deleteUnder(prefix);
  });

  it('writes only under its prefix, every key with a TTL', async () => {
    const prefix = nextPrefix();
    const limiter = open({ url: REDIS_URL, prefix, slotTtlMs: 90_000 });
    expect((await limiter.acquire('ttl', { rpm: 5, concurrency: 5 })).ok).toBe(true);
    const keys = (await keysUnder(prefix)).sort();
    expect(keys).toEqual([`${prefix}{ttl}:rpm`, `${prefix}{ttl}:slots`]);
    for (const key of keys) {
      const ttl = await admin.pttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(90_000);
    }
    await deleteUnder(prefix);
  });

  it('leaves a client it was given open on close', async () => {
    const client = new Redis(REDIS_URL);
    const limiter = createRedisLimiter({ client, prefix: nextPrefix() });
    expect((await limiter.acquire('own', { rpm: 1, concurrency: 1 })).ok).toBe(true);
    await limiter.close();
    expect(await client.ping()).toBe('PONG');
    await client.quit();
  });

  it('rejects acquire promptly (does not hang) when Redis is down', async () => {
    const errors: unknown[] = [];
    const limiter = open({ url: 'redis://127.0.0.1:1', prefix: nextPrefix(), onError: (e) => errors.push(e) });
    await expect(limiter.acquire('down', { rpm: 1, concurrency: 1 })).rejects.toThrow();
    expect(errors.length).toBeGreaterThan(0);
  }, 15_000);

  it('rejects ping promptly when Redis is down (a readiness probe must see it)', async () => {
    const limiter = open({ url: 'redis://127.0.0.1:1', prefix: nextPrefix(), onError: () => undefined });
    await expect(limiter.ping()).rejects.toThrow();
  }, 15_000);

  it('rejects malformed options', () => {
    expect(() => createRedisLimiter({ url: REDIS_URL, prefix: 'a{b' })).toThrow(InvalidArgumentError);
    expect(() => createRedisLimiter({})).toThrow(/options\.url/);
    expect(() => createRedisLimiter({ url: REDIS_URL, slotTtlMs: -5 })).toThrow(/options\.slotTtlMs/);
  });
});
