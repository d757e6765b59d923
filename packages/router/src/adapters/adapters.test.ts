// Each provider's body on the wire: createOpenAICompatible with that adapter against the fake upstream, which records the body it received.
import { startFakeUpstream, type FakeUpstream } from '@saferouter/fake-upstream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readText } from '../../test/http.js';
import { createOpenAICompatible, type OpenAICompatibleProvider } from '../openai-compatible.js';
import type { ChatRequestBody } from '../spec.js';
import { bodyAdapterFor, type AdapterKind, type BodyAdapter } from './index.js';

let up: FakeUpstream;
const providers: OpenAICompatibleProvider[] = [];
beforeAll(async () => {
  up = await startFakeUpstream();
});
afterEach(async () => {
  up.reset();
  while (providers.length > 0) await providers.pop()?.close();
});
afterAll(() => up.close());

function provider(adapter: BodyAdapter | undefined): OpenAICompatibleProvider {
  const p = createOpenAICompatible({ name: 'acme', baseURL: `${up.url}/v1`, apiKey: 'sk-test', adapter });
  providers.push(p);
  return p;
}

/** Sends `body` (non-stream) through a provider of `kind` and returns what the upstream received. */
async function sent(kind: AdapterKind | undefined, body: ChatRequestBody): Promise<Record<string, unknown>> {
  await provider(kind === undefined ? undefined : bodyAdapterFor(kind))('upstream-id').doGenerate({ body });
  const seen = up.requests.at(-1);
  expect(seen?.model).toBe('upstream-id');
  return seen?.body ?? {};
}

const messages = [{ role: 'user', content: 'hi' }];
const base: ChatRequestBody = { model: 'acme/client-name', messages };

/** Every field a client may send that the adapters must leave exactly as it is. */
const passThrough = {
  messages: [
    { role: 'system', content: 'Answer in JSON.' },
    { role: 'user', content: [{ type: 'text', text: 'Weather in Paris?' }] },
    {
      role: 'assistant',
      content: null,
      tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'w', arguments: '{"c":"Paris"}' } }],
    },
    { role: 'tool', tool_call_id: 'call_1', content: '{"t":21}' },
  ],
  tools: [
    {
      type: 'function',
      function: { name: 'w', parameters: { type: 'object', properties: { c: { type: 'string' } } } },
    },
  ],
  tool_choice: { type: 'function', function: { name: 'w' } },
  parallel_tool_calls: false,
  response_format: {
    type: 'json_schema',
    json_schema: { name: 'r', strict: true, schema: { type: 'object' } },
  },
  stop: ['\n\n', 'END'],
  seed: 7,
  temperature: 0.3,
  top_p: 0.9,
  logprobs: true,
  top_logprobs: 2,
  max_tokens: 256,
  presence_penalty: 0.1,
  frequency_penalty: 0.2,
  user: 'hashed-user-id',
  metadata: { trace: 'x' },
  vendor_extension: { keep: ['me', 1, null] },
};

const KINDS: AdapterKind[] = ['openai-compatible', 'deepseek', 'zai'];

describe.each(KINDS)('%s adapter on the wire', (kind) => {
  it('passes every other field through untouched and never sends models, provider or reasoning', async () => {
    const body: ChatRequestBody = {
      model: 'acme/client-name',
      ...passThrough,
      models: ['acme/other'],
      provider: { order: ['acme'], allow_fallbacks: false },
      reasoning: { effort: 'high', exclude: true },
    };
    const before = structuredClone(body);
    const received = await sent(kind, body);
    expect(received).not.toHaveProperty('models');
    expect(received).not.toHaveProperty('provider');
    expect(received).not.toHaveProperty('reasoning');
    expect(received['model']).toBe('upstream-id');
    for (const [field, value] of Object.entries(passThrough)) expect(received[field], field).toEqual(value);
    // The client's body is reused for the next fallback candidate: it must not change.
    expect(body).toEqual(before);
  });

  it('sends a plain body unchanged apart from the model, stream included', async () => {
    const body: ChatRequestBody = { ...base, ...passThrough, stream: true, stream_options: { include_usage: true } };
    const result = await provider(bodyAdapterFor(kind))('upstream-id').doStream({ body });
    expect(await readText(result.stream)).toContain('data: [DONE]');
    expect(up.requests.at(-1)?.body).toEqual({ ...body, model: 'upstream-id' });
  });
});

