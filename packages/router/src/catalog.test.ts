// The catalog: listing, exact and prefix resolution, candidate chains and capability filtering.
import { afterEach, describe, expect, it } from 'vitest';
import { readText, startServer, type TestServer } from '../test/http.js';
import { requestedCapabilities, requiredCapabilities } from './capabilities.js';
import { createCatalog, type Catalog } from './catalog.js';
import { parseCatalogConfig, type CatalogConfigInput } from './catalog-schema.js';
import { InvalidRequestError, ModelNotFoundError, ProviderUnavailableError } from './errors.js';
import type { ChatRequestBody } from './spec.js';

const SECRET = 'sk-catalog-secret-77';

const input = (baseUrl = 'https://api.deepseek.com'): CatalogConfigInput => ({
  providers: [
    { id: 'deepseek', baseUrl, apiKeyEnv: 'DEEPSEEK_API_KEY', modelPrefixes: ['deepseek-'] },
    {
      id: 'zai',
      baseUrl: 'https://api.z.ai/api/paas/v4',
      apiKeyEnv: 'ZAI_API_KEY',
      modelPrefixes: ['glm-'],
      defaultPricing: { inputPerMillion: 2, outputPerMillion: 8 },
    },
    { id: 'nokey', baseUrl: 'https://nokey.test/v1', apiKeyEnv: 'NOKEY_API_KEY', modelPrefixes: ['nk-'] },
    { id: 'saferouter', kind: 'demo' },
  ],
  models: [
    {
      id: 'deepseek-v4-flash',
      upstreamId: 'deepseek-v4-flash-upstream',
      provider: 'deepseek',
      contextLength: 128000,
      maxOutputTokens: 8192,
      pricing: { inputPerMillion: 0.27, outputPerMillion: 1.1 },
      capabilities: ['reasoning', 'tools', 'json'],
      fallbacks: ['nokey-model', 'glm-4.6', 'glm-vision', 'saferouter/demo'],
    },
    {
      id: 'glm-4.6',
      provider: 'zai',
      contextLength: 200000,
      maxOutputTokens: 131072,
      pricing: { inputPerMillion: 0.6, outputPerMillion: 2.2 },
      capabilities: ['tools', 'json'],
      fallbacks: ['deepseek-v4-flash'],
    },
    {
      id: 'glm-vision',
      provider: 'zai',
      contextLength: 64000,
      maxOutputTokens: 8000,
      pricing: { inputPerMillion: 1, outputPerMillion: 1 },
      capabilities: ['vision'],
    },
    {
      id: 'nokey-model',
      provider: 'nokey',
      contextLength: 1000,
      maxOutputTokens: 100,
      pricing: { inputPerMillion: 1, outputPerMillion: 1 },
      capabilities: ['tools', 'json', 'vision'],
    },
    {
      id: 'saferouter/demo',
      provider: 'saferouter',
      contextLength: 1000,
      maxOutputTokens: 100,
      pricing: { inputPerMillion: 0, outputPerMillion: 0 },
    },
  ],
});

