/**
 * Graceful shutdown of a real gateway process (SQLite), configured through its environment:
 * - SIGTERM during a streamed response: the gateway stops accepting connections, `/ready` answers
 *   503 on a connection that was already open, the stream goes on to `data: [DONE]`, its charge,
 *   activity and receipt are in the data dir afterwards, and the process exits 0.
 * - A second signal exits at once, non-zero, without waiting for the stream.
 * - A stream still running at `SAFEROUTER_DRAIN_MS` is ended and charged for what it delivered;
 *   the process still exits 0 with nothing held.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '@saferouter/fake-upstream';
import { openStore, type Store } from '@saferouter/store';
import { ADMIN_KEY } from './helpers.js';
import { billingCatalogJson, chat, createKey, expectedCost, sseEvents, waitUntil } from './billing-fixtures.js';
import { killAllGateways, spawnGateway, type ChildGateway } from './child-gateway.js';

const USAGE = { prompt_tokens: 30, completion_tokens: 90 };
const CREDIT = 10_000_000; // $10

let upstream: FakeUpstream;
let dir = '';
let configPath = '';
let runs = 0;
const stores: Store[] = [];

beforeAll(async () => {
  upstream = await startFakeUpstream({ record: false });
  // ~2 s of stream: 20 chunks, 100 ms apart.
  upstream.setBehavior('b-solo', { usage: USAGE, chunks: 20, chunkDelayMs: 100 });
  // ~20 s: longer than any drain these tests allow.
  upstream.setBehavior('b-cheap', { usage: USAGE, chunks: 200, chunkDelayMs: 100 });
  dir = mkdtempSync(join(tmpdir(), 'sr-shutdown-'));
  configPath = join(dir, 'catalog.json');
  writeFileSync(configPath, JSON.stringify(billingCatalogJson(upstream.url)));
});

afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
});

afterAll(async () => {
  await killAllGateways();
  await upstream?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function gateway(env: Record<string, string> = {}): Promise<{ gw: ChildGateway; dataDir: string }> {
  const dataDir = join(dir, `data-${++runs}`);
  const gw = await spawnGateway({ dataDir, configPath, adminKey: ADMIN_KEY, env });
  return { gw, dataDir };
}

/** A streamed chat whose chunks are timed, read in the background. */
function stream(url: string, key: string, model: string) {
  const chunks: { at: number; text: string }[] = [];
  const started = chat(url, key, { model, messages: [{ role: 'user', content: 'drain me' }], stream: true });
  let firstChunk: () => void = () => undefined;
  const first = new Promise<void>((resolve) => {
    firstChunk = resolve;
  });
  const done = (async () => {
    const res = await started;
    expect(res.status).toBe(200);
    const requestId = res.headers.get('x-request-id') ?? '';
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let error: unknown;
    try {
      for (;;) {
        const { value, done: ended } = await reader.read();
        if (ended) break;
        chunks.push({ at: Date.now(), text: decoder.decode(value, { stream: true }) });
        firstChunk();
      }
    } catch (err) {
      error = err; // the connection was cut
    }
    return { requestId, text: chunks.map((c) => c.text).join(''), error };
  })();
  return { chunks, first, done };
}

/** Whether a new connection to the gateway is refused (it stopped accepting). */
async function refuses(url: string): Promise<true | undefined> {
  try {
    await fetch(`${url}/health`);
    return undefined;
  } catch {
    return true;
  }
}

/**
 * A connection opened before the signal with a `/ready` request begun on it (a load balancer's
 * probe connection): the server counts it busy, so the drain keeps it; `finish()` sends the
 * rest and resolves with the raw answer.
 */
async function openProbe(url: string): Promise<{ finish(): Promise<string>; socket: Socket }> {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  await once(socket, 'connect');
  socket.write(`GET /ready HTTP/1.1\r\nHost: ${hostname}\r\n`);
  let answer = '';
  socket.setEncoding('utf8');
  socket.on('data', (d: string) => (answer += d));
  const closed = once(socket, 'close');
  return {
    socket,
    async finish() {
      socket.write('\r\n');
      await closed;
      return answer;
    },
  };
}

async function openDataDir(dataDir: string): Promise<Store> {
  const store = await openStore({ dataDir });
  stores.push(store);
  return store;
}

