/**
 * ioredis emits `error` on every failed reconnect while Redis is down (and prints "Unhandled
 * error event" to the console when nobody listens). The gateway listens on each client it makes
 * and logs through pino: the first error at once, then at most one line per `everyMs` saying how
 * many came meanwhile. `/ready` reports Redis as down in the meantime (routes/ready.ts).
 */
import type { Logger } from './logger.js';

/**
 * @example redis.on('error', redisErrorLogger(logger, 'replay guard'));
 */
export function redisErrorLogger(
  logger: Pick<Logger, 'warn'>,
  client: string,
  everyMs = 30_000,
  now: () => number = Date.now,
): (error: unknown) => void {
  let lastAt = -Infinity;
  let suppressed = 0;
  return (error) => {
    const message = error instanceof Error ? error.message : String(error);
    const at = now();
    if (at - lastAt < everyMs) {
      suppressed++;
      return;
    }
    logger.warn({ client, error: message, ...(suppressed > 0 ? { suppressed } : {}) }, `redis (${client}): ${message}`);
    lastAt = at;
    suppressed = 0;
  };
}
