/**
 * End-to-end, issue 14 (OpenRouter parity): the real gateway on a free port with a catalog of
 * multi-endpoint models, all served by one fake upstream that tells endpoints apart by the
 * upstream model id each one sends. Clients are the published ones: the `openai` SDK (chat and
 * Responses) and the Vercel AI SDK's `@ai-sdk/openai` provider (Responses API by default).
 *
 * Every money figure is checked against the ledger (the admin's view of the key's balance), and
 * expected costs are computed here from the catalog's prices, not by @saferouter/billing.
 */
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { createOpenAI } from '@ai-sdk/openai';
import { generateText, streamText } from 'ai';
import { parseCatalogConfig } from '@saferouter/router';
import { startFakeUpstream, type FakeUpstream } from '@saferouter/fake-upstream';
import { ADMIN_KEY, startTestGateway, type TestGateway } from './helpers.js';
import { createKey, credits, sseEvents } from './billing-fixtures.js';
import { verifyReceipt } from '@saferouter/audit';
import { splitAtReceipt, verifyingKey } from './receipt-fixtures.js';

/** A receipt verified against the bytes it covers and the gateway's signing key; its payload. */
async function expectValidReceipt(jws: string, response: Uint8Array, requestId: string) {
  const verdict = await verifyReceipt(jws, {
    signingKey: (await verifyingKey(gw.url)).signingKey,
    response,
    requestId,
  });
  expect(verdict.issues).toEqual([]);
  return verdict.payload;
}

/** USD per million → micro-dollars per million, as the catalog converts them. */
const micros = (usd: number): number => Math.round(usd * 1e6);

/** ceil((uncached × in + cached × cachedIn + completion × out) / 1e6), in BigInt. */
function cost(
  price: { input: number; output: number; cached?: number },
  prompt: number,
  completion: number,
  cached = 0,
): number {
  const n =
    BigInt(prompt - cached) * BigInt(micros(price.input)) +
    BigInt(cached) * BigInt(micros(price.cached ?? price.input)) +
    BigInt(completion) * BigInt(micros(price.output));
  return Number((n + 999_999n) / 1_000_000n);
}

const PRICE = {
  ds: { input: 1.111111, output: 2.222222 },
  za: { input: 0.5, output: 1 },
  oa: { input: 3, output: 3 },
  cached: { input: 0.3, output: 1.2, cached: 0.03 },
} as const;

function catalog(url: string): Record<string, unknown> {
  const base = `${url}/v1`;
  const limits = { contextLength: 100_000, maxOutputTokens: 2000 };
  const pricing = (p: { input: number; output: number; cached?: number }) => ({
    inputPerMillion: p.input,
    outputPerMillion: p.output,
    ...(p.cached === undefined ? {} : { cachedInputPerMillion: p.cached }),
  });
  return {
    providers: [
      { id: 'ds', kind: 'deepseek', baseUrl: base, apiKeyEnv: 'FAKE_UP_KEY', dataRetention: 'retained' },
      { id: 'za', kind: 'zai', baseUrl: base, apiKeyEnv: 'FAKE_UP_KEY', dataRetention: 'none' },
      { id: 'oa', baseUrl: base, apiKeyEnv: 'FAKE_UP_KEY' },
    ],
    models: [
      {
        id: 'multi',
        ...limits,
        pricing: pricing(PRICE.oa),
        capabilities: ['tools', 'json', 'reasoning'],
        endpoints: [
          { provider: 'ds', upstreamModel: 'multi-ds', pricing: pricing(PRICE.ds) },
          { provider: 'za', upstreamModel: 'multi-za', pricing: pricing(PRICE.za), capabilities: ['tools'] },
          { provider: 'oa', upstreamModel: 'multi-oa', pricing: pricing(PRICE.oa) },
        ],
      },
      { id: 'cached', provider: 'ds', ...limits, pricing: pricing(PRICE.cached), capabilities: ['tools'] },
      { id: 'plain', provider: 'oa', ...limits, pricing: pricing(PRICE.oa), capabilities: ['tools', 'json'] },
    ],
  };
}

let upstream: FakeUpstream;
let gw: TestGateway;
let key: { id: string; key: string };
let client: OpenAI;

const balance = async (): Promise<number> => (await credits(gw.url, ADMIN_KEY, key.id)).balance;
/** The upstream model id of every request the fake received, in order. */
const served = (): string[] => upstream.requests.map((r) => r.model);

