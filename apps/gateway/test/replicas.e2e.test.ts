/**
 * Two gateway processes as replicas: one Postgres schema, one Redis. A key revoked on replica A
 * must be refused by replica B within a second (B caches key lookups for a bounded time), a
 * key's rpm and concurrency limits must hold across both replicas, not per process, and both
 * pseudonymize a `user` the same way (one secret per deployment, kept in Postgres).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '@saferouter/fake-upstream';
import { ADMIN_KEY } from './helpers.js';
import { billingCatalogJson, chat, createKey } from './billing-fixtures.js';
import { killAllGateways, spawnGateway, type ChildGateway } from './child-gateway.js';
import { createTestSchema, type TestSchema } from './pg-schema.js';

const REDIS_URL = process.env['TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';

let upstream: FakeUpstream;
let dir = '';
let schema: TestSchema | undefined;
let a: ChildGateway;
let b: ChildGateway;

beforeAll(async () => {
  upstream = await startFakeUpstream();
  dir = mkdtempSync(join(tmpdir(), 'sr-replicas-'));
  const configPath = join(dir, 'catalog.json');
  writeFileSync(configPath, JSON.stringify(billingCatalogJson(upstream.url)));
  schema = await createTestSchema();
  const databaseUrl = schema.url;
  [a, b] = (await Promise.all(
    ['a', 'b'].map((name) =>
      spawnGateway({ dataDir: join(dir, name), configPath, adminKey: ADMIN_KEY, databaseUrl, redisUrl: REDIS_URL }),
    ),
  )) as [ChildGateway, ChildGateway];
}, 45_000);

afterAll(async () => {
  await killAllGateways();
  await schema?.drop();
  await upstream?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const ownKey = (url: string, key: string): Promise<Response> =>
  fetch(`${url}/v1/key`, { headers: { authorization: `Bearer ${key}` } });
const ask = (url: string, key: string, model = 'b-solo'): Promise<Response> =>
  chat(url, key, { model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 50 });

describe('one deployment, one user pseudonym', () => {
  it('the same key and user reach the upstream as the same HMAC from either replica, never raw', async () => {
    const key = await createKey(a.url, ADMIN_KEY, 'pseudonym', '5');
    const ask = async (gw: ChildGateway): Promise<unknown> => {
      const before = upstream.requests.length;
      const res = await chat(gw.url, key.key, {
        model: 'b-cheap',
        user: 'carol@example.com',
        messages: [{ role: 'user', content: 'hi' }],
      });
      expect(res.status).toBe(200);
      await res.arrayBuffer();
      return upstream.requests[before]?.body['user'];
    };
    const fromA = await ask(a);
    const fromB = await ask(b);
    expect(fromA).toMatch(/^[0-9a-f]{64}$/);
    expect(fromB).toBe(fromA);
    expect(JSON.stringify(upstream.requests.map((r) => r.body))).not.toContain('carol');
  });
});

describe('revocation', () => {
  it('a key revoked on A is refused by B within 1 s', async () => {
    const { id, key } = await createKey(a.url, ADMIN_KEY, 'doomed', '1');
    const res = await ask(b.url, key);
    expect(res.status).toBe(200);
    await res.text();
    // Let B's cached lookup expire, so the next request looks the key up afresh and caches it
    // for a full TTL: revoking right after that is the worst case.
    await new Promise((r) => setTimeout(r, 700));
    expect((await ownKey(b.url, key)).status).toBe(200);

    const started = performance.now();
    const del = await fetch(`${a.url}/v1/keys/${id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
    });
    expect(del.status).toBe(200);
    expect(((await del.json()) as { revoked: boolean }).revoked).toBe(true);
    expect((await ownKey(a.url, key)).status).toBe(401); // at once on the replica that revoked it

    let polls = 0;
    let status = 200;
    while (status !== 401 && performance.now() - started < 3000) {
      polls++;
      const r = await ownKey(b.url, key);
      status = r.status;
      await r.text();
      if (status !== 401) {
        expect(status).toBe(200);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    const elapsed = performance.now() - started;
    console.log(
      `revocation: refused by replica B ${elapsed.toFixed(0)} ms after the DELETE was sent on A (${polls} polls of B)`,
    );
    expect(status).toBe(401);
    expect(elapsed).toBeLessThan(1000);
    const refused = await ask(b.url, key);
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('invalid_api_key');
  });
});

describe('per-key limits shared through Redis', () => {
  it('rpm 5 set on A: the 6th request within the minute, across both replicas, gets 429 with Retry-After', async () => {
    const { id, key } = await createKey(a.url, ADMIN_KEY, 'rpm', '1');
    const patch = await fetch(`${a.url}/v1/keys/${id}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ limits: { rpm: 5 } }),
    });
    expect(patch.status).toBe(200);
    expect(((await patch.json()) as { limits: unknown }).limits).toEqual({ rpm: 5, concurrency: null });
    // The window is the clock's minute: keep all six requests inside one.
    const intoMinute = Date.now() % 60_000;
    if (intoMinute > 55_000) await new Promise((r) => setTimeout(r, 60_000 - intoMinute + 200));

    const statuses: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i < 6; i++) {
      last = await ask(i % 2 === 0 ? a.url : b.url, key);
      statuses.push(last.status);
      if (i < 5) await last.text();
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    const retryAfter = Number(last!.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60).toBe(true);
    expect(((await last!.json()) as { error: { code: string } }).error.code).toBe('rate_limit_rpm');
    const onA = await ask(a.url, key);
    expect(onA.status).toBe(429);
    await onA.text();
    console.log(`rpm: statuses across A/B ${statuses.join(',')}; Retry-After ${retryAfter} s`);
  }, 20_000); // up to ~5 s waiting for the next minute, then the requests

  it('concurrency 1: while a stream runs on A, B refuses the key with 429; afterwards B serves it', async () => {
    const { key } = await createKey(a.url, ADMIN_KEY, 'one-at-a-time', '1', { concurrency: 1 });
    upstream.setBehavior('b-cheap', { chunks: 20, chunkDelayMs: 25 });
    const streaming = await chat(a.url, key, {
      model: 'b-cheap',
      messages: [{ role: 'user', content: 'slow' }],
      stream: true,
      max_tokens: 50,
    });
    expect(streaming.status).toBe(200);
    const reader = streaming.body!.getReader();
    await reader.read(); // admitted and streaming

    const refused = await ask(b.url, key);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('rate_limit_concurrency');

    while (!(await reader.read()).done);
    const served = await ask(b.url, key);
    expect(served.status).toBe(200);
    await served.text();
  });
});