const env = { DEEPSEEK_API_KEY: SECRET, ZAI_API_KEY: 'zai-key', NOKEY_API_KEY: '' };
const catalogs: Catalog[] = [];
const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(catalogs.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

function catalog(baseUrl?: string): Catalog {
  const made = createCatalog(parseCatalogConfig(input(baseUrl)), { env, now: () => 1_700_000_000_000 });
  catalogs.push(made);
  return made;
}

const ids = (body: ChatRequestBody) =>
  catalog()
    .candidates(body)
    .map((c) => c.entry.id);
const msg = [{ role: 'user', content: 'hi' }];

describe('list and resolve', () => {
  it('lists configured models with integer prices, availability and demo flags', () => {
    const list = catalog().list();
    expect(list.map((m) => m.id)).toEqual([
      'deepseek-v4-flash',
      'glm-4.6',
      'glm-vision',
      'nokey-model',
      'saferouter/demo',
    ]);
    expect(list[0]).toMatchObject({
      provider: 'deepseek',
      name: 'deepseek-v4-flash',
      contextLength: 128000,
      maxOutputTokens: 8192,
      pricing: { inputMicrosPerMillion: 270_000, outputMicrosPerMillion: 1_100_000 },
      priced: true,
      available: true,
      demo: false,
      synthesized: false,
    });
    expect(list.find((m) => m.id === 'nokey-model')?.available).toBe(false);
    expect(list.find((m) => m.id === 'saferouter/demo')).toMatchObject({ available: true, demo: true });
    expect(JSON.stringify(list)).not.toContain(SECRET);
  });

  it('resolves an exact id before any prefix', () => {
    expect(catalog().resolve('glm-4.6')).toMatchObject({ id: 'glm-4.6', synthesized: false, priced: true });
  });

  it('routes unknown ids by provider prefix, priced by defaultPricing or unpriced', () => {
    const c = catalog();
    expect(c.resolve('glm-9-preview')).toMatchObject({
      provider: 'zai',
      upstreamId: 'glm-9-preview',
      synthesized: true,
      priced: true,
      pricing: { inputMicrosPerMillion: 2_000_000, outputMicrosPerMillion: 8_000_000 },
      contextLength: undefined,
    });
    expect(c.resolve('deepseek-coder-x')).toMatchObject({
      provider: 'deepseek',
      priced: false,
      pricing: { inputMicrosPerMillion: 0, outputMicrosPerMillion: 0 },
    });
  });

  it('throws a 404 ModelNotFoundError for an unknown id', () => {
    expect(() => catalog().resolve('gpt-9')).toThrow(ModelNotFoundError);
    try {
      catalog().resolve('gpt-9');
    } catch (error) {
      expect((error as ModelNotFoundError).statusCode).toBe(404);
      expect((error as ModelNotFoundError).code).toBe('model_not_found');
    }
  });

  it('lists each model with its endpoints; a prefix-routed model has one', () => {
    const c = catalog();
    expect(c.resolve('glm-4.6').endpoints).toEqual([
      {
        provider: 'zai',
        upstreamId: 'glm-4.6',
        pricing: { inputMicrosPerMillion: 600_000, outputMicrosPerMillion: 2_200_000 },
        contextLength: 200000,
        maxOutputTokens: 131072,
        capabilities: ['tools', 'json'],
        available: true,
        dataRetention: undefined,
      },
    ]);
    expect(c.resolve('glm-9-preview').endpoints).toEqual([
      {
        provider: 'zai',
        upstreamId: 'glm-9-preview',
        pricing: { inputMicrosPerMillion: 2_000_000, outputMicrosPerMillion: 8_000_000 },
        contextLength: undefined,
        maxOutputTokens: undefined,
        capabilities: [],
        available: true,
        dataRetention: undefined,
      },
    ]);
    expect(c.list().every((m) => m.endpoints.length === 1 && m.endpoints[0]?.provider === m.provider)).toBe(true);
  });

  it('shares one chat model per (provider, upstream id), whatever the catalog id', () => {
    const config = parseCatalogConfig({
      providers: [
        { id: 'a', baseUrl: 'https://a.test/v1', apiKeyEnv: 'K' },
        { id: 'b', baseUrl: 'https://b.test/v1', apiKeyEnv: 'K' },
      ],
      models: [
        {
          id: 'x',
          upstreamId: 'same',
          contextLength: 1,
          maxOutputTokens: 1,
          pricing: { inputPerMillion: 1, outputPerMillion: 1 },
          endpoints: [{ provider: 'a' }, { provider: 'b' }],
        },
        {
          id: 'y',
          provider: 'a',
          upstreamId: 'same',
          contextLength: 1,
          maxOutputTokens: 1,
          pricing: { inputPerMillion: 2, outputPerMillion: 2 },
        },
      ],
    });
    const c = createCatalog(config, { env: { K: 'k' } });
    catalogs.push(c);
    const [xa, xb] = c.plan({ model: 'x', messages: msg }).candidates;
    const [ya] = c.plan({ model: 'y', messages: msg }).candidates;
    expect(xa?.model).toBe(ya?.model);
    expect(xa?.model).not.toBe(xb?.model);
    expect(xb?.model).toMatchObject({ provider: 'b', modelId: 'same' });
  });

  it('creates each chat model once, with the upstream id', () => {
    const c = catalog();
    const entry = c.resolve('deepseek-v4-flash');
    const model = c.model(entry);
    expect(c.model(entry)).toBe(model);
    expect(model).toMatchObject({
      specificationVersion: 'v1',
      provider: 'deepseek',
      modelId: 'deepseek-v4-flash-upstream',
    });
  });
});

describe('candidates', () => {
  it('uses the primary and its curated fallbacks, skipping keyless providers', () => {
    expect(ids({ model: 'deepseek-v4-flash', messages: msg })).toEqual([
      'deepseek-v4-flash',
      'glm-4.6',
      'glm-vision',
      'saferouter/demo',
    ]);
  });

  it('follows the client `models` order instead, primary first, without duplicates', () => {
    expect(
      ids({
        model: 'glm-4.6',
        models: ['saferouter/demo', 'glm-4.6', 'deepseek-v4-flash', 'saferouter/demo'],
        messages: msg,
      }),
    ).toEqual(['glm-4.6', 'saferouter/demo', 'deepseek-v4-flash']);
  });

  it('takes models[0] as primary when `model` is missing', () => {
    expect(ids({ models: ['glm-4.6', 'deepseek-v4-flash'], messages: msg } as unknown as ChatRequestBody)).toEqual([
      'glm-4.6',
      'deepseek-v4-flash',
    ]);
  });

  it('rejects unknown ids in `models` with a 404', () => {
    expect(() => ids({ model: 'glm-4.6', models: ['deepseek-v4-flash', 'gpt-9'], messages: msg })).toThrow(
      ModelNotFoundError,
    );
    expect(() => ids({ model: 'gpt-9', messages: msg })).toThrow(ModelNotFoundError);
  });

  it('rejects a missing model and malformed `models`', () => {
    expect(() => ids({ messages: msg } as unknown as ChatRequestBody)).toThrow(InvalidRequestError);
    expect(() => ids({ model: 'glm-4.6', models: 'glm-4.6', messages: msg } as unknown as ChatRequestBody)).toThrow(
      InvalidRequestError,
    );
    expect(() => ids({ model: 'glm-4.6', models: Array.from({ length: 11 }, () => 'glm-4.6'), messages: msg })).toThrow(
      InvalidRequestError,
    );
  });

  it('filters fallbacks (never the primary) by the capabilities the request needs', () => {
    const tools = [{ type: 'function', function: { name: 'f' } }];
    expect(ids({ model: 'deepseek-v4-flash', messages: msg, tools })).toEqual(['deepseek-v4-flash', 'glm-4.6']);
    expect(ids({ model: 'deepseek-v4-flash', messages: msg, tools: [] })).toHaveLength(4);
    expect(
      ids({ model: 'deepseek-v4-flash', messages: msg, response_format: { type: 'json_schema', json_schema: {} } }),
    ).toEqual(['deepseek-v4-flash', 'glm-4.6']);
    expect(ids({ model: 'deepseek-v4-flash', messages: msg, response_format: { type: 'text' } })).toHaveLength(4);
    const image = [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'what?' },
          { type: 'image_url', image_url: { url: 'data:,' } },
        ],
      },
    ];
    expect(ids({ model: 'deepseek-v4-flash', messages: image })).toEqual(['deepseek-v4-flash', 'glm-vision']);
    // The primary stays even when it lacks the capability.
    expect(ids({ model: 'saferouter/demo', models: ['glm-4.6', 'glm-vision'], messages: msg, tools })).toEqual([
      'saferouter/demo',
      'glm-4.6',
    ]);
  });

  it('does not hold unknown capabilities of prefix-routed models against them', () => {
    const tools = [{ type: 'function' }];
    expect(ids({ model: 'glm-4.6', models: ['glm-4.6', 'glm-next'], messages: msg, tools })).toEqual([
      'glm-4.6',
      'glm-next',
    ]);
  });
});

