// Provider preferences through `catalog.plan()`: each field, which endpoint comes first, what is
// excluded and why, the errors (400 naming the field, 404 no_endpoint), and the schema itself.
import * as v from 'valibot';
import { afterEach, describe, expect, it } from 'vitest';
import { createCatalog, type Catalog, type RoutePlan } from './catalog.js';
import { parseCatalogConfig, type CatalogConfigInput } from './catalog-schema.js';
import { createEndpointStats } from './endpoint-stats.js';
import { InvalidRequestError, NoEndpointError, SafeRouterError } from './errors.js';
import { parseProviderPreferences, ProviderPreferencesSchema } from './provider-preferences.js';
import type { ChatRequestBody } from './spec.js';

const provider = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  baseUrl: `https://${id}.test/v1`,
  apiKeyEnv: `${id.toUpperCase()}_KEY`,
  ...extra,
});
const price = (inputPerMillion: number, outputPerMillion: number) => ({ inputPerMillion, outputPerMillion });

const input: CatalogConfigInput = {
  providers: [
    provider('alpha', { dataRetention: 'none' }),
    provider('beta', { dataRetention: 'retained' }),
    provider('gamma'),
    provider('nokey'),
    { id: 'saferouter', kind: 'demo', dataRetention: 'none' },
  ],
  models: [
    {
      // Sums per million: alpha 5, beta 2.5, gamma 1.5.
      id: 'm1',
      contextLength: 1000,
      maxOutputTokens: 100,
      endpoints: [
        { provider: 'alpha', pricing: price(1, 4), capabilities: ['tools', 'json', 'reasoning'] },
        { provider: 'beta', upstreamModel: 'm1-on-beta', pricing: price(0.5, 2), capabilities: ['tools'] },
        { provider: 'gamma', pricing: price(0.5, 1), capabilities: [] },
      ],
      fallbacks: ['m2'],
    },
    {
      id: 'm2',
      provider: 'gamma',
      contextLength: 1000,
      maxOutputTokens: 100,
      pricing: price(0.1, 0.1),
      capabilities: ['tools'],
    },
    {
      id: 'm3',
      contextLength: 1000,
      maxOutputTokens: 100,
      pricing: price(1, 1),
      endpoints: [{ provider: 'nokey' }, { provider: 'beta' }],
    },
    {
      // Every endpoint sums to 3 per million; beta and gamma also tie on input.
      id: 'tie',
      contextLength: 1000,
      maxOutputTokens: 100,
      endpoints: [
        { provider: 'alpha', pricing: price(2, 1) },
        { provider: 'beta', pricing: price(1, 2) },
        { provider: 'gamma', pricing: price(1, 2) },
      ],
    },
    { id: 'keyless', provider: 'nokey', contextLength: 1000, maxOutputTokens: 100, pricing: price(1, 1) },
    {
      id: 'saferouter/demo',
      provider: 'saferouter',
      contextLength: 1000,
      maxOutputTokens: 100,
      pricing: price(0, 0),
    },
  ],
};

const env = { ALPHA_KEY: 'a', BETA_KEY: 'b', GAMMA_KEY: 'g' };
const catalogs: Catalog[] = [];
afterEach(async () => {
  await Promise.all(catalogs.splice(0).map((c) => c.close()));
});

function catalog(): Catalog {
  const made = createCatalog(parseCatalogConfig(input), { env });
  catalogs.push(made);
  return made;
}

const msg = [{ role: 'user', content: 'hi' }];
const tools = [{ type: 'function', function: { name: 'f' } }];

/** `model@provider` of each candidate, in order. */
const route = (p: RoutePlan): string[] => p.candidates.map((c) => `${c.entry.id}@${c.entry.provider}`);
const plan = (body: Partial<ChatRequestBody>, options?: Parameters<Catalog['plan']>[1]): RoutePlan =>
  catalog().plan({ model: 'm1', messages: msg, ...body }, options);
