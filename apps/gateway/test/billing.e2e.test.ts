/**
 * Billing end to end against the real server (in process, SQLite): exact micro-dollar charges for
 * non-stream and stream requests, the charge being on the ledger before `[DONE]`, estimated
 * billing of a client that leaves mid-stream, failed attempts costing nothing, and the 402 that
 * says how many tokens a key can afford (in its message and its `error.metadata`, plain, streamed
 * and sealed with EHBP). Expected costs are computed from the catalog prices.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseCatalogConfig } from '@saferouter/router';
import { estimatePromptTokens } from '@saferouter/billing';
import { startFakeUpstream, type FakeUpstream } from '@saferouter/fake-upstream';
import { RESPONSE_NONCE_HEADER } from '@saferouter/ehbp';
import { createSecureFetch } from '@saferouter/verify';
import { ADMIN_KEY, startTestGateway, type TestGateway } from './helpers.js';
import {
  activityOf,
  billingCatalogJson,
  chat,
  createKey,
  credits,
  expectedCost,
  microsToUsd,
  PRICES,
  sseEvents,
  usdToMicros,
  waitUntil,
} from './billing-fixtures.js';

let upstream: FakeUpstream;
let gw: TestGateway;

/** The 402's error object, with its `metadata`. */
interface RefusalError {
  message: string;
  type: string;
  code: string;
  metadata: {
    affordable_tokens: number;
    requested_tokens: number;
    prompt_tokens: number;
    available_usd: string;
    required_usd: string;
  };
}

beforeAll(async () => {
  upstream = await startFakeUpstream();
  gw = await startTestGateway(upstream.url, { catalog: parseCatalogConfig(billingCatalogJson(upstream.url)) });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});
beforeEach(() => upstream.reset());

/** A message unique to one test, so its upstream request can be told apart. */
const tagged = (): { role: string; content: string }[] => [
  { role: 'user', content: `bill ${randomBytes(6).toString('hex')}` },
];

async function chargesOf(keyId: string, requestId: string): Promise<number[]> {
  const rows = await gw.store.billing.ledger(keyId, { limit: 1000 });
  return rows.filter((r) => r.requestId === requestId).map((r) => r.amountMicros);
}

async function expectBooksBalanced(keyId: string): Promise<void> {
  const account = await gw.store.billing.balance(keyId);
  expect(account.balanceMicros).toBe(await gw.store.billing.ledgerSum(keyId));
  expect(account.heldMicros).toBe(0);
}