beforeAll(async () => {
  upstream = await startFakeUpstream();
  gw = await startTestGateway(upstream.url, {
    catalog: parseCatalogConfig(catalog(upstream.url)),
    keepAliveMs: 150,
  });
  key = await createKey(gw.url, ADMIN_KEY, 'parity', '50');
  client = new OpenAI({ apiKey: key.key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});
beforeEach(() => upstream.reset());

describe('usage.cost: exact, in every response', () => {
  it('a stream reports usage.cost equal to the credit delta, whatever stream_options says', async () => {
    upstream.setBehavior('multi-ds', {
      content: 'Streaming, priced.',
      usage: { prompt_tokens: 1234, completion_tokens: 567 },
    });
    const before = await balance();
    const stream = await client.chat.completions.create({
      model: 'multi',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
    });
    let text = '';
    let usage: (OpenAI.CompletionUsage & { cost?: number }) | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    const delta = before - (await balance());
    expect(text).toBe('Streaming, priced.');
    expect(delta).toBe(cost(PRICE.ds, 1234, 567));
    expect(usage?.cost).toBeTypeOf('number');
    expect(Math.round((usage?.cost ?? 0) * 1e6)).toBe(delta);
    expect(usage).toMatchObject({ prompt_tokens: 1234, completion_tokens: 567, total_tokens: 1801 });
  });

  it('a non-stream body carries usage.cost equal to the credit delta', async () => {
    upstream.setBehavior('multi-ds', { content: 'Plain.', usage: { prompt_tokens: 100, completion_tokens: 7 } });
    const before = await balance();
    const res = await client.chat.completions.create({ model: 'multi', messages: [{ role: 'user', content: 'x' }] });
    const delta = before - (await balance());
    expect(delta).toBe(cost(PRICE.ds, 100, 7));
    expect(Math.round(((res.usage as { cost?: number } | undefined)?.cost ?? -1) * 1e6)).toBe(delta);
  });

  it('cached prompt tokens (DeepSeek and OpenAI styles) are charged at the cached price, exactly', async () => {
    for (const usage of [
      {
        prompt_tokens: 10_000,
        completion_tokens: 300,
        prompt_cache_hit_tokens: 9_000,
        prompt_cache_miss_tokens: 1_000,
      },
      { prompt_tokens: 10_000, completion_tokens: 300, prompt_tokens_details: { cached_tokens: 9_000 } },
    ]) {
      upstream.setBehavior('cached', { content: 'From cache.', usage });
      const before = await balance();
      const res = await client.chat.completions.create({ model: 'cached', messages: [{ role: 'user', content: 'x' }] });
      const delta = before - (await balance());
      expect(delta).toBe(cost(PRICE.cached, 10_000, 300, 9_000));
      // Dearer than that if the cache were ignored: the test can tell the two apart.
      expect(delta).toBeLessThan(cost(PRICE.cached, 10_000, 300));
      expect(res.usage?.prompt_tokens_details?.cached_tokens).toBe(9_000);
      expect(Math.round(((res.usage as { cost?: number }).cost ?? -1) * 1e6)).toBe(delta);
    }
  });

  it('reports reasoning tokens where OpenAI puts them', async () => {
    upstream.setBehavior('plain', {
      content: 'Thought.',
      reasoning: true,
      usage: { prompt_tokens: 20, completion_tokens: 50, completion_tokens_details: { reasoning_tokens: 30 } },
    });
    const res = await client.chat.completions.create({ model: 'plain', messages: [{ role: 'user', content: 'x' }] });
    expect(res.usage?.completion_tokens_details?.reasoning_tokens).toBe(30);
  });

  it('zero-completion insurance: an empty answer without a finish reason costs nothing', async () => {
    upstream.setBehavior('plain', {
      emptyCompletion: true,
      finishReason: null,
      usage: { prompt_tokens: 5000, completion_tokens: 0 },
    });
    const before = await balance();
    const stream = await client.chat.completions.create({
      model: 'plain',
      messages: [{ role: 'user', content: 'x' }],
      stream: true,
    });
    let usage: (OpenAI.CompletionUsage & { cost?: number }) | undefined;
    for await (const chunk of stream) if (chunk.usage) usage = chunk.usage;
    expect(await balance()).toBe(before);
    expect(usage?.cost).toBe(0);
    // The same prompt with a finish reason is a real (if empty) answer, and is charged.
    upstream.setBehavior('plain', { emptyCompletion: true, usage: { prompt_tokens: 5000, completion_tokens: 0 } });
    await client.chat.completions.create({ model: 'plain', messages: [{ role: 'user', content: 'x' }] });
    expect(before - (await balance())).toBe(cost(PRICE.oa, 5000, 0));
  });

  it('an empty stream cut by the upstream costs nothing', async () => {
    upstream.setBehavior('plain', { emptyCompletion: true, cutAfterChunks: 1 });
    const before = await balance();
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'plain', messages: [{ role: 'user', content: 'x'.repeat(4000) }], stream: true }),
    });
    expect(await res.text()).toContain('stream_interrupted');
    expect(await balance()).toBe(before);
  });
});