const order = (body: Partial<ChatRequestBody>, options?: Parameters<Catalog['plan']>[1]): string[] =>
  route(plan(body, options));

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('endpoints without preferences', () => {
  it('expands each model into its endpoints, in catalog order, the model chain kept', () => {
    const p = plan({});
    expect(route(p)).toEqual(['m1@alpha', 'm1@beta', 'm1@gamma', 'm2@gamma']);
    expect(p.excluded).toEqual([]);
  });

  it('makes each candidate the model as its endpoint serves it', () => {
    const [alpha, beta] = plan({}).candidates;
    expect(beta?.entry).toMatchObject({
      id: 'm1',
      provider: 'beta',
      upstreamId: 'm1-on-beta',
      pricing: { inputMicrosPerMillion: 500_000, outputMicrosPerMillion: 2_000_000 },
      capabilities: ['tools'],
      available: true,
    });
    expect(beta?.model).toMatchObject({ provider: 'beta', modelId: 'm1-on-beta' });
    expect(alpha?.entry.upstreamId).toBe('m1');
    expect(beta?.entry.endpoints.map((e) => e.provider)).toEqual(['alpha', 'beta', 'gamma']);
  });

  it('candidates() is plan().candidates', () => {
    const c = catalog();
    const body = { model: 'm1', messages: msg, provider: { sort: 'price' } } as ChatRequestBody;
    expect(c.candidates(body).map((x) => x.entry.provider)).toEqual(
      c.plan(body).candidates.map((x) => x.entry.provider),
    );
  });

  it('skips an endpoint without a key and reports it', () => {
    const p = plan({ model: 'm3' });
    expect(route(p)).toEqual(['m3@beta']);
    expect(p.excluded).toEqual([{ model: 'm3', provider: 'nokey', reason: 'no API key' }]);
  });

  it('still tries the requested model when none of its endpoints has a key, so its error surfaces', () => {
    expect(order({ model: 'keyless' })).toEqual(['keyless@nokey']);
  });

  it('skips endpoints of the requested model that lack a required capability, if another has it', () => {
    const p = plan({ tools });
    expect(route(p)).toEqual(['m1@alpha', 'm1@beta', 'm2@gamma']);
    expect(p.excluded).toEqual([{ model: 'm1', provider: 'gamma', reason: 'missing capability: tools' }]);
  });

  it('does not hold `reasoning` against an endpoint unless require_parameters asks', () => {
    expect(order({ reasoning: { effort: 'high' } })).toEqual(['m1@alpha', 'm1@beta', 'm1@gamma', 'm2@gamma']);
  });
});