describe('exact charges', () => {
  it('non-stream: the balance drops by exactly the cost of the reported usage', async () => {
    const { id, key } = await createKey(gw.url, ADMIN_KEY, 'exact', '10');
    upstream.setBehavior('b-solo', { usage: { prompt_tokens: 1000, completion_tokens: 500 } });
    const cost = expectedCost('b-solo', 1000, 500);
    expect(cost).toBe(1167); // 1000 × 0.333333 + 500 × 1.666667 = 1166.6665 µ$, rounded up

    const before = await credits(gw.url, ADMIN_KEY, id);
    const res = await chat(gw.url, key, { model: 'b-solo', messages: tagged(), max_tokens: 1000 });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { usage: { prompt_tokens: number; completion_tokens: number } };
    expect(body.usage).toMatchObject({ prompt_tokens: 1000, completion_tokens: 500 });
    const requestId = res.headers.get('x-request-id') ?? '';

    const after = await credits(gw.url, ADMIN_KEY, id);
    expect(before.balance - after.balance).toBe(cost);
    expect(after.held).toBe(0);
    expect(await chargesOf(id, requestId)).toEqual([-cost]);

    await gw.gateway.activity.flush();
    const entries = await activityOf(gw.url, key, requestId);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      model: 'b-solo',
      status: 200,
      prompt_tokens: 1000,
      completion_tokens: 500,
      estimated: false,
      stream: false,
    });
    expect(usdToMicros(entries[0]!.cost_usd)).toBe(cost);
    // Per-model usage comes from activity, so it is read after the flush.
    const usage = (await credits(gw.url, ADMIN_KEY, id)).usage;
    expect(usage).toHaveLength(1);
    expect(usage[0]).toMatchObject({ model: 'b-solo', requests: 1, prompt_tokens: 1000, completion_tokens: 500 });
    expect(usdToMicros(usage[0]!.cost_usd)).toBe(cost);
    await expectBooksBalanced(id);
  });

  it('stream: the client sees the usage chunk, and its exact cost is on the ledger when [DONE] arrives', async () => {
    const { id, key } = await createKey(gw.url, ADMIN_KEY, 'stream', '10');
    upstream.setBehavior('b-solo', {
      usage: { prompt_tokens: 1000, completion_tokens: 500 },
      chunks: 8,
      chunkDelayMs: 5,
    });
    const before = await gw.store.billing.balance(id);

    // Every settle takes 250 ms longer, so a gateway that sent [DONE] before the charge was
    // committed would let this client see [DONE] with the balance still untouched.
    const billingStore = gw.store.billing;
    const settle = billingStore.settle.bind(billingStore);
    billingStore.settle = async (holdId, input) => {
      await new Promise((r) => setTimeout(r, 250));
      return settle(holdId, input);
    };
    let text = '';
    let atDone: Awaited<ReturnType<typeof billingStore.balance>> | undefined;
    let requestId = '';
    try {
      const res = await chat(gw.url, key, { model: 'b-solo', messages: tagged(), stream: true, max_tokens: 1000 });
      expect(res.status).toBe(200);
      requestId = res.headers.get('x-request-id') ?? '';
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        text += decoder.decode(value, { stream: true });
        // No waiting of any kind between seeing [DONE] and reading the balance.
        if (atDone === undefined && text.includes('data: [DONE]')) atDone = await billingStore.balance(id);
      }
    } finally {
      billingStore.settle = settle;
    }

    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
    // The client did not ask for usage; the gateway forced include_usage upstream and relays it.
    expect(upstream.requests.at(-1)?.body['stream_options']).toMatchObject({ include_usage: true });
    const usageChunk = sseEvents(text).find((e) => e['usage'] !== undefined && e['usage'] !== null);
    const usage = usageChunk?.['usage'] as { prompt_tokens: number; completion_tokens: number } | undefined;
    expect(usage).toMatchObject({ prompt_tokens: 1000, completion_tokens: 500 });
    const cost = expectedCost('b-solo', usage!.prompt_tokens, usage!.completion_tokens);

    expect(atDone).toBeDefined();
    expect(before.balanceMicros - atDone!.balanceMicros).toBe(cost);
    expect(atDone!.heldMicros).toBe(0);
    expect(await chargesOf(id, requestId)).toEqual([-cost]);

    await gw.gateway.activity.flush();
    const entries = await activityOf(gw.url, key, requestId);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      status: 200,
      stream: true,
      estimated: false,
      prompt_tokens: 1000,
      completion_tokens: 500,
    });
    expect(usdToMicros(entries[0]!.cost_usd)).toBe(cost);
    await expectBooksBalanced(id);
  });
});

describe('client disconnect mid-stream', () => {
  it('bills the delivered text as an estimate: more than 0, less than the full response', async () => {
    const { id, key } = await createKey(gw.url, ADMIN_KEY, 'leaver', '10');
    const content = 'abcdefghij'.repeat(300); // 3,000 bytes in 300 chunks of 10
    upstream.setBehavior('b-solo', {
      content,
      chunks: 300,
      chunkDelayMs: 10,
      usage: { prompt_tokens: 1000, completion_tokens: 1000 },
    });
    const fullCost = expectedCost('b-solo', 1000, 1000);
    const messages = tagged();
    const before = await gw.store.billing.balance(id);

    const ac = new AbortController();
    const res = await chat(gw.url, key, { model: 'b-solo', messages, stream: true }, ac.signal);
    expect(res.status).toBe(200);
    const requestId = res.headers.get('x-request-id') ?? '';
    const reader = res.body!.getReader();
    let seen = '';
    while ((seen.match(/abcdefghij/g) ?? []).length < 10) {
      const { value, done } = await reader.read();
      if (done) throw new Error('stream ended before the client left');
      seen += new TextDecoder().decode(value);
    }
    const seenContentBytes = sseEvents(seen.slice(0, seen.lastIndexOf('\n\n') + 2))
      .map((e) => (e['choices'] as { delta?: { content?: string } }[] | undefined)?.[0]?.delta?.content ?? '')
      .join('').length;
    ac.abort();

    await upstream.waitFor(
      (rs) => rs.some((r) => JSON.stringify(r.body['messages']) === JSON.stringify(messages) && r.aborted),
      3000,
    );
    const entry = await waitUntil(
      async () => (await activityOf(gw.url, key, requestId))[0],
      'the activity entry of the cut stream',
    );
    const promptEstimate = estimatePromptTokens({ messages });

    expect(entry).toMatchObject({ estimated: true, stream: true, status: 499, prompt_tokens: promptEstimate });
    // Billed from what was delivered: at least what this client read, never the whole text.
    expect(entry.completion_tokens).toBeGreaterThanOrEqual(Math.ceil(seenContentBytes / 3));
    expect(entry.completion_tokens).toBeLessThan(Math.ceil(content.length / 3));
    const cost = usdToMicros(entry.cost_usd);
    expect(cost).toBe(expectedCost('b-solo', entry.prompt_tokens, entry.completion_tokens));
    expect(cost).toBeGreaterThan(0);
    expect(cost).toBeLessThan(fullCost);

    const after = await gw.store.billing.balance(id);
    expect(before.balanceMicros - after.balanceMicros).toBe(cost);
    expect(await chargesOf(id, requestId)).toEqual([-cost]);
    expect((await gw.store.billing.ledger(id)).find((r) => r.requestId === requestId)?.note).toMatch(/estimated/);
    await expectBooksBalanced(id);
    expect(upstream.requests.filter((r) => r.finished)).toHaveLength(0);
  });
});

