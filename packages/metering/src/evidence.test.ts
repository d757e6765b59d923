// When metering makes a request's receipt and audit sample, and what they cover: real SQLite
// books and the real relay; a fake issuer records exactly what it was fed.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exactCostMicros, formatUsd } from '@saferouter/billing';
import { UpstreamError, type ChatRequestBody, type StreamResult } from '@saferouter/router';
import { AuditFailedError } from './evidence.js';
import { createMeteredChat, type MeteredReply, type MeteringDeps } from './metered-chat.js';
import { chatUsage } from './reply-dialect.js';
import { entry, fakeEvidence, fixedCatalog, openBooks, sse, type Books, type Script } from './testing.js';

const enc = new TextEncoder();
const dec = new TextDecoder();
const USAGE = { prompt_tokens: 1000, completion_tokens: 2000 };
const MODEL = entry('m', 2_000_000, 8_000_000);
const BACKUP = entry('m-backup', 1_000_000, 1_000_000);
const COST = exactCostMicros(MODEL.pricing, USAGE.prompt_tokens, USAGE.completion_tokens);

let books: Books;
let ids = 0;
beforeEach(async () => {
  books = await openBooks(1_000_000);
});
afterEach(async () => {
  await books.close();
});

function chatWith(
  chain: { entry: typeof MODEL; script: () => Script }[],
  evidence: MeteringDeps['evidence'],
): ReturnType<typeof createMeteredChat> {
  return createMeteredChat({
    catalog: fixedCatalog(chain),
    billing: books.billing,
    limiter: books.limiter,
    activity: { push: (e) => books.activity.push(e) },
    clock: () => 1_700_000_000_000,
    newId: () => `act_${++ids}`,
    log: () => undefined,
    evidence,
  });
}

function call(
  requestId: string,
  stream: boolean,
  model = 'm',
): Parameters<ReturnType<typeof createMeteredChat>['complete']>[0] {
  const body: ChatRequestBody = {
    model,
    messages: [{ role: 'user', content: `hi ${requestId}` }],
    max_tokens: 100,
    stream,
  };
  const text = JSON.stringify(body);
  return {
    caller: { id: books.keyId, role: 'user', limits: { rpm: null, concurrency: null } },
    requestId,
    body,
    requestBytes: enc.encode(text),
  };
}

async function readAll(reply: MeteredReply): Promise<string> {
  if (!reply.stream) throw new Error('expected a stream');
  const result: StreamResult = reply.result;
  let text = '';
  for (let c = await result.read(); c !== undefined; c = await result.read()) text += dec.decode(c);
  return text;
}