describe('provider preferences', () => {
  it('only: keeps the listed providers, everywhere in the chain', () => {
    const p = plan({ provider: { only: ['beta'] } });
    expect(route(p)).toEqual(['m1@beta']);
    expect(p.excluded).toEqual([
      { model: 'm1', provider: 'alpha', reason: 'provider.only' },
      { model: 'm1', provider: 'gamma', reason: 'provider.only' },
      { model: 'm2', provider: 'gamma', reason: 'provider.only' },
    ]);
  });

  it('ignore: drops the listed providers', () => {
    const p = plan({ provider: { ignore: ['alpha'] } });
    expect(route(p)).toEqual(['m1@beta', 'm1@gamma', 'm2@gamma']);
    expect(p.excluded).toEqual([{ model: 'm1', provider: 'alpha', reason: 'provider.ignore' }]);
  });

  it('order: listed providers first, in that order, the rest after', () => {
    expect(order({ provider: { order: ['gamma', 'beta'] } })).toEqual(['m1@gamma', 'm1@beta', 'm1@alpha', 'm2@gamma']);
  });

  it('order with allow_fallbacks false: only the listed providers, no curated fallbacks', () => {
    const p = plan({ provider: { order: ['gamma', 'beta'], allow_fallbacks: false } });
    expect(route(p)).toEqual(['m1@gamma', 'm1@beta']);
    expect(p.excluded).toEqual([
      { model: 'm1', provider: 'alpha', reason: 'provider.allow_fallbacks: not in provider.order' },
      { model: 'm2', provider: 'gamma', reason: 'provider.allow_fallbacks' },
    ]);
  });

  it('allow_fallbacks false alone: the first endpoint of the requested model only', () => {
    const p = plan({ provider: { allow_fallbacks: false } });
    expect(route(p)).toEqual(['m1@alpha']);
    expect(p.excluded.map((e) => `${e.model}@${e.provider}: ${e.reason}`)).toEqual([
      'm1@beta: provider.allow_fallbacks',
      'm1@gamma: provider.allow_fallbacks',
      'm2@gamma: provider.allow_fallbacks',
    ]);
  });

  it('allow_fallbacks false picks the first endpoint that can answer, and honours a client `models` list', () => {
    expect(order({ model: 'm3', provider: { allow_fallbacks: false } })).toEqual(['m3@beta']);
    expect(order({ models: ['m2'], provider: { allow_fallbacks: false } })).toEqual(['m1@alpha', 'm2@gamma']);
  });

  it('sort price: cheapest input + output first, within each model; the model chain stays', () => {
    expect(order({ provider: { sort: 'price' } })).toEqual(['m1@gamma', 'm1@beta', 'm1@alpha', 'm2@gamma']);
  });

  it('sort price: ties broken by input price, then catalog order', () => {
    expect(order({ model: 'tie', provider: { sort: 'price' } })).toEqual(['tie@beta', 'tie@gamma', 'tie@alpha']);
  });

  it('order and sort: the listed providers first, the rest by price', () => {
    expect(order({ provider: { order: ['alpha'], sort: 'price' } })).toEqual([
      'm1@alpha',
      'm1@gamma',
      'm1@beta',
      'm2@gamma',
    ]);
  });

  it('sort latency: ascending p50, endpoints without data last in catalog order', () => {
    const stats = createEndpointStats();
    const sample = { completionTokens: 10, generationMs: 100 };
    stats.record({ model: 'm1', provider: 'gamma', latencyMs: 100, ...sample });
    stats.record({ model: 'm1', provider: 'beta', latencyMs: 50, ...sample });
    expect(order({ provider: { sort: 'latency' } }, { stats })).toEqual([
      'm1@beta',
      'm1@gamma',
      'm1@alpha',
      'm2@gamma',
    ]);
    // Without stats nothing is known: catalog order.
    expect(order({ provider: { sort: 'latency' } })).toEqual(['m1@alpha', 'm1@beta', 'm1@gamma', 'm2@gamma']);
  });

  it('sort throughput: descending tokens per second, endpoints without data last', () => {
    const stats = createEndpointStats();
    stats.record({ model: 'm1', provider: 'alpha', latencyMs: 1, completionTokens: 10, generationMs: 1000 });
    stats.record({ model: 'm1', provider: 'gamma', latencyMs: 1, completionTokens: 100, generationMs: 1000 });
    expect(order({ provider: { sort: 'throughput' } }, { stats })).toEqual([
      'm1@gamma',
      'm1@alpha',
      'm1@beta',
      'm2@gamma',
    ]);
  });

  it('max_price: excludes endpoints above the prompt or completion price (USD per million)', () => {
    const p = plan({ provider: { max_price: { prompt: 0.6, completion: 1.5 } } });
    expect(route(p)).toEqual(['m1@gamma', 'm2@gamma']);
    expect(p.excluded).toEqual([
      { model: 'm1', provider: 'alpha', reason: 'provider.max_price.prompt' },
      { model: 'm1', provider: 'beta', reason: 'provider.max_price.completion' },
    ]);
    expect(order({ provider: { max_price: { prompt: 0.5 } } })).toEqual(['m1@beta', 'm1@gamma', 'm2@gamma']);
  });

  it('data_collection deny: only providers marked dataRetention none', () => {
    const p = plan({ models: ['m2', 'saferouter/demo'], provider: { data_collection: 'deny' } });
    expect(route(p)).toEqual(['m1@alpha', 'saferouter/demo@saferouter']);
    expect(p.excluded.map((e) => `${e.model}@${e.provider}: ${e.reason}`)).toEqual([
      'm1@beta: provider.data_collection',
      'm1@gamma: provider.data_collection',
      'm2@gamma: provider.data_collection',
    ]);
    expect(order({ provider: { data_collection: 'allow' } })).toHaveLength(4);
  });

  it('require_parameters: every endpoint must declare what tools, response_format and reasoning need', () => {
    const p = plan({ tools, provider: { require_parameters: true } });
    expect(route(p)).toEqual(['m1@alpha', 'm1@beta', 'm2@gamma']);
    expect(p.excluded).toEqual([{ model: 'm1', provider: 'gamma', reason: 'provider.require_parameters: tools' }]);

    const reasoning = plan({ reasoning: { effort: 'low' }, provider: { require_parameters: true } });
    expect(route(reasoning)).toEqual(['m1@alpha']);
    expect(reasoning.excluded).toContainEqual({
      model: 'm2',
      provider: 'gamma',
      reason: 'provider.require_parameters: reasoning',
    });
    // Reasoning turned off asks nothing.
    expect(order({ reasoning: { enabled: false }, provider: { require_parameters: true } })).toHaveLength(4);
  });

  it('require_parameters applies to the requested model too (unlike the fallback capability filter)', () => {
    const error = thrown(() =>
      plan({ model: 'm2', response_format: { type: 'json_object' }, provider: { require_parameters: true } }),
    );
    expect(error).toBeInstanceOf(NoEndpointError);
    expect((error as NoEndpointError).excluded).toEqual([
      { model: 'm2', provider: 'gamma', reason: 'provider.require_parameters: json' },
    ]);
  });

  it('starts the chain with a fallback when preferences exclude every endpoint of the requested model', () => {
    expect(order({ provider: { max_price: { prompt: 0.2 } } })).toEqual(['m2@gamma']);
  });

  it('treats null fields as not set', () => {
    expect(order({ provider: { only: null, sort: null, max_price: null } })).toHaveLength(4);
    expect(order({ provider: { only: [], order: [], ignore: [] } })).toHaveLength(4);
    expect(order({ provider: { order: [], allow_fallbacks: false } })).toEqual(['m1@alpha']);
    expect(order({ provider: null })).toHaveLength(4);
  });
});

