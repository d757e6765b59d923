/**
 * End-to-end: the real gateway on a free port, called through the real `openai` SDK and the
 * Vercel AI SDK, with a fake DeepSeek-like upstream behind it. Both SDKs ignore the receipt
 * comment of a stream: they are handed the very bytes that carry it (a fetch that keeps a copy)
 * and still produce exactly the upstream's text.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { generateText, streamText } from 'ai';
import { startFakeUpstream, type FakeUpstream } from '@saferouter/fake-upstream';
import { verifyReceipt } from '@saferouter/audit';
import { startTestGateway, type TestGateway } from './helpers.js';
import { RECEIPT_COMMENT, splitAtReceipt, verifyingKey } from './receipt-fixtures.js';

let upstream: FakeUpstream;
let gw: TestGateway;
let client: OpenAI;

beforeAll(async () => {
  upstream = await startFakeUpstream();
  gw = await startTestGateway(upstream.url);
  client = new OpenAI({ apiKey: gw.userKey, baseURL: `${gw.url}/v1`, maxRetries: 0 });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});
beforeEach(() => upstream.reset());

describe('openai SDK', () => {
  it('chat completion (non-stream)', async () => {
    upstream.setBehavior('m-primary', { content: 'Hello from the fake upstream.' });
    const res = await client.chat.completions.create({
      model: 'm-primary',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(res.choices[0]?.message.content).toBe('Hello from the fake upstream.');
    expect(res.usage?.total_tokens).toBeGreaterThan(0);
    expect(upstream.requests[0]?.model).toBe('m-primary');
  });

  it('streams, with reasoning_content deltas passed through', async () => {
    upstream.setBehavior('m-primary', { content: 'streamed answer', reasoning: true, chunks: 4 });
    const stream = await client.chat.completions.create({
      model: 'm-primary',
      messages: [{ role: 'user', content: 'think' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let content = '';
    let reasoning = '';
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta as
        { content?: string | null; reasoning_content?: string | null } | undefined;
      content += delta?.content ?? '';
      reasoning += delta?.reasoning_content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(content).toBe('streamed answer');
    expect(reasoning.length).toBeGreaterThan(0);
    expect(usage?.completion_tokens).toBeGreaterThan(0);
  });

  it('lists models with SafeRouter fields', async () => {
    const page = await client.models.list();
    const byId = new Map(page.data.map((m) => [m.id, m as unknown as Record<string, unknown>]));
    expect(byId.get('m-primary')).toMatchObject({
      object: 'model',
      provider: 'up',
      context_length: 64000,
      available: true,
    });
    expect(byId.get('m-primary')?.pricing).toMatchObject({ prompt: '0.00000027', completion: '0.0000011' });
    expect(byId.get('m-nokey')).toMatchObject({ available: false });
    expect(byId.get('saferouter/demo')).toMatchObject({ available: true, demo: true });
  });

  it('surfaces errors as the SDK typed errors', async () => {
    const bad = new OpenAI({
      apiKey: 'sk-sr-not-a-real-key-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
      baseURL: `${gw.url}/v1`,
      maxRetries: 0,
    });
    await expect(bad.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    await expect(
      client.chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: 'x' }] }),
    ).rejects.toMatchObject({
      status: 404,
      code: 'model_not_found',
    });
    upstream.setBehavior('m-primary', {
      status: 400,
      errorBody: { error: { message: 'bad temperature', type: 'invalid_request_error', code: 'invalid_value' } },
    });
    const err = await client.chat.completions
      .create({ model: 'm-primary', messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).message).toContain('bad temperature');
  });

  it('a mid-stream cut surfaces as an error while iterating', async () => {
    upstream.setBehavior('m-primary', { cutAfterChunks: 2, chunks: 8 });
    const stream = await client.chat.completions.create({
      model: 'm-primary',
      messages: [{ role: 'user', content: 'x' }],
      stream: true,
    });
    const consume = async (): Promise<void> => {
      for await (const chunk of stream) void chunk;
    };
    await expect(consume()).rejects.toBeInstanceOf(OpenAI.APIError);
  });
});

describe('Vercel AI SDK (@ai-sdk/openai-compatible)', () => {
  it('streamText streams text from the gateway', async () => {
    upstream.setBehavior('m-primary', { content: 'ai sdk says hi', chunks: 3 });
    const provider = createOpenAICompatible({
      name: 'saferouter',
      baseURL: `${gw.url}/v1`,
      apiKey: gw.userKey,
      includeUsage: true,
    });
    const result = streamText({ model: provider.chatModel('m-primary'), prompt: 'hello' });
    let text = '';
    for await (const part of result.textStream) text += part;
    expect(text).toBe('ai sdk says hi');
    const usage = await result.usage;
    expect(usage.outputTokens).toBeGreaterThan(0);
  });

  it('generateText against the demo model works with no upstream', async () => {
    const provider = createOpenAICompatible({ name: 'saferouter', baseURL: `${gw.url}/v1`, apiKey: gw.userKey });
    const { text } = await generateText({ model: provider.chatModel('saferouter/demo'), prompt: 'ping' });
    expect(text.length).toBeGreaterThan(0);
    const again = await generateText({ model: provider.chatModel('saferouter/demo'), prompt: 'ping' });
    expect(again.text).toBe(text);
    expect(upstream.requests).toHaveLength(0);
  });
});

/** A fetch that hands the caller the response and keeps a copy of its body bytes. */
function recordingFetch(): { fetch: typeof fetch; bodies: Promise<Uint8Array>[]; requestIds: (string | null)[] } {
  const bodies: Promise<Uint8Array>[] = [];
  const requestIds: (string | null)[] = [];
  return {
    bodies,
    requestIds,
    fetch: async (input, init) => {
      const res = await fetch(input, init);
      requestIds.push(res.headers.get('x-request-id'));
      if (res.body === null) return res;
      const [mine, theirs] = res.body.tee();
      bodies.push(new Response(mine).arrayBuffer().then((b) => new Uint8Array(b)));
      return new Response(theirs, { status: res.status, statusText: res.statusText, headers: res.headers });
    },
  };
}

