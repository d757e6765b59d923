/**
 * How a stream ends, end to end (real server in process, SQLite, the fake upstream over HTTP):
 * every odd way an upstream can end its SSE has one defined outcome for the client and the books.
 *
 * - Bytes after `[DONE]`, and a second `[DONE]`: dropped; the client sees one clean end; charged.
 * - No `[DONE]` before a clean close, or a cut: one `stream_interrupted` error event, no
 *   `[DONE]`, charged from the usage that did arrive (502 in the activity log).
 * - CRLF or CR line ends, no space after `data:`, `[DONE]` split over two writes: relayed byte
 *   for byte, charged before `[DONE]` reaches the client.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseCatalogConfig } from '@saferouter/router';
import { startFakeUpstream, type FakeBehavior, type FakeUpstream } from '@saferouter/fake-upstream';
import { ADMIN_KEY, startTestGateway, type TestGateway } from './helpers.js';
import { activityOf, billingCatalogJson, chat, createKey, expectedCost, waitUntil } from './billing-fixtures.js';
import { SseReader } from './sse-reader.js';

const USAGE = { prompt_tokens: 30, completion_tokens: 90 };
const COST = expectedCost('b-solo', USAGE.prompt_tokens, USAGE.completion_tokens);

let upstream: FakeUpstream;
let gw: TestGateway;
let key: { id: string; key: string };

beforeAll(async () => {
  upstream = await startFakeUpstream();
  gw = await startTestGateway(upstream.url, { catalog: parseCatalogConfig(billingCatalogJson(upstream.url)) });
  key = await createKey(gw.url, ADMIN_KEY, 'stream-end', '10');
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});
beforeEach(() => upstream.reset());

interface Outcome {
  text: string;
  requestId: string;
  events: { data: string }[];
}

async function stream(behavior: FakeBehavior): Promise<Outcome> {
  upstream.setBehavior('b-solo', { usage: USAGE, ...behavior });
  const res = await chat(gw.url, key.key, {
    model: 'b-solo',
    messages: [{ role: 'user', content: `end ${randomBytes(4).toString('hex')}` }],
    max_tokens: 200,
    stream: true,
  });
  expect(res.status).toBe(200);
  const requestId = res.headers.get('x-request-id') ?? '';
  const text = await res.text();
  const events = new SseReader().push(new TextEncoder().encode(text)).map((data) => ({ data }));
  return { text, requestId, events };
}

async function chargeOf(requestId: string): Promise<number | undefined> {
  const rows = await gw.store.billing.ledger(key.id, { limit: 1000 });
  return rows.find((r) => r.requestId === requestId)?.amountMicros;
}

/** The request's one activity entry, once the batched writer has flushed it. */
async function activityEntry(requestId: string): Promise<{ status: number; estimated: boolean }> {
  const rows = await waitUntil(async () => {
    const found = await activityOf(gw.url, key.key, requestId);
    return found.length > 0 ? found : undefined;
  }, `activity of ${requestId}`);
  expect(rows).toHaveLength(1);
  return rows[0]!;
}

async function activityStatus(requestId: string): Promise<number> {
  return (await activityEntry(requestId)).status;
}

describe('after [DONE]', () => {
  it.each<[string, FakeBehavior]>([
    ['bytes after [DONE]', { afterDone: 'data: {"choices":[{"delta":{"content":"late"}}]}\n\ngarbage' }],
    ['a second [DONE]', { doubleDone: true }],
  ])('%s: dropped; one clean end; charged', async (_name, behavior) => {
    const out = await stream(behavior);
    expect(out.events.filter((e) => e.data === '[DONE]')).toHaveLength(1);
    expect(out.events.at(-1)?.data).toBe('[DONE]');
    expect(out.text).not.toContain('late');
    expect(out.text).not.toContain('garbage');
    expect(await chargeOf(out.requestId)).toBe(-COST);
    expect(await activityStatus(out.requestId)).toBe(200);
  });
});

describe('no [DONE]', () => {
  it('a clean close without [DONE]: one stream_interrupted event, charged from the usage, logged 502', async () => {
    const out = await stream({ omitDone: true });
    expect(out.text).not.toContain('[DONE]');
    const last = JSON.parse(out.events.at(-1)!.data) as { error: { code: string; type: string } };
    expect(last.error).toMatchObject({ code: 'stream_interrupted', type: 'upstream_error' });
    expect(await waitUntil(() => chargeOf(out.requestId), 'the charge')).toBe(-COST);
    expect(await activityStatus(out.requestId)).toBe(502);
  });

  it('a cut before the usage chunk: the same event, charged from the text delivered (estimated)', async () => {
    const out = await stream({ cutAfterChunks: 3, chunkDelayMs: 5 });
    expect(out.text).not.toContain('[DONE]');
    expect(out.text).toContain('"code":"stream_interrupted"');
    const charged = await waitUntil(() => chargeOf(out.requestId), 'the charge');
    expect(charged).toBeLessThan(0);
    expect(charged).not.toBe(-COST);
    expect(await activityEntry(out.requestId)).toMatchObject({ status: 502, estimated: true });
  });
});

describe('line ends and splits', () => {
  it.each<[string, FakeBehavior]>([
    ['CRLF', { lineEnding: '\r\n' }],
    ['CR', { lineEnding: '\r' }],
    ['no space after data:', { dataNoSpace: true }],
    ['[DONE] split inside', { doneSplitAt: 9, doneSplitDelayMs: 30 }],
    ['CRLF, split between the final CR and LF', { lineEnding: '\r\n', doneSplitAt: 15, doneSplitDelayMs: 30 }],
  ])('%s: relayed as sent, charged', async (_name, behavior) => {
    const out = await stream(behavior);
    expect(out.events.at(-1)?.data).toBe('[DONE]');
    const usage = out.events.map((e) => e.data).find((d) => d.includes('"usage"'));
    expect(JSON.parse(usage ?? '{}')).toMatchObject({ usage: USAGE });
    if (behavior.lineEnding !== undefined)
      expect(out.text.endsWith(`[DONE]${behavior.lineEnding.repeat(2)}`)).toBe(true);
    if (behavior.dataNoSpace === true) expect(out.text).toContain('data:[DONE]');
    expect(await chargeOf(out.requestId)).toBe(-COST);
  });
});