describe('errors', () => {
  it('everything excluded: a 404 no_endpoint naming each candidate and the constraint', () => {
    const error = thrown(() => plan({ provider: { only: ['nokey'] } }));
    expect(error).toBeInstanceOf(NoEndpointError);
    const e = error as NoEndpointError;
    expect(SafeRouterError.isInstance(e)).toBe(true);
    expect(e.statusCode).toBe(404);
    expect(e.code).toBe('no_endpoint');
    expect(e.type).toBe('invalid_request_error');
    expect(e.isRetryable).toBe(false);
    expect(e.message).toContain("'m1'");
    expect(e.message).toContain('m1 via alpha: provider.only');
    expect(e.message).toContain('m2 via gamma: provider.only');
    expect(e.toJSON().error.metadata).toEqual({
      'm1@alpha': 'provider.only',
      'm1@beta': 'provider.only',
      'm1@gamma': 'provider.only',
      'm2@gamma': 'provider.only',
    });
  });

  it('keeps a long list of exclusions short in the message, complete in metadata', () => {
    const e = new NoEndpointError(
      'x',
      Array.from({ length: 12 }, (_, i) => ({ model: 'x', provider: `p${i}`, reason: 'provider.only' })),
    );
    expect(e.message).toContain('4 more');
    expect(e.message).not.toContain('p8:');
    expect(Object.keys(e.metadata ?? {})).toHaveLength(12);
  });

  it.each([
    [{ only: ['alpha', 'nope'] }, 'provider.only[1]'],
    [{ ignore: ['nope'] }, 'provider.ignore[0]'],
    [{ order: ['beta', 'gamma', 'openai'] }, 'provider.order[2]'],
  ])('an unknown provider id is a 400 naming it: %j', (prefs, param) => {
    const error = thrown(() => plan({ provider: prefs }));
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect(error).toMatchObject({ statusCode: 400, code: 'unknown_provider', param });
    expect((error as Error).message).toMatch(/Unknown provider '(nope|openai)'/);
  });

  it.each([
    ['x', 'provider', /Invalid `provider`/],
    [{ sort: 'fast' }, 'provider.sort', /Invalid `provider.sort`/],
    [{ only: 'alpha' }, 'provider.only', /Invalid `provider.only`/],
    [{ only: ['alpha', 3] }, 'provider.only[1]', /Invalid `provider.only\[1\]`/],
    [{ allow_fallbacks: 'no' }, 'provider.allow_fallbacks', /Invalid/],
    [{ max_price: { prompt: '1' } }, 'provider.max_price.prompt', /Invalid/],
    [{ max_price: { prompt: -1 } }, 'provider.max_price.prompt', /Invalid/],
    [{ max_price: { request: 1 } }, 'provider.max_price.request', /Unknown field .*allowed: prompt, completion/],
    [{ data_collection: 'maybe' }, 'provider.data_collection', /Invalid/],
    [{ require_parameters: 1 }, 'provider.require_parameters', /Invalid/],
    [{ quantizations: ['fp8'] }, 'provider.quantizations', /Unknown field `provider.quantizations` \(allowed: order/],
  ])('a malformed `provider` is a 400 naming the field: %j', (prefs, param, message) => {
    const error = thrown(() => plan({ provider: prefs }));
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect(error).toMatchObject({ statusCode: 400, code: 'invalid_provider', param });
    expect((error as Error).message).toMatch(message);
  });
});

describe('ProviderPreferencesSchema', () => {
  it('is a valibot schema the gateway can nest, and parseProviderPreferences returns its output', () => {
    const prefs = { order: ['a'], allow_fallbacks: false, sort: 'price', max_price: { prompt: 1 } };
    expect(v.parse(ProviderPreferencesSchema, prefs)).toEqual(prefs);
    expect(v.safeParse(ProviderPreferencesSchema, { sort: 'cheap' }).success).toBe(false);
    expect(parseProviderPreferences(prefs)).toEqual(prefs);
    expect(parseProviderPreferences(undefined)).toBeUndefined();
  });
});
