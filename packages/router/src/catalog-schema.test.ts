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
  ])('rejects %s, naming %s', (_name, mutate, path) => {
    const input = valid();
    mutate(input);
    const error = configError(input);
    expect(error.path).toBe(path);
    expect(error.message).toContain(path);
  });

  it('rejects a config that is not an object', () => {
    expect(configError(null).path).toBe('$');
    expect(configError({ providers: [] }).path).toBe('models');
  });
});
