/**
 * The Redis `Limiter` (`@saferouter/billing/redis`): gateway replicas pointed at one Redis share
 * each key's rpm budget and concurrency slots. A subpath of its own, so importing the main entry
 * never loads ioredis.
 *
 * One Lua script per acquire does everything atomically on the server: read the key's minute
 * counter, prune expired slots, check both limits, and only then count the request and take a
 * slot. Per key:
 * - `{prefix}{keyId}:rpm`, a hash `{ b: minute bucket, n: count }` that resets when the bucket
 *   changes and expires shortly after its minute;
 * - `{prefix}{keyId}:slots`, a sorted set of in-flight slot ids scored by their expiry, so slots of
 *   a crashed replica fall out on the next acquire; the set itself expires when idle.
 * Time is the Redis server's (`TIME`) unless a `clock` is injected (tests), so replicas with
 * skewed clocks still agree on the minute. The `{keyId}` hash tag keeps both keys in one cluster
 * slot. Release is a single `ZREM`, atomic on its own, so it needs no script.
 */
import { InvalidArgumentError } from '@saferouter/errors';
import { Redis, type RedisOptions } from 'ioredis';
import {
  assertAcquireArgs,
  CONCURRENCY_RETRY_AFTER_SECONDS,
  DEFAULT_SLOT_TTL_MS,
  retryAfterSeconds,
  type AcquireResult,
  type Limiter,
} from './limiter.js';
import { randomUUID } from 'node:crypto';
import { assertFunction, assertPositiveInteger, assertString, checkObject } from './validate.js';

export interface RedisLimiterOptions {
  /** `redis://…` URL; the limiter opens (and closes) its own connection. Or pass `client`. */
  url?: string | undefined;
  /** An existing connection, left open by `close()`. */
  client?: Redis | undefined;
  /** Prefix of every key the limiter writes. Default `saferouter:limit:`. */
  prefix?: string | undefined;
  /** When an unreleased slot frees itself. Default 10 minutes. */
  slotTtlMs?: number | undefined;
  /** Milliseconds since the epoch; default the Redis server's clock. */
  clock?: (() => number) | undefined;
  /** Connection errors and failed releases (a failed release self-heals at slot expiry). */
  onError?: ((error: unknown) => void) | undefined;
  /** Extra ioredis options for a connection opened from `url`. */
  redisOptions?: RedisOptions | undefined;
}

export const DEFAULT_REDIS_PREFIX = 'saferouter:limit:';

// KEYS: rpm hash, slots zset. ARGV: rpm (-1 = none), concurrency (-1 = none), slot id, now ms
// ('' = server time), slot ttl ms. Returns {1} or {0, reason, wait ms}.
const ACQUIRE_LUA = `
local now
if ARGV[4] == '' then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
else
  now = tonumber(ARGV[4])
end
local rpm = tonumber(ARGV[1])
local concurrency = tonumber(ARGV[2])
local ttl = tonumber(ARGV[5])
local bucket = math.floor(now / 60000)
local windowEnd = (bucket + 1) * 60000
local count = 0
if rpm >= 0 then
  local stored = redis.call('HMGET', KEYS[1], 'b', 'n')
  if tonumber(stored[1]) == bucket then count = tonumber(stored[2]) or 0 end
  if count >= rpm then return {0, 'rpm', windowEnd - now} end
end
if concurrency >= 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', string.format('%d', now))
  if redis.call('ZCARD', KEYS[2]) >= concurrency then return {0, 'concurrency', 0} end
end
if rpm >= 0 then
  redis.call('HSET', KEYS[1], 'b', string.format('%d', bucket), 'n', count + 1)
  redis.call('PEXPIRE', KEYS[1], windowEnd - now + 1000)
end
if concurrency >= 0 then
  redis.call('ZADD', KEYS[2], string.format('%d', now + ttl), ARGV[3])
  if redis.call('PTTL', KEYS[2]) < ttl then redis.call('PEXPIRE', KEYS[2], ttl) end
end
return {1}
`;