describe('pass-through, tested', () => {
  it('a streamed tool call is reassembled by the openai SDK', async () => {
    const args = JSON.stringify({ city: 'Zürich', units: 'metric', days: [1, 2, 3] });
    upstream.setBehavior('plain', { toolCalls: [{ name: 'get_weather', arguments: args }], chunks: 5 });
    const tools: OpenAI.ChatCompletionTool[] = [
      {
        type: 'function',
        function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
      },
    ];
    const stream = client.chat.completions.stream({
      model: 'plain',
      messages: [{ role: 'user', content: 'weather?' }],
      tools,
      tool_choice: 'auto',
    });
    const final = await stream.finalChatCompletion();
    const call = final.choices[0]?.message.tool_calls?.[0];
    expect(final.choices[0]?.finish_reason).toBe('tool_calls');
    expect(call?.type === 'function' ? call.function : undefined).toEqual({ name: 'get_weather', arguments: args });
    // The upstream got the tools and the choice as sent.
    expect(upstream.requests[0]?.body).toMatchObject({ tools, tool_choice: 'auto' });
  });

  it('response_format, stop, seed, temperature, top_p and logprobs reach the upstream unchanged', async () => {
    const fields = {
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'x', schema: { type: 'object', properties: { a: { type: 'number' } } }, strict: true },
      },
      stop: ['END', '\n\n'],
      seed: 42,
      temperature: 0.3,
      top_p: 0.9,
      logprobs: true,
      top_logprobs: 2,
    };
    upstream.setBehavior('plain', { content: '{"a":1}' });
    await client.chat.completions.create({
      model: 'plain',
      messages: [{ role: 'user', content: 'json' }],
      ...(fields as Record<string, unknown>),
    } as OpenAI.ChatCompletionCreateParamsNonStreaming);
    expect(upstream.requests[0]?.body).toMatchObject(fields);
  });

  it('the upstream never receives the raw user: a keyed pseudonym, stable per key, different across keys', async () => {
    upstream.setBehavior('plain', { content: 'ok' });
    const other = await createKey(gw.url, ADMIN_KEY, 'parity-other', '1');
    const otherClient = new OpenAI({ apiKey: other.key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
    const ask = (c: OpenAI) =>
      c.chat.completions.create({
        model: 'plain',
        user: 'alice@example.com',
        messages: [{ role: 'user', content: 'x' }],
      });
    await ask(client);
    await ask(client);
    await ask(otherClient);
    const users = upstream.requests.map((r) => r.body['user']);
    expect(users.every((u) => typeof u === 'string' && /^[0-9a-f]{64}$/.test(u))).toBe(true);
    expect(JSON.stringify(upstream.requests.map((r) => r.body))).not.toContain('alice');
    expect(users[0]).toBe(users[1]);
    expect(users[2]).not.toBe(users[0]);
    // It is the HMAC of the key id and the user under the deployment's stored secret.
    const secret = Buffer.from((await gw.store.meta.get('user_hmac_secret')) ?? '', 'base64');
    expect(users[0]).toBe(
      createHmac('sha256', secret).update(key.id).update('\0').update('alice@example.com').digest('hex'),
    );
  });
});