describe('reasoning mapping', () => {
  // [reasoning, openai-compatible fields, deepseek fields, zai fields]
  const ON = { thinking: { type: 'enabled' } };
  const OFF = { thinking: { type: 'disabled' } };
  const cases: [unknown, Record<string, unknown>, Record<string, unknown>, Record<string, unknown>][] = [
    [{}, {}, ON, ON],
    [{ enabled: true }, {}, ON, ON],
    [{ exclude: true }, {}, ON, ON],
    [{ max_tokens: 4000 }, {}, ON, ON],
    [
      { effort: 'minimal' },
      { reasoning_effort: 'minimal' },
      { ...ON, reasoning_effort: 'low' },
      { ...ON, reasoning_effort: 'minimal' },
    ],
    [
      { effort: 'low' },
      { reasoning_effort: 'low' },
      { ...ON, reasoning_effort: 'low' },
      { ...ON, reasoning_effort: 'low' },
    ],
    [
      { effort: 'medium', exclude: true },
      { reasoning_effort: 'medium' },
      { ...ON, reasoning_effort: 'medium' },
      { ...ON, reasoning_effort: 'medium' },
    ],
    [
      { effort: 'high', max_tokens: 100 },
      { reasoning_effort: 'high' },
      { ...ON, reasoning_effort: 'high' },
      { ...ON, reasoning_effort: 'high' },
    ],
    [{ effort: 'none' }, { reasoning_effort: 'none' }, OFF, OFF],
    [{ enabled: false }, { reasoning_effort: 'none' }, OFF, OFF],
    [{ enabled: false, effort: 'high' }, { reasoning_effort: 'none' }, OFF, OFF],
  ];

  it.each(cases)('%j', async (reasoning, openai, deepseek, zai) => {
    const expected: Record<AdapterKind, Record<string, unknown>> = { 'openai-compatible': openai, deepseek, zai };
    for (const kind of KINDS) {
      const received = await sent(kind, { ...base, reasoning });
      expect(received, kind).toEqual({ model: 'upstream-id', messages, ...expected[kind] });
    }
  });

  it('a mapped reasoning wins over the native field the client also sent', async () => {
    const body: ChatRequestBody = {
      ...base,
      thinking: { type: 'enabled' },
      reasoning_effort: 'high',
      reasoning: { enabled: false },
    };
    expect(await sent('zai', body)).toMatchObject({ thinking: { type: 'disabled' } });
    expect(await sent('openai-compatible', body)).toMatchObject({ reasoning_effort: 'none' });
  });

  it('without reasoning, a native field the client sent passes through', async () => {
    const body: ChatRequestBody = { ...base, thinking: { type: 'disabled' }, reasoning_effort: 'low' };
    expect(await sent('deepseek', body)).toEqual({ ...body, model: 'upstream-id' });
  });
});

describe('createOpenAICompatible adapter setting', () => {
  it('defaults to the openai-compatible adapter', async () => {
    expect(await sent(undefined, { ...base, reasoning: { effort: 'low' }, models: ['x'] })).toEqual({
      model: 'upstream-id',
      messages,
      reasoning_effort: 'low',
    });
  });

  it('sends whatever a custom adapter builds, for generate and stream', async () => {
    const adapter: BodyAdapter = (body, upstreamModelId) => ({
      model: upstreamModelId,
      messages: body.messages,
      stream: body.stream,
      x: 1,
    });
    const p = provider(adapter)('upstream-id');
    await p.doGenerate({ body: { ...base, temperature: 1 } });
    expect(up.requests.at(-1)?.body).toEqual({ model: 'upstream-id', messages, x: 1 });
    const result = await p.doStream({ body: { ...base, stream: true } });
    expect(await readText(result.stream)).toContain('data: [DONE]');
    expect(up.requests.at(-1)?.body).toEqual({ model: 'upstream-id', messages, stream: true, x: 1 });
  });
});
