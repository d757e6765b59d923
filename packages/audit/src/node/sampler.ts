/**
 * The audit sampling decision: a request is sampled with probability `rate`, decided by a
 * CSPRNG so nobody can predict or steer which requests land in the public log. Draws come from
 * a pool of random bytes refilled 8 KiB at a time (one syscall per 1,170 draws), each draw a
 * uniform 53-bit fraction u in [0, 1); sampled iff u < rate. Rates 0 and 1 are exact (never,
 * always) and draw nothing.
 */
import { randomBytes } from 'node:crypto';

const POOL_SIZE = 8190; // a multiple of 7
const DRAW_BYTES = 7; // 56 bits, of which 53 are used
const TWO_POW_53 = 2 ** 53;

/**
 * @param random CSPRNG (default node:crypto `randomBytes`); tests inject a deterministic one.
 * @example
 * const sampled = auditSampler(config.auditRate);
 * if (sampled()) …
 * @throws {TypeError} when `rate` is not a number or `random` not a function.
 * @throws {RangeError} when `rate` is not between 0 and 1.
 */
export function auditSampler(rate: number, random: (n: number) => Uint8Array = randomBytes): () => boolean {
  if (typeof rate !== 'number') throw new TypeError('rate must be a number');
  if (!(rate >= 0 && rate <= 1)) throw new RangeError('rate must be between 0 and 1');
  if (typeof random !== 'function') throw new TypeError('random must be a function');
  if (rate === 0) return () => false;
  if (rate === 1) return () => true;
  let pool: Uint8Array = new Uint8Array(0);
  let offset = 0;
  return () => {
    if (offset + DRAW_BYTES > pool.length) {
      pool = random(POOL_SIZE);
      if (!(pool instanceof Uint8Array) || pool.length !== POOL_SIZE)
        throw new RangeError(`random(${POOL_SIZE}) must return ${POOL_SIZE} bytes`);
      offset = 0;
    }
    // 21 high bits from the first 3 bytes, 32 from the next 4: a uniform integer below 2^53.
    const high = ((pool[offset]! << 16) | (pool[offset + 1]! << 8) | pool[offset + 2]!) & 0x1fffff;
    const low =
      ((pool[offset + 3]! << 24) | (pool[offset + 4]! << 16) | (pool[offset + 5]! << 8) | pool[offset + 6]!) >>> 0;
    offset += DRAW_BYTES;
    return (high * 2 ** 32 + low) / TWO_POW_53 < rate;
  };
}