describe('SAFEROUTER_USER_SECRET: the pseudonym secret from the environment', () => {
  const secret = Buffer.alloc(32, 0x5a);
  let own: TestGateway;

  beforeAll(async () => {
    own = await startTestGateway(upstream.url, {
      catalog: parseCatalogConfig(catalog(upstream.url)),
      userSecret: new Uint8Array(secret),
    });
  });
  afterAll(async () => {
    await own?.close();
  });

  it('keys the pseudonym with it, and keeps no secret of its own in the database', async () => {
    upstream.setBehavior('plain', { content: 'ok' });
    const k = await createKey(own.url, ADMIN_KEY, 'env-secret', '1');
    const c = new OpenAI({ apiKey: k.key, baseURL: `${own.url}/v1`, maxRetries: 0 });
    await c.chat.completions.create({ model: 'plain', user: 'bob', messages: [{ role: 'user', content: 'x' }] });
    expect(upstream.requests.at(-1)?.body['user']).toBe(
      createHmac('sha256', secret).update(k.id).update('\0').update('bob').digest('hex'),
    );
    expect(await own.store.meta.get('user_hmac_secret')).toBeUndefined();
  });
});

describe('provider preferences: which endpoint answered', () => {
  const ask = async (provider: Record<string, unknown> | undefined, extra: Record<string, unknown> = {}) => {
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'multi',
        messages: [{ role: 'user', content: 'x' }],
        ...(provider ? { provider } : {}),
        ...extra,
      }),
    });
    return { res, body: (await res.json()) as Record<string, unknown> };
  };

  it('by default the catalog order: the first endpoint answers', async () => {
    const { res } = await ask(undefined);
    expect(res.headers.get('x-saferouter-provider')).toBe('ds');
    expect(served()).toEqual(['multi-ds']);
  });

  it('only', async () => {
    const { res } = await ask({ only: ['oa'] });
    expect(res.headers.get('x-saferouter-provider')).toBe('oa');
    expect(served()).toEqual(['multi-oa']);
  });

  it('ignore', async () => {
    const { res } = await ask({ ignore: ['ds'] });
    expect(res.headers.get('x-saferouter-provider')).toBe('za');
    expect(served()).toEqual(['multi-za']);
  });

  it('order, then the rest as fallbacks', async () => {
    upstream.setBehavior('multi-oa', { status: 503 });
    const { res } = await ask({ order: ['oa', 'za'] });
    expect(res.headers.get('x-saferouter-provider')).toBe('za');
    expect(served()).toEqual(['multi-oa', 'multi-za']);
  });

  it('sort: price picks the cheapest endpoint, and is charged its price', async () => {
    upstream.setBehavior('multi-za', { content: 'cheap', usage: { prompt_tokens: 1000, completion_tokens: 1000 } });
    const before = await balance();
    const { res, body } = await ask({ sort: 'price' });
    expect(res.headers.get('x-saferouter-provider')).toBe('za');
    expect(served()).toEqual(['multi-za']);
    expect(before - (await balance())).toBe(cost(PRICE.za, 1000, 1000));
    expect(Math.round((body['usage'] as { cost: number }).cost * 1e6)).toBe(cost(PRICE.za, 1000, 1000));
  });

  it('max_price excludes dearer endpoints', async () => {
    const { res } = await ask({ max_price: { prompt: 1, completion: 1 } });
    expect(res.headers.get('x-saferouter-provider')).toBe('za');
    expect(served()).toEqual(['multi-za']);
  });

  it('allow_fallbacks: false stops at the first endpoint', async () => {
    upstream.setBehavior('multi-ds', { status: 503 });
    const { res } = await ask({ allow_fallbacks: false });
    expect(res.status).toBe(503);
    expect(served()).toEqual(['multi-ds']);
    // With fallbacks allowed (the default) the next endpoint answers.
    upstream.reset();
    upstream.setBehavior('multi-ds', { status: 503 });
    const again = await ask(undefined);
    expect(again.res.headers.get('x-saferouter-provider')).toBe('za');
    expect(served()).toEqual(['multi-ds', 'multi-za']);
  });

  it('data_collection: deny and require_parameters', async () => {
    const deny = await ask({ data_collection: 'deny' });
    expect(deny.res.headers.get('x-saferouter-provider')).toBe('za');
    // za declares tools only: json_object skips it; ds declares json.
    upstream.reset();
    const strict = await ask(
      { require_parameters: true, ignore: ['ds'] },
      { response_format: { type: 'json_object' } },
    );
    expect(strict.res.headers.get('x-saferouter-provider')).toBe('oa');
    expect(served()).toEqual(['multi-oa']);
  });

  it('nothing qualifying is a 404 no_endpoint naming each exclusion; an unknown provider is a 400', async () => {
    const none = await ask({ only: ['za'], max_price: { prompt: 0.1 } });
    expect(none.res.status).toBe(404);
    const error = none.body['error'] as { code: string; message: string };
    expect(error.code).toBe('no_endpoint');
    expect(error.message).toContain('max_price');
    expect(error.message).toContain('only');
    expect(served()).toEqual([]);
    const unknown = await ask({ only: ['nope'] });
    expect(unknown.res.status).toBe(400);
    expect((unknown.body['error'] as { param?: string }).param).toMatch(/^provider\.only/);
    const wrongType = await ask({ sort: 'fastest' });
    expect(wrongType.res.status).toBe(400);
    expect((wrongType.body['error'] as { message: string }).message).toContain('provider.sort');
  });
});