interface LimiterCommands {
  saferouterLimiterAcquire(rpmKey: string, slotsKey: string, ...args: string[]): Promise<unknown>;
}

/**
 * @example
 * import { createRedisLimiter } from '@saferouter/billing/redis';
 * const limiter = createRedisLimiter({ url: process.env.REDIS_URL });
 * const slot = await limiter.acquire(keyId, { rpm: 60, concurrency: 4 });
 * @throws {TypeError | RangeError} on malformed options, or when neither `url` nor `client` is given.
 */
export function createRedisLimiter(options: RedisLimiterOptions): Limiter {
  checkObject(options, 'options');
  const prefix = options.prefix ?? DEFAULT_REDIS_PREFIX;
  assertString(prefix, 'options.prefix', 0, 200);
  // A brace in the prefix would become the cluster hash tag instead of the key id.
  if (/[{}]/.test(prefix))
    throw new InvalidArgumentError('options.prefix', 'options.prefix must not contain { or }', 'range');
  const slotTtlMs = options.slotTtlMs ?? DEFAULT_SLOT_TTL_MS;
  assertPositiveInteger(slotTtlMs, 'options.slotTtlMs');
  if (options.clock !== undefined) assertFunction(options.clock, 'options.clock');
  const clock = options.clock;
  const onError = options.onError ?? ((): void => undefined);
  assertFunction(onError, 'options.onError');

  let redis: Redis;
  const owned = options.client === undefined;
  if (options.client !== undefined) {
    redis = options.client;
  } else {
    assertString(options.url, 'options.url', 1, 4096);
    // Fail a command after one reconnect attempt instead of queueing it for ~20: a gateway would
    // rather answer 503 than hang every request while Redis is down.
    redis = new Redis(options.url, { maxRetriesPerRequest: 1, connectTimeout: 5_000, ...options.redisOptions });
    redis.on('error', onError);
  }
  redis.defineCommand('saferouterLimiterAcquire', { numberOfKeys: 2, lua: ACQUIRE_LUA });
  const commands = redis as Redis & LimiterCommands;
  let closed = false;

  return {
    async acquire(keyId, limits) {
      assertAcquireArgs(keyId, limits);
      if (closed) throw new Error('limiter is closed');
      const rpmKey = `${prefix}{${keyId}}:rpm`;
      const slotsKey = `${prefix}{${keyId}}:slots`;
      const slotId = randomUUID();
      const reply = await commands.saferouterLimiterAcquire(
        rpmKey,
        slotsKey,
        String(limits.rpm ?? -1),
        String(limits.concurrency ?? -1),
        slotId,
        clock === undefined ? '' : String(Math.floor(clock())),
        String(slotTtlMs),
      );
      return toResult(reply, () => {
        if (limits.concurrency === null) return;
        // Sent synchronously, so a later acquire on this connection is ordered after it.
        redis.zrem(slotsKey, slotId).catch(onError);
      });
    },

    async ping() {
      if (closed) throw new Error('limiter is closed');
      await redis.ping();
    },

    async close() {
      if (closed) return;
      closed = true;
      if (!owned) return;
      // QUIT needs a live connection; one still (re)connecting is simply dropped.
      if (redis.status === 'ready') await redis.quit();
      else redis.disconnect();
    },
  };
}

function toResult(reply: unknown, release: () => void): AcquireResult {
  if (!Array.isArray(reply) || (reply[0] !== 1 && reply[0] !== 0))
    throw new Error('unexpected reply from the limiter script');
  if (reply[0] === 1) {
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        release();
      },
    };
  }
  const reason: unknown = reply[1];
  if (reason === 'rpm') return { ok: false, reason, retryAfterSeconds: retryAfterSeconds(Number(reply[2])) };
  if (reason === 'concurrency') return { ok: false, reason, retryAfterSeconds: CONCURRENCY_RETRY_AFTER_SECONDS };
  throw new Error('unexpected reply from the limiter script');
}