describe('failed attempts', () => {
  it('a 503 on the primary costs nothing: one charge, at the price of the backup that answered', async () => {
    const { id, key } = await createKey(gw.url, ADMIN_KEY, 'fallback', '10');
    upstream.setBehavior('b-dear', { status: 503 });
    upstream.setBehavior('b-cheap', { usage: { prompt_tokens: 1000, completion_tokens: 500 } });
    const cost = expectedCost('b-cheap', 1000, 500);
    expect(cost).toBe(741); // 740.7405 µ$ rounded up; b-dear would have been 7,500
    const before = await gw.store.billing.balance(id);

    const res = await chat(gw.url, key, { model: 'b-dear', messages: tagged(), max_tokens: 1000 });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-saferouter-fallback-to')).toBe('b-cheap');
    await res.json();
    const requestId = res.headers.get('x-request-id') ?? '';

    expect(before.balanceMicros - (await gw.store.billing.balance(id)).balanceMicros).toBe(cost);
    expect(await chargesOf(id, requestId)).toEqual([-cost]);
    await gw.gateway.activity.flush();
    const entries = (await activityOf(gw.url, key, requestId)).sort((a, b) => a.attempt - b.attempt);
    expect(entries.map((e) => [e.model, e.status, usdToMicros(e.cost_usd)])).toEqual([
      ['b-dear', 503, 0],
      ['b-cheap', 200, cost],
    ]);
    await expectBooksBalanced(id);
  });

  it('every candidate failing costs nothing and releases the hold', async () => {
    const { id, key } = await createKey(gw.url, ADMIN_KEY, 'all-fail', '10');
    upstream.setBehavior('b-dear', { status: 503 });
    upstream.setBehavior('b-cheap', { status: 500 });
    const before = await gw.store.billing.balance(id);

    for (const stream of [false, true]) {
      const res = await chat(gw.url, key, { model: 'b-dear', messages: tagged(), max_tokens: 1000, stream });
      expect(res.status).toBeGreaterThanOrEqual(500);
      await res.text();
      const requestId = res.headers.get('x-request-id') ?? '';
      expect(await chargesOf(id, requestId)).toEqual([]);
      await gw.gateway.activity.flush();
      const entries = await activityOf(gw.url, key, requestId);
      expect(entries).toHaveLength(2);
      expect(entries.every((e) => usdToMicros(e.cost_usd) === 0 && e.status >= 500)).toBe(true);
    }
    const after = await gw.store.billing.balance(id);
    expect(after).toEqual(before);
    expect(after.heldMicros).toBe(0);
    await expectBooksBalanced(id);
  });
});

