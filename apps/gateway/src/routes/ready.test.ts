// GET /ready: 200 while the store (and Redis, when configured) answers; 503 saying which did not,
// or that the gateway is draining. /health stays 200 through all of it (liveness only).
import { afterEach, describe, expect, it } from 'vitest';
import { Hono } from 'hono';
import type { AppEnv } from '../env.js';
import { createFixture, expectError, type Fixture } from '../test-fixture.js';
import { readyRoutes, type ReadinessCheck } from './ready.js';

describe('GET /ready in the app', () => {
  let fx: Fixture;
  afterEach(async () => {
    await fx.dispose();
  });

  it('is ready while the store answers, and says which store it asked', async () => {
    fx = await createFixture();
    const res = await fx.call('/ready', { key: null });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toEqual({ status: 'ready', checks: { sqlite: 'ok' } });
    expect((await fx.call('/ready', { key: null, method: 'HEAD' })).status).toBe(200);
    await expectError(await fx.call('/ready', { key: null, method: 'POST' }), 405, 'method_not_allowed');
  });

  it('answers 503 when the store does not, while /health stays 200', async () => {
    fx = await createFixture();
    const ping = fx.store.ping.bind(fx.store);
    fx.store.ping = () => Promise.reject(new Error('connection refused'));
    const res = await fx.call('/ready', { key: null });
    expect(res.status).toBe(503);
    const body = await res.json();
    expect(body).toEqual({ status: 'unavailable', checks: { sqlite: 'failed' } });
    expect(JSON.stringify(body)).not.toMatch(/refused/); // no error text on a public route
    expect((await fx.call('/health', { key: null })).status).toBe(200);
    fx.store.ping = ping;
    expect((await fx.call('/ready', { key: null })).status).toBe(200);
  });

  it('answers 503 draining from the start of a drain, without asking the store', async () => {
    fx = await createFixture();
    let asked = 0;
    fx.store.ping = () => {
      asked++;
      return Promise.resolve();
    };
    fx.lifecycle.beginDrain();
    const res = await fx.call('/ready', { key: null });
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: 'draining' });
    expect(asked).toBe(0);
    expect((await fx.call('/health', { key: null })).status).toBe(200);
  });
});

describe('readyRoutes', () => {
  const appWith = (checks: ReadinessCheck[], options: { timeoutMs?: number; draining?: () => boolean } = {}) =>
    new Hono<AppEnv>().route(
      '/',
      readyRoutes({ checks, draining: options.draining ?? (() => false), timeoutMs: options.timeoutMs }),
    );

  it('names each check: ok, failed (an error, thrown or rejected) or timeout (no answer in time)', async () => {
    const app = appWith(
      [
        { name: 'postgres', check: () => Promise.resolve() },
        { name: 'redis', check: () => new Promise(() => undefined) },
        {
          name: 'thrower',
          check: () => {
            throw new Error('sync');
          },
        },
      ],
      { timeoutMs: 50 },
    );
    const started = Date.now();
    const res = await app.request('/ready');
    expect(Date.now() - started).toBeLessThan(1000);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({
      status: 'unavailable',
      checks: { postgres: 'ok', redis: 'timeout', thrower: 'failed' },
    });
  });

  it('lets probes that arrive together share one round of checks', async () => {
    let asked = 0;
    let answer: () => void = () => undefined;
    const app = appWith([
      {
        name: 'postgres',
        check: () => {
          asked++;
          return new Promise<void>((resolve) => {
            answer = resolve;
          });
        },
      },
    ]);
    const probes = Promise.all([app.request('/ready'), app.request('/ready'), app.request('/ready')]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    answer();
    const answers = await probes;
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(asked).toBe(1);
    // The next probe asks again.
    const next = app.request('/ready');
    await new Promise((resolve) => setTimeout(resolve, 20));
    answer();
    expect((await next).status).toBe(200);
    expect(asked).toBe(2);
  });

  it('says draining when a drain starts while the checks run', async () => {
    let draining = false;
    const app = appWith(
      [
        {
          name: 'postgres',
          check: async () => {
            draining = true;
          },
        },
      ],
      { draining: () => draining },
    );
    const res = await app.request('/ready');
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: 'draining' });
  });
});
