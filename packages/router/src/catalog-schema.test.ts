// Catalog config validation: accepted shapes, integer prices, and errors that name the field.
import { describe, expect, it } from 'vitest';
import { parseCatalogConfig } from './catalog-schema.js';
import { ConfigError } from './errors.js';

const valid = () => ({
  providers: [
    {
      id: 'deepseek',
      baseUrl: 'https://api.deepseek.com',
      apiKeyEnv: 'DEEPSEEK_API_KEY',
      modelPrefixes: ['deepseek-'],
    },
    { id: 'zai', baseUrl: 'https://api.z.ai/api/paas/v4', apiKeyEnv: 'ZAI_API_KEY', modelPrefixes: ['glm-'] },
  ],
  models: [
    {
      id: 'deepseek-v4-flash',
      provider: 'deepseek',
      contextLength: 128000,
      maxOutputTokens: 8192,
      pricing: { inputPerMillion: 0.27, outputPerMillion: 1.1 },
      capabilities: ['reasoning', 'tools'],
      fallbacks: ['glm-4.6'],
    },
    {
      id: 'glm-4.6',
      provider: 'zai',
      contextLength: 200000,
      maxOutputTokens: 131072,
      pricing: { inputPerMillion: 0.6, outputPerMillion: 2.2 },
    },
  ],
});

/** Turns `models[1]` (glm-4.6 on zai) into the `endpoints` form with the given endpoints. */
function endpointsForm(c: ReturnType<typeof valid>, endpoints: unknown[]): void {
  const model = c.models[1] as Record<string, unknown>;
  delete model['provider'];
  model['endpoints'] = endpoints;
}