describe('GET /v1/generation', () => {
  it('finds a request by its completion id and by its request id, for its key and the admin only', async () => {
    upstream.setBehavior('multi-oa', { status: 503 });
    upstream.setBehavior('multi-ds', { content: 'Looked up.', usage: { prompt_tokens: 300, completion_tokens: 40 } });
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'multi', provider: { order: ['oa'] }, messages: [{ role: 'user', content: 'x' }] }),
    });
    const completion = (await res.json()) as { id: string; usage: { cost: number } };
    const requestId = res.headers.get('x-request-id') ?? '';
    const get = (id: string, as: string) =>
      fetch(`${gw.url}/v1/generation?id=${encodeURIComponent(id)}`, { headers: { authorization: `Bearer ${as}` } });
    // At once: no waiting for the activity log's batch.
    const byCompletion = await get(completion.id, key.key);
    expect(byCompletion.status).toBe(200);
    const { data } = (await byCompletion.json()) as { data: Record<string, unknown> };
    expect(data).toMatchObject({
      id: completion.id,
      request_id: requestId,
      model: 'multi',
      provider_name: 'ds',
      streamed: false,
      cancelled: false,
      tokens_prompt: 300,
      tokens_completion: 40,
      native_tokens_cached: 0,
      finish_reason: 'stop',
      total_cost: completion.usage.cost,
    });
    expect(data['attempts']).toMatchObject([
      { provider: 'oa', status: 503 },
      { provider: 'ds', status: 200 },
    ]);
    expect(typeof data['latency']).toBe('number');
    expect(typeof data['generation_time']).toBe('number');
    const byRequest = (await (await get(requestId, key.key)).json()) as { data: { id: string } };
    expect(byRequest.data.id).toBe(completion.id);
    expect((await get(requestId, ADMIN_KEY)).status).toBe(200);
    const other = await createKey(gw.url, ADMIN_KEY, 'parity-peek', '1');
    expect((await get(requestId, other.key)).status).toBe(404);
    expect((await get('', key.key)).status).toBe(400);
  });
});

describe('reasoning controls', () => {
  it('maps reasoning per provider adapter, and exclude strips reasoning_content but still charges it', async () => {
    upstream.setBehavior('multi-ds', { content: 'Answer.', reasoning: true, chunks: 3 });
    const before = await balance();
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'multi',
        stream: true,
        reasoning: { effort: 'high', exclude: true },
        messages: [{ role: 'user', content: 'x' }],
      }),
    });
    const text = await res.text();
    expect(text).not.toContain('reasoning_content');
    const content = sseEvents(text)
      .map((e) => (e['choices'] as { delta?: { content?: string } }[] | undefined)?.[0]?.delta?.content ?? '')
      .join('');
    expect(content).toBe('Answer.');
    const sent = upstream.requests[0]?.body ?? {};
    expect(sent['reasoning']).toBeUndefined();
    expect(sent['thinking']).toEqual({ type: 'enabled' });
    // The usage the upstream reported (reasoning included) was charged.
    const usageLine = text.split('\n').find((l) => l.includes('"usage":{')) ?? '';
    const usage = (JSON.parse(usageLine.slice(6)) as { usage: { completion_tokens: number; cost: number } }).usage;
    expect(before - (await balance())).toBe(Math.round(usage.cost * 1e6));
    expect(usage.completion_tokens).toBeGreaterThan(0);
    // Z.AI's adapter turns thinking off its own way.
    upstream.reset();
    await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'multi',
        provider: { only: ['za'] },
        reasoning: { enabled: false },
        messages: [{ role: 'user', content: 'x' }],
      }),
    });
    expect(upstream.requests[0]?.body['thinking']).toEqual({ type: 'disabled' });
  });
});

