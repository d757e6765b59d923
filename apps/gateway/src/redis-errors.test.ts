// Redis connection errors reach the log, rate-limited, instead of ioredis's console warning.
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { redisErrorLogger } from './redis-errors.js';
import { createReplayGuard } from './replay-guard.js';

describe('redisErrorLogger', () => {
  it('logs the first error at once, then one line per interval with the count in between', () => {
    const lines: { fields: Record<string, unknown>; msg: string }[] = [];
    let t = 0;
    const log = redisErrorLogger(
      { warn: ((fields: Record<string, unknown>, msg: string) => void lines.push({ fields, msg })) as never },
      'limiter',
      1000,
      () => t,
    );
    log(new Error('connect ECONNREFUSED 127.0.0.1:1'));
    t = 10;
    log(new Error('connect ECONNREFUSED 127.0.0.1:1'));
    t = 500;
    log(new Error('connect ECONNREFUSED 127.0.0.1:1'));
    t = 1500;
    log(new Error('connect ETIMEDOUT'));
    expect(lines.map((l) => l.fields)).toEqual([
      { client: 'limiter', error: 'connect ECONNREFUSED 127.0.0.1:1' },
      { client: 'limiter', error: 'connect ETIMEDOUT', suppressed: 2 },
    ]);
    expect(lines[0]?.msg).toBe('redis (limiter): connect ECONNREFUSED 127.0.0.1:1');
  });
});

describe('the Redis replay guard', () => {
  it('hands connection errors to onError (no unhandled error event) while Redis is unreachable', async () => {
    // A port nothing listens on: take one, then close it.
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
      });
    });
    const errors: Error[] = [];
    const guard = await createReplayGuard(`redis://127.0.0.1:${port}`, (e) => errors.push(e));
    try {
      await expect(guard.claim('enc-1', 1000)).rejects.toThrow();
      expect(errors.length).toBeGreaterThan(0);
      expect(errors[0]?.message).toMatch(/ECONNREFUSED/);
    } finally {
      await guard.close();
    }
  });
});