describe('402 insufficient credits', () => {
  it('names the affordable max_tokens, and a request within it succeeds', async () => {
    const credit = 1000; // $0.001
    const { id, key } = await createKey(gw.url, ADMIN_KEY, 'poor', '0.001');
    upstream.setBehavior('b-cheap', { usage: { prompt_tokens: 12, completion_tokens: 7 } });
    const messages = [{ role: 'user', content: 'how much can I afford?' }];
    const prompt = estimatePromptTokens({ messages });
    // floor((available × 1e6 − prompt × in) / out): the largest max_tokens whose hold fits.
    const affordable = Math.floor(
      (credit * 1_000_000 - prompt * PRICES['b-cheap'].inMicros) / PRICES['b-cheap'].outMicros,
    );
    expect(expectedCost('b-cheap', prompt, affordable)).toBeLessThanOrEqual(credit);
    expect(expectedCost('b-cheap', prompt, affordable + 1)).toBeGreaterThan(credit);

    const refused = await chat(gw.url, key, { model: 'b-cheap', messages, max_tokens: 100_000 });
    expect(refused.status).toBe(402);
    const { error } = (await refused.json()) as { error: RefusalError };
    expect(error.code).toBe('insufficient_credits');
    expect(error.message).toContain(`You requested up to 100000 tokens, but can only afford ${affordable}.`);
    // The same numbers, machine-readable: a client can retry with max_tokens = affordable_tokens.
    expect(error.metadata).toEqual({
      affordable_tokens: affordable,
      requested_tokens: 100_000,
      prompt_tokens: prompt,
      available_usd: '0.001',
      required_usd: expect.any(String),
    });
    expect(usdToMicros(error.metadata.required_usd)).toBe(expectedCost('b-cheap', prompt, 100_000));
    expect(upstream.requests).toHaveLength(0);

    const justOver = await chat(gw.url, key, { model: 'b-cheap', messages, max_tokens: affordable + 1 });
    expect(justOver.status).toBe(402);
    await justOver.text();
    const exactly = await chat(gw.url, key, { model: 'b-cheap', messages, max_tokens: affordable });
    expect(exactly.status).toBe(200);
    await exactly.text();
    const small = await chat(gw.url, key, { model: 'b-cheap', messages, max_tokens: 16 });
    expect(small.status).toBe(200);
    await small.text();

    const account = await gw.store.billing.balance(id);
    expect(account.balanceMicros).toBe(credit - 2 * expectedCost('b-cheap', 12, 7));
    await expectBooksBalanced(id);
  });
});

describe('402 metadata on every path to the client', () => {
  const refusedRequest = (stream: boolean): Record<string, unknown> => ({
    model: 'b-solo',
    messages: [{ role: 'user', content: 'price me' }],
    max_tokens: 50_000,
    stream,
  });
  /** What the 402 must say for `refusedRequest` with `credit` µ$, computed from the catalog prices. */
  const expectedMetadata = (credit: number): Record<string, unknown> => {
    const prompt = estimatePromptTokens({ messages: [{ role: 'user', content: 'price me' }] });
    return {
      affordable_tokens: Math.floor(
        (credit * 1_000_000 - prompt * PRICES['b-solo'].inMicros) / PRICES['b-solo'].outMicros,
      ),
      requested_tokens: 50_000,
      prompt_tokens: prompt,
      available_usd: microsToUsd(credit).replace(/\.?0+$/, ''),
      required_usd: microsToUsd(expectedCost('b-solo', prompt, 50_000)).replace(/\.?0+$/, ''),
    };
  };

  it('plain: a stream is refused before its first byte with the same JSON body as a non-stream', async () => {
    const { key } = await createKey(gw.url, ADMIN_KEY, 'poor-plain', '0.002');
    for (const stream of [false, true]) {
      const res = await chat(gw.url, key, refusedRequest(stream));
      expect(res.status).toBe(402);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      const { error } = (await res.json()) as { error: RefusalError };
      expect(error.code).toBe('insufficient_credits');
      expect(error.metadata, `stream: ${stream}`).toEqual(expectedMetadata(2_000));
    }
    expect(upstream.requests).toHaveLength(0);
  });

  it('sealed with EHBP: the 402 leaves sealed, and opens to the same metadata', async () => {
    const { key } = await createKey(gw.url, ADMIN_KEY, 'poor-sealed', '0.002');
    const sealedFetch = await createSecureFetch(gw.url, { allowMock: true });
    for (const stream of [false, true]) {
      const res = await sealedFetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify(refusedRequest(stream)),
      });
      expect(res.status).toBe(402);
      expect(res.headers.get(RESPONSE_NONCE_HEADER)).toMatch(/^[0-9a-f]{64}$/);
      const { error } = (await res.json()) as { error: RefusalError };
      expect(error.code).toBe('insufficient_credits');
      expect(error.metadata, `stream: ${stream}`).toEqual(expectedMetadata(2_000));
    }
    expect(upstream.requests).toHaveLength(0);
  });
});