describe('long silences', () => {
  it('a silent upstream gets : SAFEROUTER PROCESSING comments, and the SDK still reads the answer', async () => {
    upstream.setBehavior('plain', { content: 'After a pause.', chunks: 2, chunkDelayMs: 300 });
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'plain', stream: true, messages: [{ role: 'user', content: 'x' }] }),
    });
    const text = await res.text();
    expect(text).toContain(': SAFEROUTER PROCESSING\n\n');
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
    const stream = await client.chat.completions.create({
      model: 'plain',
      stream: true,
      messages: [{ role: 'user', content: 'x' }],
    });
    let content = '';
    for await (const chunk of stream) content += chunk.choices[0]?.delta.content ?? '';
    expect(content).toBe('After a pause.');
  });
});

describe('a stream committed before any answer', () => {
  const stream = (provider: Record<string, unknown>) =>
    fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'multi', stream: true, provider, messages: [{ role: 'user', content: 'x' }] }),
    });

  it('sends 200 and comments while the first endpoint stalls, then falls back inside the stream and says so', async () => {
    upstream.setBehavior('multi-oa', { status: 503, delayMs: 500 });
    upstream.setBehavior('multi-ds', { content: 'Late but here.', usage: { prompt_tokens: 10, completion_tokens: 4 } });
    const before = await balance();
    const res = await stream({ order: ['oa', 'ds'] });
    expect(res.status).toBe(200);
    // Headers left before anyone answered: no provider can be named there.
    expect(res.headers.get('x-saferouter-provider')).toBeNull();
    const text = await res.text();
    const notice = text.indexOf(': SAFEROUTER FALLBACK from multi via oa to multi via ds\n\n');
    expect(text.indexOf(': SAFEROUTER PROCESSING\n\n')).toBeGreaterThanOrEqual(0);
    expect(notice).toBeGreaterThan(text.indexOf(': SAFEROUTER PROCESSING'));
    expect(notice).toBeLessThan(text.indexOf('data:'));
    const content = sseEvents(text)
      .map((e) => (e['choices'] as { delta?: { content?: string } }[] | undefined)?.[0]?.delta?.content ?? '')
      .join('');
    expect(content).toBe('Late but here.');
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
    expect(before - (await balance())).toBe(cost(PRICE.ds, 10, 4));
    expect(served()).toEqual(['multi-oa', 'multi-ds']);
  });

  it('when every endpoint fails after the commit, the error is the last SSE event and nothing is charged', async () => {
    upstream.setBehavior('multi-oa', { status: 503, delayMs: 500 });
    const before = await balance();
    const res = await stream({ only: ['oa'] });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain(': SAFEROUTER PROCESSING');
    expect(text).not.toContain('[DONE]');
    const last = sseEvents(text).at(-1) as { error?: { code?: string } };
    expect(last.error?.code).toBeDefined();
    expect(text).toContain(': saferouter-receipt ');
    expect(await balance()).toBe(before);
  });
});

