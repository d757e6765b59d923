/**
 * `kill -9` the instant a client holds `[DONE]` (SQLite). The upstream splits its final
 * `data: [DONE]` event across two TCP writes, a pause apart (`…data: [DO`, then `NE]\n\n`), at
 * a different offset each round, with `\n`, `\r\n` and `\r` line endings and with and without the
 * space after `data:`. The client streams a chat completion through a real gateway process,
 * parses events as they arrive, and SIGKILLs the gateway the moment a complete `[DONE]` event is
 * in its hands. The charge must already be on the ledger: the gateway may acknowledge a
 * completion only after committing its charge. After a restart on the same data dir the charge is
 * still there, at the served model's price, and the balance equals the ledger's sum.
 *
 * A gateway that looks for `[DONE]` in bytes (the last bytes of a chunk) instead of in events lets
 * the second half through and charges only when the upstream response ends; this test then finds
 * the charge missing, in every round where the upstream lingers after `[DONE]`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DEFAULT_CONTENT, startFakeUpstream, type FakeBehavior, type FakeUpstream } from '@saferouter/fake-upstream';
import { openStore, type Store } from '@saferouter/store';
import { ADMIN_KEY } from './helpers.js';
import { billingCatalogJson, chat, createKey, credits, expectedCost } from './billing-fixtures.js';
import { killAllGateways, spawnGateway, type ChildGateway } from './child-gateway.js';
import { SseReader } from './sse-reader.js';

const MODEL = 'b-solo';
const USAGE = { prompt_tokens: 40, completion_tokens: 120 };
const COST = expectedCost(MODEL, USAGE.prompt_tokens, USAGE.completion_tokens);
const CREDIT = 100_000_000; // $100
/** Pause between the two halves of the split event. */
const SPLIT_DELAY_MS = 150;
/**
 * In every other round the upstream also waits this long after `[DONE]` before ending its response.
 * A gateway that charges when the upstream response ends, not when the `[DONE]` event is parsed,
 * then leaves this window open in every such round; when the upstream ends at once, the window is
 * a race the kill may or may not win, as it was for the issue's reporter.
 */
const LINGER: FakeBehavior = { endDelayMs: 150 };

/** `data: [DONE]\n\n` is 14 bytes: `data` at 0–3, `:` at 4, the space at 5, `[DONE]` at 6–11, `\n\n` at 12–13. */
const ROUNDS: { name: string; wire: FakeBehavior }[] = [
  { name: 'inside "data", upstream lingers', wire: { doneSplitAt: 2, ...LINGER } },
  { name: 'right after "data:"', wire: { doneSplitAt: 5 } },
  { name: 'inside "[DONE]", upstream lingers', wire: { doneSplitAt: 9, ...LINGER } },
  { name: 'inside "[DONE]"', wire: { doneSplitAt: 9 } },
  { name: 'before the blank line, upstream lingers', wire: { doneSplitAt: 13, ...LINGER } },
  { name: 'CRLF, inside "[DONE]"', wire: { doneSplitAt: 10, lineEnding: '\r\n' } },
  // The blank line is complete at its CR; the LF that follows belongs to the same terminator.
  {
    name: 'CRLF, between CR and LF of the blank line, upstream lingers',
    wire: { doneSplitAt: 15, lineEnding: '\r\n', ...LINGER },
  },
  { name: 'no space, inside "data:"', wire: { doneSplitAt: 4, dataNoSpace: true } },
  {
    name: 'CR only, no space, inside "[DONE]", upstream lingers',
    wire: { doneSplitAt: 8, lineEnding: '\r', dataNoSpace: true, ...LINGER },
  },
];

let upstream: FakeUpstream;
let dir = '';
let store: Store | undefined;

beforeAll(async () => {
  upstream = await startFakeUpstream({ record: false });
  dir = mkdtempSync(join(tmpdir(), 'sr-done-kill-'));
  writeFileSync(join(dir, 'catalog.json'), JSON.stringify(billingCatalogJson(upstream.url)));
});

