/**
 * `GET /ready` on a gateway backed by Postgres and Redis, each reached through a TCP proxy this
 * test can cut: ready while both answer, 503 naming the one that does not while it is cut (and
 * `/health` still 200), ready again once it is back. The drain's 503 is in shutdown.e2e.test.ts.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '@saferouter/fake-upstream';
import { startTestGateway, type TestGateway } from './helpers.js';
import { createTestSchema, PG_URL, type TestSchema } from './pg-schema.js';
import { testLogKey } from './child-gateway.js';
import { waitUntil } from './billing-fixtures.js';

const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/** A TCP proxy to `target` on a fixed local port that can be cut (refusing) and restored. */
interface Proxy {
  port: number;
  cut(): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

async function startProxy(target: { host: string; port: number }): Promise<Proxy> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  const listen = async (): Promise<void> => {
    if (server !== undefined) return;
    const s = createServer((client) => {
      const upstream = connect(target.port, target.host);
      for (const sock of [client, upstream]) {
        sockets.add(sock);
        sock.on('close', () => sockets.delete(sock));
        sock.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => s.listen(port, '127.0.0.1', resolve));
    port = (s.address() as { port: number }).port;
    server = s;
  };
  const cut = async (): Promise<void> => {
    const s = server;
    server = undefined;
    for (const sock of sockets) sock.destroy();
    if (s !== undefined) await new Promise<void>((resolve) => s.close(() => resolve()));
  };
  await listen();
  return { port, cut, restore: listen, close: cut };
}

let upstream: FakeUpstream;
let schema: TestSchema;
let pgProxy: Proxy;
let redisProxy: Proxy;
let gw: TestGateway;

beforeAll(async () => {
  upstream = await startFakeUpstream();
  schema = await createTestSchema();
  const pg = new URL(PG_URL);
  const redis = new URL(REDIS_URL);
  pgProxy = await startProxy({ host: pg.hostname, port: Number(pg.port || 5432) });
  redisProxy = await startProxy({ host: redis.hostname, port: Number(redis.port || 6379) });
  const databaseUrl = new URL(schema.url);
  databaseUrl.hostname = '127.0.0.1';
  databaseUrl.port = String(pgProxy.port);
  const redisUrl = new URL(REDIS_URL);
  redisUrl.hostname = '127.0.0.1';
  redisUrl.port = String(redisProxy.port);
  gw = await startTestGateway(upstream.url, {
    databaseUrl: databaseUrl.toString(),
    redisUrl: redisUrl.toString(),
    logKey: await testLogKey(),
  });
}, 30_000);

afterAll(async () => {
  await redisProxy?.restore();
  await pgProxy?.restore();
  await gw?.close();
  await pgProxy?.close();
  await redisProxy?.close();
  await schema?.drop();
  await upstream?.close();
});

const ready = async (): Promise<{ status: number; body: unknown }> => {
  const res = await fetch(`${gw.url}/ready`);
  return { status: res.status, body: await res.json() };
};

it('is ready while Postgres and Redis answer', async () => {
  expect(await ready()).toEqual({ status: 200, body: { status: 'ready', checks: { postgres: 'ok', redis: 'ok' } } });
});

it('answers 503 naming Postgres while it is unreachable, and is ready again once it is back', async () => {
  await pgProxy.cut();
  const down = await waitUntil(async () => {
    const r = await ready();
    return r.status === 503 ? r : undefined;
  }, '/ready to notice Postgres is gone');
  expect(down.body).toEqual({
    status: 'unavailable',
    checks: { postgres: expect.stringMatching(/^(failed|timeout)$/), redis: 'ok' },
  });
  expect((await fetch(`${gw.url}/health`)).status).toBe(200);
  await pgProxy.restore();
  await waitUntil(async () => ((await ready()).status === 200 ? true : undefined), '/ready to recover', 10_000);
}, 30_000);

it('answers 503 naming Redis while it is unreachable, and is ready again once it is back', async () => {
  await redisProxy.cut();
  const down = await waitUntil(async () => {
    const r = await ready();
    return r.status === 503 ? r : undefined;
  }, '/ready to notice Redis is gone');
  expect(down.body).toEqual({
    status: 'unavailable',
    checks: { postgres: 'ok', redis: expect.stringMatching(/^(failed|timeout)$/) },
  });
  await redisProxy.restore();
  await waitUntil(async () => ((await ready()).status === 200 ? true : undefined), '/ready to recover', 10_000);
}, 30_000);