describe('requestedCapabilities', () => {
  it('adds reasoning when the request turns it on, and only then', () => {
    const body = (reasoning: unknown): ChatRequestBody => ({ model: 'm', messages: msg, tools: [{}], reasoning });
    expect(requestedCapabilities(body({ effort: 'high' }))).toEqual(['tools', 'reasoning']);
    expect(requestedCapabilities(body({}))).toEqual(['tools', 'reasoning']);
    expect(requestedCapabilities(body({ exclude: true }))).toEqual(['tools', 'reasoning']);
    expect(requestedCapabilities(body({ max_tokens: 100 }))).toEqual(['tools', 'reasoning']);
    expect(requestedCapabilities(body({ enabled: false, effort: 'high' }))).toEqual(['tools']);
    expect(requestedCapabilities(body({ effort: 'none' }))).toEqual(['tools']);
    expect(requestedCapabilities(body(undefined))).toEqual(['tools']);
    // requiredCapabilities, what fallback filters on, never asks for reasoning.
    expect(requiredCapabilities(body({ effort: 'high' }))).toEqual(['tools']);
  });
});

describe('requiredCapabilities', () => {
  it('derives tools, json and vision from the body', () => {
    expect(requiredCapabilities({ model: 'm', messages: msg })).toEqual([]);
    expect(
      requiredCapabilities({
        model: 'm',
        tools: [{}],
        response_format: { type: 'json_object' },
        messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'x' } }] }],
      }),
    ).toEqual(['tools', 'json', 'vision']);
  });
});

