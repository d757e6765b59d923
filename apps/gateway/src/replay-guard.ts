/**
 * Where EHBP remembers encapsulated keys it has accepted, so a sealed request replayed by an
 * intermediary is refused instead of charged twice: in this process, or in Redis when replicas
 * share one (`REDIS_URL`), with one `SET key 1 PX ttl NX` per sealed request.
 */
import { memoryReplayGuard, type ReplayGuard } from '@saferouter/ehbp/server';

export interface ClosableReplayGuard extends ReplayGuard {
  close(): Promise<void>;
}

/**
 * @param redisUrl when set, the guard lives in Redis (loaded only then).
 * @param onError the Redis client's connection errors (see redis-errors.ts).
 */
export async function createReplayGuard(
  redisUrl: string | undefined,
  onError: (error: Error) => void = () => undefined,
): Promise<ClosableReplayGuard> {
  if (redisUrl === undefined) {
    const guard = memoryReplayGuard();
    return { claim: guard.claim, close: () => Promise.resolve() };
  }
  const { Redis } = await import('ioredis');
  const redis = new Redis(redisUrl, { lazyConnect: false, maxRetriesPerRequest: 2 });
  redis.on('error', onError);
  return {
    claim: async (enc, ttlMs) => (await redis.set(`saferouter:ehbp:enc:${enc}`, '1', 'PX', ttlMs, 'NX')) === 'OK',
    close: async () => {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