describe('receipts', () => {
  it('non-stream: one receipt over the exact request and response bytes, claiming what the ledger charged', async () => {
    const fake = fakeEvidence();
    const chat = chatWith([{ entry: MODEL, script: () => ({ usage: USAGE }) }], fake.evidence);
    const req = call('req_a', false);
    const reply = await chat.complete(req);
    if (reply.stream) throw new Error('expected json');
    expect(reply.receipt).toBe('receipt-1');
    const [record] = fake.records;
    expect(record?.request).toBe(dec.decode(req.requestBytes));
    expect(record?.response).toBe(dec.decode(reply.body));
    expect(record?.details).toMatchObject({
      requestedModel: 'm',
      model: 'm',
      usage: USAGE,
      costUsd: formatUsd(COST),
      attempts: [{ model: 'm', status: 200 }],
    });
    expect(await books.charges()).toEqual([{ requestId: 'req_a', amountMicros: -COST }]);
    expect(fake.kept).toEqual(['req_a receipt-1']);
  });

  it('stream: the receipt comment sits just before [DONE] and covers every byte sent before it', async () => {
    const fake = fakeEvidence();
    const chunks = [': keep-alive\n\n', ...sse(['Hello', ' there'], USAGE)];
    const chat = chatWith([{ entry: MODEL, script: () => ({ chunks }) }], fake.evidence);
    const text = await readAll(await chat.complete(call('req_s', true)));
    // The usage event is sent rewritten with the cost, and the receipt covers those bytes.
    const billedUsage = `data: ${JSON.stringify({ choices: [], usage: chatUsage({ upstream: { ...USAGE, total_tokens: 0 }, prompt: USAGE.prompt_tokens, completion: USAGE.completion_tokens, cached: 0, reasoning: 0, costMicros: COST }) })}\n\n`;
    const before = `${chunks.slice(0, -2).join('')}${billedUsage}`;
    expect(text).toBe(`${before}: saferouter-receipt receipt-1\n\ndata: [DONE]\n\n`);
    expect(text).toContain('"cost":');
    expect(fake.records[0]?.response).toBe(before);
    expect(fake.records[0]?.details?.costUsd).toBe(formatUsd(COST));
  });

  it('a cut stream: the receipt comment comes just before the error event', async () => {
    const fake = fakeEvidence();
    const chat = chatWith([{ entry: MODEL, script: () => ({ chunks: sse(['Hi'], USAGE, '') }) }], fake.evidence);
    const text = await readAll(await chat.complete(call('req_cut', true)));
    expect(text).toMatch(
      /: saferouter-receipt receipt-1\n\ndata: \{"error":\{[^\n]*"code":"stream_interrupted"\}\}\n\n$/,
    );
    expect(text).not.toContain('[DONE]');
  });

  it('a fallback names every attempt, and the model and provider that answered', async () => {
    const fake = fakeEvidence();
    const chat = chatWith(
      [
        { entry: MODEL, script: () => ({ status: 503 }) },
        { entry: BACKUP, script: () => ({ usage: USAGE }) },
      ],
      fake.evidence,
    );
    await chat.complete(call('req_f', false));
    expect(fake.records[0]?.details).toMatchObject({
      requestedModel: 'm',
      model: 'm-backup',
      provider: 'm-backup-provider',
      attempts: [
        { model: 'm', status: 503 },
        { model: 'm-backup', status: 200 },
      ],
    });
  });

  it('an upstream 4xx that bubbles up is receipted over the body the client gets, at no cost', async () => {
    const fake = fakeEvidence();
    const chat = chatWith([{ entry: MODEL, script: () => ({ status: 400 }) }], fake.evidence);
    const failure = await chat.complete(call('req_4xx', false)).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(UpstreamError);
    const error = failure as UpstreamError;
    expect(error.headers['x-saferouter-receipt']).toBe('receipt-1');
    expect(fake.records[0]?.response).toBe(dec.decode(error.responseBody()));
    expect(fake.records[0]?.details).toMatchObject({ costUsd: '0', attempts: [{ model: 'm', status: 400 }] });
  });

  it('a request refused before any upstream gets no receipt', async () => {
    const fake = fakeEvidence();
    const chat = chatWith([{ entry: MODEL, script: () => ({ usage: USAGE }) }], fake.evidence);
    const huge = call('req_402', false);
    huge.body.max_tokens = 100_000_000;
    await expect(chat.complete(huge)).rejects.toMatchObject({ statusCode: 402 });
    expect(fake.records).toEqual([]);
  });
});

describe('audit samples', () => {
  it('a sampled stream is committed before [DONE] is handed on', async () => {
    let committedBeforeDone = false;
    const fake = fakeEvidence({ sampled: true });
    const chat = chatWith([{ entry: MODEL, script: () => ({ usage: USAGE }) }], fake.evidence);
    const reply = await chat.complete(call('req_sampled', true));
    if (!reply.stream) throw new Error('expected a stream');
    let text = '';
    for (let c = await reply.result.read(); c !== undefined; c = await reply.result.read()) {
      text += dec.decode(c);
      if (text.includes('[DONE]')) committedBeforeDone = fake.samples.includes('req_sampled');
    }
    expect(committedBeforeDone).toBe(true);
  });

  it('a sample that cannot be stored withholds the reply and refunds its charge', async () => {
    const fake = fakeEvidence({ sampled: true, addSample: () => Promise.reject(new Error('disk full')) });
    const chat = chatWith([{ entry: MODEL, script: () => ({ usage: USAGE }) }], fake.evidence);
    await expect(chat.complete(call('req_nf', false))).rejects.toBeInstanceOf(AuditFailedError);
    const text = await readAll(await chat.complete(call('req_ns', true)));
    expect(text).toContain('"code":"audit_failed"');
    expect(text).not.toContain('[DONE]');
    expect(text).not.toContain('disk full');
    const account = await books.account();
    expect(account).toMatchObject({ balanceMicros: 1_000_000, heldMicros: 0 });
    expect(books.activity.map((e) => [e.requestId, e.status, e.costMicros])).toEqual([
      ['req_nf', 503, 0],
      ['req_ns', 503, 0],
    ]);
    expect(fake.kept).toEqual([]);
  });
});