afterAll(async () => {
  await killAllGateways();
  await store?.close();
  await upstream?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Streamed {
  requestId: string | null;
  /** The content the client assembled from the events before `[DONE]`. */
  content: string;
  /** A complete `[DONE]` event reached the client, which then killed the gateway. */
  sawDone: boolean;
}

/**
 * Streams one completion and SIGKILLs `gateway` synchronously, in the same turn that parsed the
 * `[DONE]` event: nothing the test process does can give the gateway extra time.
 */
async function streamThenKill(gateway: ChildGateway, key: string): Promise<Streamed> {
  const res = await chat(gateway.url, key, {
    model: MODEL,
    messages: [{ role: 'user', content: 'split my done' }],
    max_tokens: 500,
    stream: true,
  });
  const out: Streamed = { requestId: res.headers.get('x-request-id'), content: '', sawDone: false };
  expect(res.status, out.requestId ?? '').toBe(200);
  const reader = res.body!.getReader();
  const sse = new SseReader();
  let killed: Promise<void> | undefined;
  try {
    while (killed === undefined) {
      const { value, done } = await reader.read();
      if (done) break;
      for (const data of sse.push(value)) {
        if (data === '[DONE]') {
          killed = gateway.crash();
          out.sawDone = true;
          break;
        }
        const chunk = JSON.parse(data) as { choices?: { delta?: { content?: string | null } }[] };
        out.content += chunk.choices?.[0]?.delta?.content ?? '';
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  await (killed ?? gateway.crash());
  return out;
}

it('a client that holds [DONE] from a split-[DONE] upstream always has its charge on the ledger', async () => {
  const dataDir = join(dir, 'data');
  const configPath = join(dir, 'catalog.json');
  let gateway = await spawnGateway({ dataDir, configPath, adminKey: ADMIN_KEY });
  const { id, key } = await createKey(gateway.url, ADMIN_KEY, 'done-kill', '100');

  const outcomes: { round: string; charge: number | null }[] = [];
  for (const round of ROUNDS) {
    upstream.setBehavior(MODEL, { usage: USAGE, doneSplitDelayMs: SPLIT_DELAY_MS, ...round.wire });
    const streamed = await streamThenKill(gateway, key);
    expect(gateway.child.signalCode).toBe('SIGKILL');
    // The stream itself was whole: if these fail, the test proves nothing about the charge.
    expect(streamed.sawDone, round.name).toBe(true);
    expect(streamed.content, round.name).toBe(DEFAULT_CONTENT);
    expect(streamed.requestId, round.name).toMatch(/\S/);

    // Straight after the kill, before any restart: SQLite holds die with the process.
    store ??= await openStore({ dataDir });
    const ledger = await store.billing.ledger(id, { limit: 1000 });
    const charges = ledger.filter((r) => r.kind === 'charge' && r.requestId === streamed.requestId);
    expect(charges.length, round.name).toBeLessThanOrEqual(1);
    outcomes.push({ round: round.name, charge: charges[0]?.amountMicros ?? null });

    gateway = await spawnGateway({ dataDir, configPath, adminKey: ADMIN_KEY });
    const account = await store.billing.balance(id);
    expect(account.heldMicros).toBe(0);
    expect(account.balanceMicros).toBe(await store.billing.ledgerSum(id));
    expect(await credits(gateway.url, ADMIN_KEY, id)).toMatchObject({ balance: account.balanceMicros, held: 0 });
  }

  const lost = outcomes.filter((o) => o.charge === null).map((o) => o.round);
  console.log(
    `done-kill: ${ROUNDS.length - lost.length}/${ROUNDS.length} charges on the ledger after kill -9 at [DONE]${lost.length > 0 ? `; lost: ${lost.join(', ')}` : ''}`,
  );
  // Every round, compared at once, so a failure names each round that lost its charge.
  expect(outcomes).toEqual(ROUNDS.map((r) => ({ round: r.name, charge: -COST })));
  const account = await store!.billing.balance(id);
  expect(account.balanceMicros).toBe(CREDIT - ROUNDS.length * COST);
  await gateway.stop();
}, 60_000);