function configError(input: unknown): ConfigError {
  try {
    parseCatalogConfig(input);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('parseCatalogConfig', () => {
  it('accepts the documented shape and fills defaults', () => {
    const config = parseCatalogConfig(valid());
    const [flash, glm] = config.models;
    expect(flash).toMatchObject({
      id: 'deepseek-v4-flash',
      upstreamId: 'deepseek-v4-flash',
      name: 'deepseek-v4-flash',
      capabilities: ['reasoning', 'tools'],
      fallbacks: ['glm-4.6'],
      demo: false,
    });
    expect(glm?.capabilities).toEqual([]);
    expect(glm?.fallbacks).toEqual([]);
    expect(config.providers[0]).toMatchObject({ kind: 'openai-compatible', headers: {}, defaultPricing: undefined });
  });

  it('converts USD per million to integer micro-dollars', () => {
    const input = valid();
    input.models[0]!.pricing = { inputPerMillion: 0.27, outputPerMillion: 1.1 };
    input.models[1]!.pricing = { inputPerMillion: 0.0028, outputPerMillion: 0.1 + 0.2 };
    const [flash, glm] = parseCatalogConfig(input).models;
    expect(flash?.pricing).toEqual({ inputMicrosPerMillion: 270_000, outputMicrosPerMillion: 1_100_000 });
    expect(glm?.pricing).toEqual({ inputMicrosPerMillion: 2_800, outputMicrosPerMillion: 300_000 });
    for (const n of Object.values(glm?.pricing ?? {})) expect(Number.isInteger(n)).toBe(true);
  });

  it('accepts the optional fields', () => {
    const input = {
      providers: [
        {
          id: 'local',
          baseUrl: 'http://127.0.0.1:1234/v1',
          apiKeyEnv: 'LOCAL_KEY',
          headers: { 'x-org': 'acme' },
          defaultPricing: { inputPerMillion: 1, outputPerMillion: 2 },
        },
        { id: 'saferouter', kind: 'demo' },
      ],
      models: [
        {
          id: 'my-model',
          upstreamId: 'qwen/qwen3-8b',
          name: 'My Model',
          description: 'local',
          provider: 'local',
          contextLength: 32768,
          maxOutputTokens: 4096,
          pricing: { inputPerMillion: 0, outputPerMillion: 0 },
        },
        {
          id: 'saferouter/demo',
          provider: 'saferouter',
          contextLength: 1,
          maxOutputTokens: 1,
          pricing: { inputPerMillion: 0, outputPerMillion: 0 },
        },
      ],
    };
    const config = parseCatalogConfig(input);
    expect(config.providers[0]?.defaultPricing).toEqual({
      inputMicrosPerMillion: 1_000_000,
      outputMicrosPerMillion: 2_000_000,
    });
    expect(config.providers[1]?.kind).toBe('demo');
    expect(config.models[0]).toMatchObject({ upstreamId: 'qwen/qwen3-8b', name: 'My Model', description: 'local' });
    expect(config.models[1]?.demo).toBe(true);
  });

  it('reads a cached input price, and leaves it out when not given', () => {
    const input = valid();
    input.models[0]!.pricing = { inputPerMillion: 0.3, outputPerMillion: 1.2, cachedInputPerMillion: 0.006 } as never;
    const [flash, glm] = parseCatalogConfig(input).models;
    expect(flash?.pricing).toEqual({
      inputMicrosPerMillion: 300_000,
      outputMicrosPerMillion: 1_200_000,
      cachedInputMicrosPerMillion: 6_000,
    });
    expect(glm?.pricing).toEqual({ inputMicrosPerMillion: 600_000, outputMicrosPerMillion: 2_200_000 });
    expect(Object.keys(glm?.pricing ?? {})).not.toContain('cachedInputMicrosPerMillion');
  });

  it('accepts the deepseek and zai kinds and a data retention, unknown by default', () => {
    const input = valid();
    Object.assign(input.providers[0]!, { kind: 'deepseek', dataRetention: 'retained' });
    Object.assign(input.providers[1]!, { kind: 'zai' });
    const [deepseek, zai] = parseCatalogConfig(input).providers;
    expect(deepseek).toMatchObject({ kind: 'deepseek', dataRetention: 'retained' });
    expect(zai).toMatchObject({ kind: 'zai', dataRetention: undefined });
  });

  it('gives the one-provider form a single endpoint', () => {
    const [flash] = parseCatalogConfig(valid()).models;
    expect(flash?.endpoints).toEqual([
      {
        provider: 'deepseek',
        upstreamId: 'deepseek-v4-flash',
        contextLength: 128000,
        maxOutputTokens: 8192,
        pricing: { inputMicrosPerMillion: 270_000, outputMicrosPerMillion: 1_100_000 },
        capabilities: ['reasoning', 'tools'],
      },
    ]);
  });

  it('fills endpoints from the model-level defaults; the model fields describe the first endpoint', () => {
    const input = valid();
    endpointsForm(input, [
      {
        provider: 'zai',
        upstreamModel: 'glm-4.6-fast',
        pricing: { inputPerMillion: 1, outputPerMillion: 3, cachedInputPerMillion: 0.2 },
        capabilities: ['tools'],
      },
      { provider: 'deepseek', contextLength: 64000, maxOutputTokens: 4096 },
    ]);
    Object.assign(input.models[1]!, { upstreamId: 'glm-4.6-shared', capabilities: ['json', 'json'] });
    const glm = parseCatalogConfig(input).models[1];
    expect(glm?.endpoints).toEqual([
      {
        provider: 'zai',
        upstreamId: 'glm-4.6-fast',
        contextLength: 200000,
        maxOutputTokens: 131072,
        pricing: {
          inputMicrosPerMillion: 1_000_000,
          outputMicrosPerMillion: 3_000_000,
          cachedInputMicrosPerMillion: 200_000,
        },
        capabilities: ['tools'],
      },
      {
        provider: 'deepseek',
        upstreamId: 'glm-4.6-shared',
        contextLength: 64000,
        maxOutputTokens: 4096,
        pricing: { inputMicrosPerMillion: 600_000, outputMicrosPerMillion: 2_200_000 },
        capabilities: ['json'],
      },
    ]);
    expect(glm).toMatchObject({
      provider: 'zai',
      upstreamId: 'glm-4.6-fast',
      contextLength: 200000,
      pricing: { inputMicrosPerMillion: 1_000_000 },
      capabilities: ['tools'],
    });
  });

  it('needs no model-level price, context or max output when every endpoint has its own', () => {
    const config = parseCatalogConfig({
      providers: [{ id: 'a', baseUrl: 'https://a.test/v1' }],
      models: [
        {
          id: 'm',
          endpoints: [
            {
              provider: 'a',
              contextLength: 10,
              maxOutputTokens: 5,
              pricing: { inputPerMillion: 1, outputPerMillion: 2 },
            },
          ],
        },
      ],
    });
    expect(config.models[0]).toMatchObject({ provider: 'a', upstreamId: 'm', contextLength: 10, capabilities: [] });
  });

  it.each([
    [
      'a string price',
      (c: ReturnType<typeof valid>) => Object.assign(c.models[0]!.pricing, { inputPerMillion: '0.27' }),
      'models[0].pricing.inputPerMillion',
    ],
    [
      'a negative price',
      (c: ReturnType<typeof valid>) => Object.assign(c.models[1]!.pricing, { outputPerMillion: -1 }),
      'models[1].pricing.outputPerMillion',
    ],
    [
      'a fractional context length',
      (c: ReturnType<typeof valid>) => Object.assign(c.models[0]!, { contextLength: 1.5 }),
      'models[0].contextLength',
    ],
    [
      'a missing maxOutputTokens',
      (c: ReturnType<typeof valid>) => delete (c.models[1] as Partial<(typeof c.models)[1]>).maxOutputTokens,
      'models[1].maxOutputTokens',
    ],
    [
      'an unknown capability',
      (c: ReturnType<typeof valid>) => Object.assign(c.models[0]!, { capabilities: ['tools', 'telepathy'] }),
      'models[0].capabilities[1]',
    ],
    [
      'a typo in a key',
      (c: ReturnType<typeof valid>) => Object.assign(c.models[0]!, { fallback: ['glm-4.6'] }),
      'models[0].fallback',
    ],
    [
      'a bad base URL',
      (c: ReturnType<typeof valid>) => Object.assign(c.providers[1]!, { baseUrl: 'not a url' }),
      'providers[1].baseUrl',
    ],
    [
      'a non-http base URL',
      (c: ReturnType<typeof valid>) => Object.assign(c.providers[1]!, { baseUrl: 'ftp://x.test' }),
      'providers[1].baseUrl',
    ],
    [
      'a bad env var name',
      (c: ReturnType<typeof valid>) => Object.assign(c.providers[0]!, { apiKeyEnv: 'sk-123' }),
      'providers[0].apiKeyEnv',
    ],
    [
      'a missing base URL',
      (c: ReturnType<typeof valid>) => delete (c.providers[0] as Partial<(typeof c.providers)[0]>).baseUrl,
      'providers[0].baseUrl',
    ],
    [
      'an unknown provider',
      (c: ReturnType<typeof valid>) => Object.assign(c.models[1]!, { provider: 'openai' }),
      'models[1].provider',
    ],
    [
      'an unknown fallback',
      (c: ReturnType<typeof valid>) => Object.assign(c.models[0]!, { fallbacks: ['glm-4.6', 'gpt-9'] }),
      'models[0].fallbacks[1]',
    ],
    [
      'a self fallback',
      (c: ReturnType<typeof valid>) => Object.assign(c.models[0]!, { fallbacks: ['deepseek-v4-flash'] }),
      'models[0].fallbacks[0]',
    ],
    [
      'a duplicate model id',
      (c: ReturnType<typeof valid>) => Object.assign(c.models[1]!, { id: 'deepseek-v4-flash' }),
      'models[1].id',
    ],
    [
      'a duplicate provider id',
      (c: ReturnType<typeof valid>) => Object.assign(c.providers[1]!, { id: 'deepseek' }),
      'providers[1].id',
    ],
    ['an empty id', (c: ReturnType<typeof valid>) => Object.assign(c.models[0]!, { id: '' }), 'models[0].id'],
    [
      'a cached price above the input price',
      (c: ReturnType<typeof valid>) => Object.assign(c.models[0]!.pricing, { cachedInputPerMillion: 0.5 }),
      'models[0].pricing.cachedInputPerMillion',
    ],
    [
      'a string cached price',
      (c: ReturnType<typeof valid>) => Object.assign(c.models[1]!.pricing, { cachedInputPerMillion: '0.1' }),
      'models[1].pricing.cachedInputPerMillion',
    ],
    [
      'an unknown provider kind',
      (c: ReturnType<typeof valid>) => Object.assign(c.providers[0]!, { kind: 'anthropic' }),
      'providers[0].kind',
    ],
    [
      'a deepseek provider without a base URL',
      (c: ReturnType<typeof valid>) => {
        Object.assign(c.providers[0]!, { kind: 'deepseek' });
        delete (c.providers[0] as Partial<(typeof c.providers)[0]>).baseUrl;
      },
      'providers[0].baseUrl',
    ],
    [
      'a bad data retention',
      (c: ReturnType<typeof valid>) => Object.assign(c.providers[1]!, { dataRetention: 'never' }),
      'providers[1].dataRetention',
    ],
    [
      'both `provider` and `endpoints`',
      (c: ReturnType<typeof valid>) => Object.assign(c.models[0]!, { endpoints: [{ provider: 'zai' }] }),
      'models[0].endpoints',
    ],
    [
      'neither `provider` nor `endpoints`',
      (c: ReturnType<typeof valid>) => delete (c.models[1] as { provider?: string }).provider,
      'models[1].provider',
    ],
    ['an empty `endpoints`', (c: ReturnType<typeof valid>) => endpointsForm(c, []), 'models[1].endpoints'],
    [
      'an endpoint with an unknown provider',
      (c: ReturnType<typeof valid>) => endpointsForm(c, [{ provider: 'zai' }, { provider: 'openai' }]),
      'models[1].endpoints[1].provider',
    ],
    [
      'two endpoints on one provider',
      (c: ReturnType<typeof valid>) => endpointsForm(c, [{ provider: 'zai' }, { provider: 'zai', upstreamModel: 'x' }]),
      'models[1].endpoints[1].provider',
    ],
    [
      'an endpoint without a price anywhere',
      (c: ReturnType<typeof valid>) => {
        endpointsForm(c, [{ provider: 'zai' }]);
        delete (c.models[1] as { pricing?: unknown }).pricing;
      },
      'models[1].endpoints[0].pricing',
    ],
    [
      'an endpoint without a context length anywhere',
      (c: ReturnType<typeof valid>) => {
        endpointsForm(c, [{ provider: 'deepseek', contextLength: 10 }, { provider: 'zai' }]);
        delete (c.models[1] as { contextLength?: unknown }).contextLength;
      },
      'models[1].endpoints[1].contextLength',
    ],
    [
      'a bad endpoint price',
      (c: ReturnType<typeof valid>) =>
        endpointsForm(c, [{ provider: 'zai', pricing: { inputPerMillion: -1, outputPerMillion: 1 } }]),
      'models[1].endpoints[0].pricing.inputPerMillion',
    ],
    [
      'a typo in an endpoint key',
      (c: ReturnType<typeof valid>) => endpointsForm(c, [{ provider: 'zai', upstreamId: 'glm' }]),
      'models[1].endpoints[0].upstreamId',
    ],
  ])('rejects %s, naming %s', (_name, mutate, path) => {
    const input = valid();
    mutate(input);
    const error = configError(input);
    expect(error.path).toBe(path);
    expect(error.message).toContain(path);
  });

  it('names the allowed keys when a key is unknown, for every strict object', () => {
    const at = (mutate: (c: ReturnType<typeof valid>) => void): string => {
      const input = valid();
      mutate(input);
      return configError(input).message;
    };
    expect(at((c) => Object.assign(c.providers[0]!, { retention: 'none' }))).toContain('dataRetention');
    expect(at((c) => Object.assign(c.models[0]!, { endpoint: [] }))).toContain('endpoints, upstreamId');
    expect(at((c) => Object.assign(c.models[0]!.pricing, { cachedPerMillion: 0.1 }))).toContain(
      'inputPerMillion, outputPerMillion, cachedInputPerMillion',
    );
    expect(at((c) => endpointsForm(c, [{ provider: 'zai', model: 'x' }]))).toContain(
      'allowed: provider, upstreamModel, pricing, contextLength, maxOutputTokens, capabilities',
    );
  });

  it('rejects a config that is not an object', () => {
    expect(configError(null).path).toBe('$');
    expect(configError({ providers: [] }).path).toBe('models');
  });
});