describe('holds priced per candidate', () => {
  // $0.001 covers b-thrift's and b-cheap's worst case at 500 output tokens, never b-dear's (5,000 µ$).
  const request = (): Record<string, unknown> => ({ model: 'b-thrift', messages: tagged(), max_tokens: 500 });

  it('a key that affords its model is not refused because a fallback is dearer', async () => {
    const { id, key } = await createKey(gw.url, ADMIN_KEY, 'thrift', '0.001');
    upstream.setBehavior('b-thrift', { usage: { prompt_tokens: 12, completion_tokens: 7 } });
    const res = await chat(gw.url, key, request());
    expect(res.status, await res.clone().text()).toBe(200);
    await res.json();
    const requestId = res.headers.get('x-request-id') ?? '';
    expect(await chargesOf(id, requestId)).toEqual([-expectedCost('b-thrift', 12, 7)]);
    await expectBooksBalanced(id);
  });

  it('a fallback the key cannot afford is skipped; the next affordable one answers at its own price', async () => {
    const { id, key } = await createKey(gw.url, ADMIN_KEY, 'thrift-fallback', '0.001');
    upstream.setBehavior('b-thrift', { status: 503 });
    upstream.setBehavior('b-cheap', { usage: { prompt_tokens: 12, completion_tokens: 7 } });
    for (const stream of [false, true]) {
      const res = await chat(gw.url, key, { ...request(), stream });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-saferouter-fallback-to')).toBe('b-cheap');
      await res.text();
      const requestId = res.headers.get('x-request-id') ?? '';
      expect(await chargesOf(id, requestId)).toEqual([-expectedCost('b-cheap', 12, 7)]);
      await gw.gateway.activity.flush();
      const entries = (await activityOf(gw.url, key, requestId)).sort((a, b) => a.attempt - b.attempt);
      // b-dear (position 2) was never called: no upstream request, no attempt entry.
      expect(entries.map((e) => [e.model, e.attempt, e.status])).toEqual([
        ['b-thrift', 1, 503],
        ['b-cheap', 3, 200],
      ]);
    }
    expect(upstream.requests.filter((r) => r.model === 'b-dear')).toHaveLength(0);
    await expectBooksBalanced(id);
  });
});

describe('refused requests are logged', () => {
  it('a 402 leaves one activity entry with attempt 0 and no cost', async () => {
    const { key } = await createKey(gw.url, ADMIN_KEY, 'broke', '0.000001');
    const res = await chat(gw.url, key, { model: 'b-solo', messages: tagged(), max_tokens: 1000 });
    expect(res.status).toBe(402);
    await res.text();
    const requestId = res.headers.get('x-request-id') ?? '';
    await gw.gateway.activity.flush();
    const entries = await activityOf(gw.url, key, requestId);
    expect(entries.map((e) => [e.model, e.attempt, e.status, usdToMicros(e.cost_usd)])).toEqual([
      ['b-solo', 0, 402, 0],
    ]);
    expect(entries[0]?.error).toMatch(/^insufficient_credits: /);
  });

  it('a 429 leaves one activity entry with attempt 0', async () => {
    const { key } = await createKey(gw.url, ADMIN_KEY, 'limited', '1', { rpm: 1 });
    upstream.setBehavior('b-solo', { usage: { prompt_tokens: 3, completion_tokens: 2 } });
    const first = await chat(gw.url, key, { model: 'b-solo', messages: tagged(), max_tokens: 10 });
    expect(first.status).toBe(200);
    await first.text();
    const res = await chat(gw.url, key, { model: 'b-solo', messages: tagged(), max_tokens: 10 });
    expect(res.status).toBe(429);
    await res.text();
    const requestId = res.headers.get('x-request-id') ?? '';
    await gw.gateway.activity.flush();
    const entries = await activityOf(gw.url, key, requestId);
    expect(entries.map((e) => [e.attempt, e.status])).toEqual([[0, 429]]);
    expect(entries[0]?.error).toMatch(/^rate_limit_rpm: /);
  });
});