it('SIGTERM mid-stream: the stream ends with [DONE] and its charge, /ready says 503, exit 0', async () => {
  const { gw, dataDir } = await gateway();
  const { id, key } = await createKey(gw.url, ADMIN_KEY, 'drain', '10');
  const ready = await fetch(`${gw.url}/ready`);
  expect(ready.status).toBe(200);
  expect(await ready.json()).toEqual({ status: 'ready', checks: { sqlite: 'ok' } });

  const probe = await openProbe(gw.url);
  const s = stream(gw.url, key, 'b-solo');
  await s.first;
  const signalledAt = Date.now();
  gw.child.kill('SIGTERM');

  // It stops accepting connections...
  await waitUntil(() => refuses(gw.url), 'the gateway to refuse new connections', 5_000);
  // ...answers the probe already under way 503 while the stream still runs...
  const answer = await probe.finish();
  expect(answer).toMatch(/^HTTP\/1\.1 503 /);
  expect(answer).toMatch(/\r\nconnection: close\r\n/i);
  expect(answer.slice(answer.indexOf('\r\n\r\n') + 4)).toBe('{"status":"draining"}');
  expect(gw.child.exitCode).toBeNull();

  // ...and lets the stream finish, with its usage and [DONE].
  const result = await s.done;
  expect(result.error).toBeUndefined();
  expect(result.text.trimEnd().endsWith('data: [DONE]')).toBe(true);
  const events = sseEvents(result.text);
  expect(events.at(-1)).toMatchObject({ usage: { prompt_tokens: 30, completion_tokens: 90 } });
  expect(s.chunks.filter((c) => c.at > signalledAt + 200).length).toBeGreaterThan(5); // it kept streaming

  await gw.exited;
  expect(gw.child.exitCode).toBe(0);
  expect(gw.child.signalCode).toBeNull();
  const log = gw.output().toString('utf8');
  expect(log).toMatch(/SIGTERM: draining/);
  expect(log).toMatch(/drained and closed/);

  // Everything the request committed is in the data dir: its charge, its activity, its receipt.
  const store = await openDataDir(dataDir);
  const cost = expectedCost('b-solo', USAGE.prompt_tokens, USAGE.completion_tokens);
  const charges = (await store.billing.ledger(id, { limit: 100 })).filter((r) => r.kind === 'charge');
  expect(charges).toEqual([expect.objectContaining({ requestId: result.requestId, amountMicros: -cost })]);
  expect(await store.billing.balance(id)).toMatchObject({ balanceMicros: CREDIT - cost, heldMicros: 0 });
  const activity = await store.activity.list({ requestId: result.requestId });
  expect(activity.entries).toHaveLength(1);
  expect(activity.entries[0]).toMatchObject({ requestId: result.requestId, costMicros: cost });
  expect(await store.audit.getReceipt(result.requestId)).toBeDefined();
}, 60_000);

it('a second signal exits at once, non-zero, without waiting for the stream', async () => {
  const { gw } = await gateway();
  const { key } = await createKey(gw.url, ADMIN_KEY, 'impatient', '10');
  const s = stream(gw.url, key, 'b-cheap');
  await s.first;
  gw.child.kill('SIGTERM');
  await waitUntil(() => refuses(gw.url), 'the gateway to start draining', 5_000);
  const before = Date.now();
  gw.child.kill('SIGINT');
  await gw.exited;
  expect(Date.now() - before).toBeLessThan(2_000);
  expect(gw.child.exitCode).toBe(130);
  const result = await s.done;
  expect(result.text).not.toMatch(/\[DONE\]/);
  expect(gw.output().toString('utf8')).toMatch(/SIGINT again: exiting now/);
}, 60_000);

it('ends a stream still running at SAFEROUTER_DRAIN_MS and charges what it delivered', async () => {
  const { gw, dataDir } = await gateway({ SAFEROUTER_DRAIN_MS: '800' });
  const { id, key } = await createKey(gw.url, ADMIN_KEY, 'deadline', '10');
  const s = stream(gw.url, key, 'b-cheap');
  await s.first;
  const signalledAt = Date.now();
  gw.child.kill('SIGTERM');
  const result = await s.done;
  const endedAfter = Date.now() - signalledAt;
  expect(endedAfter).toBeGreaterThanOrEqual(700);
  expect(endedAfter).toBeLessThan(5_000);
  expect(result.text).not.toMatch(/\[DONE\]/);
  await gw.exited;
  expect(gw.child.exitCode).toBe(0);
  expect(gw.output().toString('utf8')).toMatch(/ended 1 request\(s\) still running after 800 ms/);

  // Settled for what it delivered: one charge, nothing held, the balance matches the ledger.
  const store = await openDataDir(dataDir);
  const charges = (await store.billing.ledger(id, { limit: 100 })).filter((r) => r.kind === 'charge');
  expect(charges).toHaveLength(1);
  expect(charges[0]!.requestId).toBe(result.requestId);
  expect(charges[0]!.amountMicros).toBeLessThan(0);
  const account = await store.billing.balance(id);
  expect(account.heldMicros).toBe(0);
  expect(account.balanceMicros).toBe(CREDIT + charges[0]!.amountMicros);
  expect(account.balanceMicros).toBe(await store.billing.ledgerSum(id));
}, 60_000);
