/**
 * The replay guard over a real Redis (127.0.0.1:6379, as CI runs it; REDIS_URL overrides it): an
 * encapsulated key is accepted once per window, by every replica sharing the Redis, and again
 * after the window.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { createReplayGuard, type ClosableReplayGuard } from './replay-guard.js';

const url = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const guards: ClosableReplayGuard[] = [];
afterAll(async () => {
  for (const g of guards) await g.close();
});

describe('replay guard', () => {
  it('in Redis: two replicas share it; the key is refused within the window and accepted after it', async () => {
    const a = await createReplayGuard(url);
    const b = await createReplayGuard(url);
    guards.push(a, b);
    const enc = randomBytes(32).toString('hex');
    expect(await a.claim(enc, 300)).toBe(true);
    expect(await b.claim(enc, 300)).toBe(false);
    expect(await a.claim(enc, 300)).toBe(false);
    await new Promise((r) => setTimeout(r, 400));
    expect(await b.claim(enc, 300)).toBe(true);
  });

  it('in memory: the same rules in one process', async () => {
    const m = await createReplayGuard(undefined);
    guards.push(m);
    const enc = randomBytes(32).toString('hex');
    expect(await m.claim(enc, 200)).toBe(true);
    expect(await m.claim(enc, 200)).toBe(false);
    await new Promise((r) => setTimeout(r, 250));
    expect(await m.claim(enc, 200)).toBe(true);
  });
});