describe('the Responses API', () => {
  it('client.responses.create without streaming: the upstream text, usage with cost', async () => {
    upstream.setBehavior('plain', {
      content: 'Responses, translated.',
      usage: { prompt_tokens: 40, completion_tokens: 9 },
    });
    const before = await balance();
    const response = await client.responses.create({
      model: 'plain',
      input: 'hello',
      instructions: 'Be brief.',
      max_output_tokens: 50,
    });
    expect(response.output_text).toBe('Responses, translated.');
    expect(response.status).toBe('completed');
    const delta = before - (await balance());
    expect(delta).toBe(cost(PRICE.oa, 40, 9));
    expect(response.usage).toMatchObject({ input_tokens: 40, output_tokens: 9, total_tokens: 49 });
    expect(Math.round((response.usage as unknown as { cost: number }).cost * 1e6)).toBe(delta);
    // Translated onto chat completions upstream.
    const sent = upstream.requests[0]?.body ?? {};
    expect(sent['messages']).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'hello' },
    ]);
    expect(sent['max_tokens']).toBe(50);
  });

  it('client.responses.create with streaming: semantic events in order, the same text, usage in response.completed', async () => {
    upstream.setBehavior('plain', {
      content: 'Streamed through the Responses API.',
      chunks: 6,
      usage: { prompt_tokens: 12, completion_tokens: 8 },
    });
    const before = await balance();
    const stream = await client.responses.create({
      model: 'plain',
      input: [{ role: 'user', content: 'hi' }],
      stream: true,
    });
    const types: string[] = [];
    const sequence: number[] = [];
    let text = '';
    let completed: OpenAI.Responses.Response | undefined;
    for await (const event of stream) {
      types.push(event.type);
      sequence.push(event.sequence_number);
      if (event.type === 'response.output_text.delta') text += event.delta;
      if (event.type === 'response.completed') completed = event.response;
    }
    expect(text).toBe('Streamed through the Responses API.');
    expect(types[0]).toBe('response.created');
    expect(types.at(-1)).toBe('response.completed');
    for (const type of [
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
    ])
      expect(types).toContain(type);
    expect(sequence).toEqual(sequence.map((_, i) => sequence[0]! + i));
    const delta = before - (await balance());
    expect(Math.round((completed?.usage as unknown as { cost: number }).cost * 1e6)).toBe(delta);
    expect(delta).toBe(cost(PRICE.oa, 12, 8));
  });

  it('a function call streams as function_call_arguments deltas', async () => {
    const args = JSON.stringify({ q: 'verifiable routers' });
    upstream.setBehavior('plain', { toolCalls: [{ name: 'search', arguments: args }], chunks: 4 });
    const stream = await client.responses.create({
      model: 'plain',
      input: 'find it',
      tools: [
        {
          type: 'function',
          name: 'search',
          parameters: { type: 'object', properties: { q: { type: 'string' } } },
          strict: false,
        },
      ],
      stream: true,
    });
    let done: OpenAI.Responses.Response | undefined;
    for await (const event of stream) if (event.type === 'response.completed') done = event.response;
    const call = done?.output.find((item) => item.type === 'function_call');
    expect(call).toMatchObject({ type: 'function_call', name: 'search', arguments: args });
  });

  it('receipts cover exactly what a Responses client received, streamed or not', async () => {
    upstream.setBehavior('plain', { content: 'Receipted.', chunks: 3 });
    const post = (stream: boolean) =>
      fetch(`${gw.url}/v1/responses`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'plain', input: 'hi', stream }),
      });
    const plain = await post(false);
    const body = new Uint8Array(await plain.arrayBuffer());
    const payload = await expectValidReceipt(
      plain.headers.get('x-saferouter-receipt') ?? '',
      body,
      plain.headers.get('x-request-id') ?? '',
    );
    expect(payload?.stream).toBe(false);
    const streamed = await post(true);
    const bytes = new Uint8Array(await streamed.arrayBuffer());
    const { before, jws, after } = splitAtReceipt(bytes);
    // The receipt ends the stream: it covers every event, response.completed included.
    expect(after).toBe('');
    expect(Buffer.from(before).toString()).toContain('event: response.completed');
    expect((await expectValidReceipt(jws, before, streamed.headers.get('x-request-id') ?? ''))?.stream).toBe(true);
  });

  it('a feature we do not translate is a 400 naming it', async () => {
    const res = await fetch(`${gw.url}/v1/responses`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'plain', input: 'x', previous_response_id: 'resp_1' }),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { param?: string; message: string } };
    expect(body.error.param).toBe('previous_response_id');
  });

  it('the Vercel AI SDK (@ai-sdk/openai, Responses API) generateText and streamText', async () => {
    const openai = createOpenAI({ apiKey: key.key, baseURL: `${gw.url}/v1` });
    upstream.setBehavior('plain', { content: 'Hello from the AI SDK path.', chunks: 5 });
    const generated = await generateText({ model: openai('plain'), prompt: 'hi' });
    expect(generated.text).toBe('Hello from the AI SDK path.');
    expect(generated.usage.outputTokens).toBeGreaterThan(0);
    const streamed = streamText({ model: openai('plain'), prompt: 'hi' });
    let text = '';
    for await (const part of streamed.textStream) text += part;
    expect(text).toBe('Hello from the AI SDK path.');
    expect((await streamed.usage).outputTokens).toBeGreaterThan(0);
  });
});