/** The stream's receipt, verified against the bytes before it and the gateway's signing key. */
async function expectReceiptIn(body: Uint8Array, requestId: string | null): Promise<void> {
  const { before, jws, after } = splitAtReceipt(body);
  expect(after).toBe('data: [DONE]\n\n');
  const verdict = await verifyReceipt(jws, {
    signingKey: (await verifyingKey(gw.url)).signingKey,
    response: before,
    requestId: requestId ?? '',
  });
  expect(verdict.issues).toEqual([]);
  expect(verdict.payload?.stream).toBe(true);
}

describe('receipts through the SDKs', () => {
  it('a raw streamed response carries the receipt comment just before [DONE]', async () => {
    upstream.setBehavior('m-primary', { content: 'raw bytes', chunks: 3 });
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${gw.userKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm-primary', messages: [{ role: 'user', content: 'hi' }], stream: true }),
    });
    expect(res.status).toBe(200);
    const body = new Uint8Array(await res.arrayBuffer());
    expect(Buffer.from(body).toString('utf8')).toMatch(
      new RegExp(`\\n\\n${RECEIPT_COMMENT}[A-Za-z0-9_.-]+\\n\\ndata: \\[DONE\\]\\n\\n$`),
    );
    await expectReceiptIn(body, res.headers.get('x-request-id'));
  });

  it('the openai SDK streams exactly the text, the receipt comment ignored', async () => {
    upstream.setBehavior('m-primary', { content: 'every word, nothing more', chunks: 5 });
    const rec = recordingFetch();
    const recording = new OpenAI({ apiKey: gw.userKey, baseURL: `${gw.url}/v1`, maxRetries: 0, fetch: rec.fetch });
    const stream = await recording.chat.completions.create({
      model: 'm-primary',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
    });
    let content = '';
    let chunks = 0;
    for await (const chunk of stream) {
      chunks++;
      content += chunk.choices[0]?.delta.content ?? '';
    }
    expect(content).toBe('every word, nothing more');
    expect(chunks).toBeGreaterThan(1);
    expect(rec.bodies).toHaveLength(1);
    await expectReceiptIn(await rec.bodies[0]!, rec.requestIds[0]!);
  });

  it('the Vercel AI SDK streamText produces exactly the text, the receipt comment ignored', async () => {
    upstream.setBehavior('m-primary', { content: 'the comment is not text', chunks: 4 });
    const rec = recordingFetch();
    const provider = createOpenAICompatible({
      name: 'saferouter',
      baseURL: `${gw.url}/v1`,
      apiKey: gw.userKey,
      includeUsage: true,
      fetch: rec.fetch,
    });
    const result = streamText({ model: provider.chatModel('m-primary'), prompt: 'hello' });
    let text = '';
    for await (const part of result.textStream) text += part;
    expect(text).toBe('the comment is not text');
    expect(await result.finishReason).toBe('stop');
    expect(rec.bodies).toHaveLength(1);
    await expectReceiptIn(await rec.bodies[0]!, rec.requestIds[0]!);
  });

  it("the openai SDK's withResponse() exposes X-SafeRouter-Receipt on a non-stream reply", async () => {
    upstream.setBehavior('m-primary', { content: 'with a header' });
    const { data, response } = await client.chat.completions
      .create({ model: 'm-primary', messages: [{ role: 'user', content: 'hi' }] })
      .withResponse();
    expect(data.choices[0]?.message.content).toBe('with a header');
    const jws = response.headers.get('x-saferouter-receipt');
    expect(jws).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    const verdict = await verifyReceipt(jws!, {
      signingKey: (await verifyingKey(gw.url)).signingKey,
      requestId: response.headers.get('x-request-id') ?? '',
    });
    expect(verdict.issues).toEqual([]);
    expect(verdict.payload).toMatchObject({ stream: false, model: 'm-primary', requested_model: 'm-primary' });
  });
});