describe('models built by the catalog', () => {
  it('calls the upstream with the key from env and the upstream id', async () => {
    const server = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"choices":[{"finish_reason":"stop"}]}');
    });
    servers.push(server);
    const c = catalog(`${server.origin}/v1`);
    const [primary] = c.candidates({ model: 'deepseek-v4-flash', messages: msg });
    const result = await primary!.model.doGenerate({ body: { model: 'deepseek-v4-flash', messages: msg } });
    expect(result.finishReason).toBe('stop');
    expect(server.requests[0]?.url).toBe('/v1/chat/completions');
    expect(server.requests[0]?.headers['authorization']).toBe(`Bearer ${SECRET}`);
    expect(JSON.parse(server.requests[0]?.body ?? '{}')).toMatchObject({ model: 'deepseek-v4-flash-upstream' });
  });

  it('speaks each provider kind through its body adapter', async () => {
    const server = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"choices":[{"finish_reason":"stop"}]}');
    });
    servers.push(server);
    const config = parseCatalogConfig({
      providers: [
        { id: 'z', kind: 'zai', baseUrl: `${server.origin}/z`, apiKeyEnv: 'Z_KEY' },
        { id: 'o', baseUrl: `${server.origin}/o`, apiKeyEnv: 'Z_KEY' },
      ],
      models: [
        {
          id: 'glm',
          contextLength: 10,
          maxOutputTokens: 10,
          pricing: { inputPerMillion: 1, outputPerMillion: 1 },
          endpoints: [{ provider: 'z', upstreamModel: 'glm-4.6' }, { provider: 'o' }],
        },
      ],
    });
    const c = createCatalog(config, { env: { Z_KEY: 'k' } });
    catalogs.push(c);
    const body = {
      model: 'glm',
      messages: msg,
      models: ['glm'],
      provider: { sort: 'price' },
      reasoning: { enabled: false },
      temperature: 0.2,
    } as ChatRequestBody;
    for (const candidate of c.plan(body).candidates) await candidate.model.doGenerate({ body });
    const [zai, plain] = server.requests.map((r) => JSON.parse(r.body) as Record<string, unknown>);
    expect(server.requests.map((r) => r.url)).toEqual(['/z/chat/completions', '/o/chat/completions']);
    expect(zai).toEqual({ model: 'glm-4.6', messages: msg, temperature: 0.2, thinking: { type: 'disabled' } });
    for (const sent of [zai, plain]) {
      expect(sent).not.toHaveProperty('provider');
      expect(sent).not.toHaveProperty('models');
      expect(sent).not.toHaveProperty('reasoning');
    }
    expect(plain).toMatchObject({ model: 'glm', temperature: 0.2 });
    expect(plain).not.toHaveProperty('thinking');
  });

  it('gives keyless providers a model that fails retryably without a network call', async () => {
    const c = catalog();
    await expect(
      c.model(c.resolve('nokey-model')).doGenerate({ body: { model: 'x', messages: msg } }),
    ).rejects.toBeInstanceOf(ProviderUnavailableError);
  });

  it('serves demo models offline', async () => {
    const c = catalog();
    const { stream } = await c
      .model(c.resolve('saferouter/demo'))
      .doStream({ body: { model: 'saferouter/demo', messages: msg } });
    expect(await readText(stream)).toContain('data: [DONE]');
  });
});

describe('providers and own keys (BYOK)', () => {
  it('lists every provider with its kind and whether the gateway has its key, never the key', () => {
    const providers = catalog().providers();
    expect(providers).toEqual([
      { id: 'deepseek', kind: 'openai-compatible', available: true },
      { id: 'zai', kind: 'openai-compatible', available: true },
      { id: 'nokey', kind: 'openai-compatible', available: false },
      { id: 'saferouter', kind: 'demo', available: true },
    ]);
    expect(JSON.stringify(providers)).not.toContain(SECRET);
  });

  it('routes to a provider without a gateway key when the caller brought one, and only then', () => {
    const c = catalog();
    const body = { model: 'deepseek-v4-flash', messages: msg };
    const without = c.plan(body);
    expect(without.candidates.map((x) => x.entry.id)).not.toContain('nokey-model');
    expect(without.excluded).toContainEqual({ model: 'nokey-model', provider: 'nokey', reason: 'no API key' });
    const withOwn = c.plan(body, { ownKeys: new Set(['nokey']) });
    const before = without.candidates.map((x) => x.entry.id);
    expect(withOwn.candidates.map((x) => x.entry.id)).toEqual([before[0], 'nokey-model', ...before.slice(1)]);
    // `available` still tells whether the gateway has a key of its own.
    expect(withOwn.candidates[1]?.entry.available).toBe(false);
    expect(withOwn.excluded.map((e) => e.model)).not.toContain('nokey-model');
  });
});
