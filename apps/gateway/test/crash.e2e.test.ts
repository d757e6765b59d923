/**
 * `kill -9` under load (SQLite). A gateway process serves a mix of stream and non-stream requests
 * and is killed mid-load; the client records which requests it saw acknowledged (a 200 body, or
 * a stream's `data: [DONE]`). After a restart on the same data dir, every acknowledged request
 * must have its charge on the ledger and the balance must equal the ledger's sum. Holds left by
 * requests in flight at the kill leave no hold behind (SQLite holds live in the gateway's memory).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '@saferouter/fake-upstream';
import { openStore, type Store } from '@saferouter/store';
import { ADMIN_KEY } from './helpers.js';
import { billingCatalogJson, chat, createKey, credits, expectedCost, pool } from './billing-fixtures.js';
import { killAllGateways, spawnGateway, type ChildGateway } from './child-gateway.js';

const REQUESTS = 200;
const CONCURRENCY = 16;
/** The kill comes once this many requests were acknowledged. */
const KILL_AFTER = 70;
const USAGE = { prompt_tokens: 40, completion_tokens: 120 };
const COST = expectedCost('b-solo', USAGE.prompt_tokens, USAGE.completion_tokens);
const CREDIT = 100_000_000; // $100

let upstream: FakeUpstream;
let dir = '';
let store: Store | undefined;

beforeAll(async () => {
  upstream = await startFakeUpstream({ record: false });
  // Slow enough that a dozen requests are always between their hold and their charge.
  upstream.setBehavior('b-solo', { usage: USAGE, delayMs: 15, chunks: 6, chunkDelayMs: 4 });
  dir = mkdtempSync(join(tmpdir(), 'sr-crash-'));
  writeFileSync(join(dir, 'catalog.json'), JSON.stringify(billingCatalogJson(upstream.url)));
});

afterAll(async () => {
  await killAllGateways();
  await store?.close();
  await upstream?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Sent {
  stream: boolean;
  requestId: string | null;
  /** The client saw the request complete: a 200 JSON body, or `[DONE]` on a stream. */
  acknowledged: boolean;
}

/** One request; never throws (a killed gateway is an unacknowledged request). */
async function send(url: string, key: string, stream: boolean): Promise<Sent> {
  const sent: Sent = { stream, requestId: null, acknowledged: false };
  try {
    const res = await chat(url, key, {
      model: 'b-solo',
      messages: [{ role: 'user', content: 'crash me' }],
      max_tokens: 500,
      stream,
    });
    sent.requestId = res.headers.get('x-request-id');
    if (res.status !== 200) {
      await res.text();
      return sent;
    }
    if (!stream) {
      const body = (await res.json()) as { choices?: unknown[] };
      sent.acknowledged = Array.isArray(body.choices) && body.choices.length > 0;
      return sent;
    }
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
      // Acknowledged the moment [DONE] is seen, even if the connection dies right after.
      if (text.includes('data: [DONE]')) sent.acknowledged = true;
    }
  } catch {
    // Connection reset or refused: not acknowledged.
  }
  return sent;
}

it('no acknowledged charge is lost to kill -9; no hold outlives the process', async () => {
  const dataDir = join(dir, 'data');
  const configPath = join(dir, 'catalog.json');
  const first = await spawnGateway({ dataDir, configPath, adminKey: ADMIN_KEY });
  const { id, key } = await createKey(first.url, ADMIN_KEY, 'crash', '100');

  let acknowledged = 0;
  let killed: Promise<void> | undefined;
  const results = await pool(REQUESTS, CONCURRENCY, async (i) => {
    const r = await send(first.url, key, i % 2 === 1);
    if (r.acknowledged) acknowledged++;
    if (acknowledged >= KILL_AFTER) killed ??= first.crash();
    return r;
  });
  await killed;
  expect(first.child.signalCode).toBe('SIGKILL');

  const acked = results.filter((r) => r.acknowledged);
  const lost = results.filter((r) => !r.acknowledged);
  expect(acked.length).toBeGreaterThanOrEqual(KILL_AFTER);
  expect(lost.length).toBeGreaterThan(REQUESTS / 4); // the kill really came mid-load
  expect(acked.some((r) => r.stream) && acked.some((r) => !r.stream)).toBe(true);

  // On SQLite holds live in the gateway's memory: the requests in flight at the kill leave no
  // hold behind, so nothing is reserved after the crash and nothing needs releasing.
  store = await openStore({ dataDir });
  const left = await store.billing.balance(id);
  expect(left.heldMicros).toBe(0);
  const second: ChildGateway = await spawnGateway({ dataDir, configPath, adminKey: ADMIN_KEY });
  const account = await store.billing.balance(id);
  expect(account.heldMicros).toBe(0);
  expect(account.balanceMicros).toBe(left.balanceMicros);
  expect(account.balanceMicros).toBe(await store.billing.ledgerSum(id));
  const viaApi = await credits(second.url, ADMIN_KEY, id);
  expect(viaApi.balance).toBe(account.balanceMicros);
  expect(viaApi.held).toBe(account.heldMicros);

  const ledger = await store.billing.ledger(id, { limit: 1000 });
  const chargeRows = ledger.filter((r) => r.kind === 'charge');
  const charged = new Map(chargeRows.map((r) => [r.requestId, r.amountMicros]));
  expect(charged.size).toBe(chargeRows.length); // one charge per request, never two
  const missing = acked.filter((r) => !charged.has(r.requestId));
  expect(missing).toEqual([]);
  for (const r of acked) expect(charged.get(r.requestId)).toBe(-COST);
  expect([...charged.values()].every((amount) => amount === -COST)).toBe(true);
  expect(account.balanceMicros).toBe(CREDIT - charged.size * COST);
  const chargedUnacked = charged.size - acked.length;

  // Sweeping expired holds later finds nothing left and changes nothing.
  expect(await store.billing.expireHolds(Date.now() + 365 * 24 * 3_600_000)).toBe(0);
  const after = await store.billing.balance(id);
  expect(after.heldMicros).toBe(0);
  expect(after.balanceMicros).toBe(account.balanceMicros);
  expect(await store.billing.ledgerSum(id)).toBe(account.balanceMicros);
  expect(await credits(second.url, ADMIN_KEY, id)).toMatchObject({ balance: account.balanceMicros, held: 0 });

  // The restarted gateway bills as before.
  const again = await send(second.url, key, true);
  expect(again.acknowledged).toBe(true);
  expect((await store.billing.balance(id)).balanceMicros).toBe(account.balanceMicros - COST);

  console.log(
    `crash: killed after ${acked.length}/${REQUESTS} acknowledged (${acked.filter((r) => r.stream).length} streams); ` +
      `${charged.size} charges on the ledger (${chargedUnacked} for requests the client never saw complete); ` +
      `held after the kill ${left.heldMicros} µ$; balance ${account.balanceMicros} µ$ = ledger sum`,
  );
  await second.stop();
}, 60_000);
