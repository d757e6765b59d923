/**
 * `GET /v1/models` and `GET /v1/models/:id` through `app.request()`, each model's endpoints and
 * cache-hit prices, and the exact decimal printing of prices.
 */
import { createCatalog, parseCatalogConfig } from '@saferouter/router';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFixture, expectError, type Fixture } from '../test-fixture.js';
import { decimal, modelRoutes } from './models.js';

let fx: Fixture;
beforeAll(async () => {
  fx = await createFixture();
});
afterAll(async () => {
  await fx.dispose();
});

interface ModelView {
  id: string;
  object: string;
  owned_by: string;
  provider: string;
  context_length: number;
  max_output_tokens: number;
  pricing: Record<string, string>;
  endpoints: { provider: string; pricing: Record<string, string>; context_length: number; max_output_tokens: number }[];
  capabilities: string[];
  fallbacks: string[];
  available: boolean;
  demo: boolean;
}

describe('GET /v1/models', () => {
  it('lists every model in the OpenAI list shape with SafeRouter fields', async () => {
    const res = await fx.call('/v1/models');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await res.json()) as { object: string; data: ModelView[] };
    expect(body.object).toBe('list');
    expect(body.data.map((m) => m.id)).toEqual(['saferouter/demo', 'saferouter/demo-thinking', 'nokey/model']);
    for (const m of body.data) {
      expect(m.object).toBe('model');
      expect(typeof m.context_length).toBe('number');
      expect(typeof m.provider).toBe('string');
      expect(m.owned_by).toBe(m.provider);
      expect(Array.isArray(m.capabilities)).toBe(true);
      expect(typeof m.available).toBe('boolean');
      expect(typeof m.demo).toBe('boolean');
      for (const price of Object.values(m.pricing)) expect(price).toMatch(/^\d+(\.\d*[1-9])?$/);
    }
  });

  it('demo models: free, available, demo', async () => {
    const body = (await (await fx.call('/v1/models')).json()) as { data: ModelView[] };
    const demo = body.data.find((m) => m.id === 'saferouter/demo');
    expect(demo).toMatchObject({
      provider: 'saferouter',
      context_length: 64000,
      max_output_tokens: 4096,
      pricing: { prompt: '0', completion: '0', input_per_million_usd: '0', output_per_million_usd: '0' },
      capabilities: [],
      available: true,
      demo: true,
    });
    expect(body.data.find((m) => m.id === 'saferouter/demo-thinking')?.capabilities).toEqual(['reasoning']);
  });

  it('a model whose provider has no key is listed as unavailable, with exact per-token prices', async () => {
    const body = (await (await fx.call('/v1/models')).json()) as { data: ModelView[] };
    expect(body.data.find((m) => m.id === 'nokey/model')).toMatchObject({
      provider: 'nokey',
      context_length: 128000,
      pricing: {
        prompt: '0.00000027',
        completion: '0.0000011',
        input_per_million_usd: '0.27',
        output_per_million_usd: '1.1',
      },
      capabilities: ['tools'],
      available: false,
      demo: false,
    });
  });
});

describe('endpoints and cache-hit prices', () => {
  it('lists the one endpoint of a one-provider model, priced like the model', async () => {
    const body = (await (await fx.call('/v1/models')).json()) as { data: ModelView[] };
    const nokey = body.data.find((m) => m.id === 'nokey/model');
    expect(nokey?.endpoints).toEqual([
      { provider: 'nokey', pricing: nokey?.pricing, context_length: 128000, max_output_tokens: 8192 },
    ]);
    expect(nokey?.pricing).not.toHaveProperty('input_cache_read');
  });

  it('lists every endpoint of a model with its own price and limits, and cache-hit prices per token and per million', async () => {
    const catalog = createCatalog(
      parseCatalogConfig({
        providers: [
          { id: 'deepseek', kind: 'deepseek', baseUrl: 'https://api.deepseek.test', apiKeyEnv: 'K' },
          { id: 'zai', kind: 'zai', baseUrl: 'https://api.z.test/v4', apiKeyEnv: 'K' },
        ],
        models: [
          {
            id: 'shared',
            contextLength: 128000,
            maxOutputTokens: 8192,
            pricing: { inputPerMillion: 0.3, outputPerMillion: 1.2, cachedInputPerMillion: 0.006 },
            endpoints: [
              { provider: 'deepseek' },
              {
                provider: 'zai',
                upstreamModel: 'glm',
                contextLength: 200000,
                pricing: { inputPerMillion: 0.6, outputPerMillion: 2.2 },
              },
            ],
          },
        ],
      }),
      { env: { K: 'k' } },
    );
    try {
      const res = await modelRoutes(catalog).request('/models/shared');
      expect(res.status).toBe(200);
      const m = (await res.json()) as ModelView;
      const cached = {
        prompt: '0.0000003',
        completion: '0.0000012',
        input_per_million_usd: '0.3',
        output_per_million_usd: '1.2',
        input_cache_read: '0.000000006',
        cached_input_per_million_usd: '0.006',
      };
      expect(m).toMatchObject({ provider: 'deepseek', context_length: 128000, pricing: cached });
      expect(m.endpoints).toEqual([
        { provider: 'deepseek', pricing: cached, context_length: 128000, max_output_tokens: 8192 },
        {
          provider: 'zai',
          pricing: {
            prompt: '0.0000006',
            completion: '0.0000022',
            input_per_million_usd: '0.6',
            output_per_million_usd: '2.2',
          },
          context_length: 200000,
          max_output_tokens: 8192,
        },
      ]);
    } finally {
      await catalog.close();
    }
  });
});

describe('GET /v1/models/:id', () => {
  it.each(['/v1/models/saferouter/demo', '/v1/models/saferouter%2Fdemo'])('%s', async (path) => {
    const res = await fx.call(path);
    expect(res.status).toBe(200);
    const m = (await res.json()) as ModelView;
    expect(m.id).toBe('saferouter/demo');
    expect(m.object).toBe('model');
    expect(m.demo).toBe(true);
  });

  it('an unknown id → 404 model_not_found', async () => {
    const json = await expectError(
      await fx.call('/v1/models/nope/nothing'),
      404,
      'model_not_found',
      'invalid_request_error',
    );
    expect(json.error.message).toContain('nope/nothing');
  });
});

describe('decimal()', () => {
  it('prints exact decimals without trailing zeros', () => {
    expect(decimal(0, 12)).toBe('0');
    expect(decimal(270_000, 12)).toBe('0.00000027');
    expect(decimal(270_000, 6)).toBe('0.27');
    expect(decimal(1_100_000, 6)).toBe('1.1');
    expect(decimal(15_000_000, 6)).toBe('15');
    expect(decimal(1, 12)).toBe('0.000000000001');
    expect(decimal(1_000_000_000_000, 6)).toBe('1000000');
  });
});
