/**
 * The catalog config file: its valibot schema, its parsed types and `parseCatalogConfig()`.
 *
 * Prices are written as USD per million tokens (what provider pricing pages show) and become
 * integer micro-dollars per million tokens here, at the boundary. Past this file money is never a
 * float. Unknown keys are rejected so a typo (`fallback` for `fallbacks`) fails loudly instead of
 * silently dropping a fallback chain.
 *
 * A model is served by one provider (`provider`, `upstreamId`, `pricing`...) or by several
 * (`endpoints: [{ provider, upstreamModel?, pricing?, contextLength?, maxOutputTokens?,
 * capabilities? }]`, tried in order), the model-level fields then being the endpoints' defaults.
 * Both forms parse to the same `ModelConfig`, whose `endpoints` always lists at least one.
 */
import * as v from 'valibot';
import { ConfigError } from './errors.js';
import type { Capability } from './spec.js';

/** Prices in integer micro-dollars (1e-6 USD) per million tokens. */
export interface Pricing {
  inputMicrosPerMillion: number;
  outputMicrosPerMillion: number;
  /** Prompt tokens served from the provider's cache (a cache hit); absent: billed at the input price. */
  cachedInputMicrosPerMillion?: number;
}

/**
 * How a provider is spoken to. `deepseek` and `zai` are OpenAI-compatible on the wire and differ
 * only in how a request body is spelled for them (see adapters/); `demo` answers offline.
 */
export type ProviderKind = 'openai-compatible' | 'deepseek' | 'zai' | 'demo';

/** What a provider does with prompts and completions: `none` (kept nowhere) or `retained`. */
export type DataRetention = 'none' | 'retained';

export interface ProviderConfig {
  id: string;
  kind: ProviderKind;
  /** OpenAI-style base URL; required for every kind but `demo`. */
  baseUrl: string | undefined;
  /** Name of the environment variable holding the API key (never the key itself). */
  apiKeyEnv: string | undefined;
  /** Model ids starting with one of these route here even without a catalog entry. */
  modelPrefixes: string[];
  headers: Record<string, string>;
  /** Price for models reached by prefix only; without it they are served unpriced (zero). */
  defaultPricing: Pricing | undefined;
  /** Undefined when unknown, which `provider.data_collection: "deny"` treats like `retained`. */
  dataRetention: DataRetention | undefined;
}

/** One provider serving a model, with the model-level defaults filled in. */
export interface EndpointConfig {
  provider: string;
  /** The id sent to this provider. */
  upstreamId: string;
  contextLength: number;
  maxOutputTokens: number;
  pricing: Pricing;
  capabilities: Capability[];
}

export interface ModelConfig {
  id: string;
  /** The first endpoint's provider (this and the fields below describe the first endpoint). */
  provider: string;
  /** The id sent upstream; defaults to `id`. */
  upstreamId: string;
  /** Display name; defaults to `id`. */
  name: string;
  description: string | undefined;
  contextLength: number;
  maxOutputTokens: number;
  pricing: Pricing;
  capabilities: Capability[];
  /** Every provider serving the model, tried in this order unless the request's preferences say otherwise. */
  endpoints: EndpointConfig[];
  /** Curated fallback chain, by catalog id, tried in order. */
  fallbacks: string[];
  /** A built-in demo model (answers offline, costs nothing). */
  demo: boolean;
}

/** A validated catalog config, as returned by `parseCatalogConfig()`. */
export interface CatalogConfig {
  providers: ProviderConfig[];
  models: ModelConfig[];
}

const MAX_USD_PER_MILLION = 1_000_000;
const toMicros = (usd: number): number => Math.round(usd * 1e6);

const Id = v.pipe(v.string(), v.nonEmpty('must not be empty'), v.maxLength(200));
const Usd = v.pipe(v.number(), v.finite(), v.minValue(0), v.maxValue(MAX_USD_PER_MILLION));
const Tokens = v.pipe(v.number(), v.integer(), v.minValue(1));
const Capabilities = v.array(v.picklist(['reasoning', 'tools', 'vision', 'json']));

const PricingObject = v.strictObject({
  inputPerMillion: Usd,
  outputPerMillion: Usd,
  cachedInputPerMillion: v.optional(Usd),
});

const PricingSchema = v.pipe(
  PricingObject,
  // A cache hit above the miss price is a typo (a cache *write* price, or a swapped column).
  v.forward(
    v.check(
      (p) => p.cachedInputPerMillion === undefined || p.cachedInputPerMillion <= p.inputPerMillion,
      'must not exceed inputPerMillion',
    ),
    ['cachedInputPerMillion'],
  ),
  v.transform((p): Pricing => {
    const pricing: Pricing = {
      inputMicrosPerMillion: toMicros(p.inputPerMillion),
      outputMicrosPerMillion: toMicros(p.outputPerMillion),
    };
    if (p.cachedInputPerMillion !== undefined) pricing.cachedInputMicrosPerMillion = toMicros(p.cachedInputPerMillion);
    return pricing;
  }),
);

const ProviderSchema = v.strictObject({
  id: Id,
  kind: v.optional(v.picklist(['openai-compatible', 'deepseek', 'zai', 'demo']), 'openai-compatible'),
  baseUrl: v.optional(v.pipe(v.string(), v.url(), v.regex(/^https?:\/\//i, 'must be an http(s) URL'))),
  apiKeyEnv: v.optional(
    v.pipe(v.string(), v.regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name')),
  ),
  modelPrefixes: v.optional(v.array(v.pipe(v.string(), v.nonEmpty('must not be empty'))), []),
  headers: v.optional(v.record(v.string(), v.string()), {}),
  defaultPricing: v.optional(PricingSchema),
  dataRetention: v.optional(v.picklist(['none', 'retained'])),
});

const EndpointSchema = v.strictObject({
  provider: Id,
  upstreamModel: v.optional(Id),
  pricing: v.optional(PricingSchema),
  contextLength: v.optional(Tokens),
  maxOutputTokens: v.optional(Tokens),
  capabilities: v.optional(Capabilities),
});

// `provider` (one endpoint) or `endpoints` (several); which fields are then required is checked
// in `parseCatalogConfig`, where the error can say why.
const ModelSchema = v.strictObject({
  id: Id,
  provider: v.optional(Id),
  endpoints: v.optional(v.pipe(v.array(EndpointSchema), v.minLength(1, 'must list at least one endpoint'))),
  upstreamId: v.optional(Id),
  name: v.optional(v.string()),
  description: v.optional(v.string()),
  contextLength: v.optional(Tokens),
  maxOutputTokens: v.optional(Tokens),
  pricing: v.optional(PricingSchema),
  capabilities: v.optional(Capabilities),
  fallbacks: v.optional(v.array(Id), []),
  demo: v.optional(v.boolean()),
});

/** The schema of the config file (before cross-checks). */
export const CatalogConfigSchema = v.object({
  providers: v.array(ProviderSchema),
  models: v.array(ModelSchema),
});

/** What a config file may contain (USD floats), e.g. the JSON in `catalog.json`. */
export type CatalogConfigInput = v.InferInput<typeof CatalogConfigSchema>;

type RawModel = v.InferOutput<typeof ModelSchema>;

function formatPath(path: readonly v.IssuePathItem[] | undefined): string {
  if (path === undefined || path.length === 0) return '$';
  let out = '';
  for (const item of path) {
    const key: unknown = item.key;
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}

/** The keys of the strict object an unknown key (the last item of `path`) was found in. */
function allowedKeys(path: readonly v.IssuePathItem[] | undefined): string {
  const parent = (path ?? []).slice(0, -1).map((item): unknown => item.key);
  let entries: object = PricingObject.entries; // the only other strict object is a price
  if (parent.length === 2) entries = parent[0] === 'providers' ? ProviderSchema.entries : ModelSchema.entries;
  else if (parent.length === 4 && parent[2] === 'endpoints') entries = EndpointSchema.entries;
  return Object.keys(entries).join(', ');
}

/** Resolves a model's endpoints, filling each from the model-level defaults. */
function endpointsOf(
  m: RawModel,
  at: string,
  providers: ReadonlyMap<string, ProviderConfig>,
): [EndpointConfig, ...EndpointConfig[]] {
  if (m.provider !== undefined && m.endpoints !== undefined) {
    throw new ConfigError(`${at}.endpoints`, 'give either `provider` or `endpoints`, not both');
  }
  const capabilities = m.capabilities ?? [];
  if (m.endpoints === undefined) {
    if (m.provider === undefined) throw new ConfigError(`${at}.provider`, 'is required (or list `endpoints`)');
    if (!providers.has(m.provider)) throw new ConfigError(`${at}.provider`, `unknown provider '${m.provider}'`);
    for (const field of ['contextLength', 'maxOutputTokens', 'pricing'] as const) {
      if (m[field] === undefined) throw new ConfigError(`${at}.${field}`, 'is required');
    }
    return [
      {
        provider: m.provider,
        upstreamId: m.upstreamId ?? m.id,
        contextLength: m.contextLength as number,
        maxOutputTokens: m.maxOutputTokens as number,
        pricing: m.pricing as Pricing,
        capabilities: [...new Set(capabilities)],
      },
    ];
  }
  const seen = new Set<string>();
  const out = m.endpoints.map((e, j): EndpointConfig => {
    const here = `${at}.endpoints[${j}]`;
    if (!providers.has(e.provider)) throw new ConfigError(`${here}.provider`, `unknown provider '${e.provider}'`);
    // Preferences name providers, so two endpoints on one provider could not be told apart.
    if (seen.has(e.provider))
      throw new ConfigError(`${here}.provider`, `duplicate endpoint for provider '${e.provider}'`);
    seen.add(e.provider);
    const contextLength = e.contextLength ?? m.contextLength;
    const maxOutputTokens = e.maxOutputTokens ?? m.maxOutputTokens;
    const pricing = e.pricing ?? m.pricing;
    if (contextLength === undefined)
      throw new ConfigError(`${here}.contextLength`, 'is required (here or on the model)');
    if (maxOutputTokens === undefined) {
      throw new ConfigError(`${here}.maxOutputTokens`, 'is required (here or on the model)');
    }
    if (pricing === undefined) throw new ConfigError(`${here}.pricing`, 'is required (here or on the model)');
    return {
      provider: e.provider,
      upstreamId: e.upstreamModel ?? m.upstreamId ?? m.id,
      contextLength,
      maxOutputTokens,
      pricing,
      capabilities: [...new Set(e.capabilities ?? capabilities)],
    };
  });
  return out as [EndpointConfig, ...EndpointConfig[]];
}

/**
 * Validates a catalog config and converts its prices to integer micro-dollars.
 *
 * @example
 * const config = parseCatalogConfig(JSON.parse(readFileSync('catalog.json', 'utf8')));
 * config.models[0].pricing.inputMicrosPerMillion; // 270000 for $0.27 / M
 * @throws {ConfigError} naming the offending field, e.g. `models[0].pricing.inputPerMillion`.
 */
export function parseCatalogConfig(input: unknown): CatalogConfig {
  const result = v.safeParse(CatalogConfigSchema, input, { abortPipeEarly: true });
  if (!result.success) {
    const issue = result.issues[0];
    // valibot words an unknown key as "Expected never"; say what it means.
    const message =
      issue.type === 'strict_object' ? `unknown key (allowed: ${allowedKeys(issue.path)})` : issue.message;
    throw new ConfigError(formatPath(issue.path), message);
  }
  const raw = result.output;

  const providers = new Map<string, ProviderConfig>();
  raw.providers.forEach((p, i) => {
    if (providers.has(p.id)) throw new ConfigError(`providers[${i}].id`, `duplicate provider id '${p.id}'`);
    if (p.kind !== 'demo' && p.baseUrl === undefined) {
      throw new ConfigError(
        `providers[${i}].baseUrl`,
        `is required for a${p.kind === 'openai-compatible' ? 'n' : ''} ${p.kind} provider`,
      );
    }
    providers.set(p.id, {
      id: p.id,
      kind: p.kind,
      baseUrl: p.baseUrl,
      apiKeyEnv: p.apiKeyEnv,
      modelPrefixes: p.modelPrefixes,
      headers: p.headers,
      defaultPricing: p.defaultPricing,
      dataRetention: p.dataRetention,
    });
  });

  const ids = new Set<string>();
  raw.models.forEach((m, i) => {
    if (ids.has(m.id)) throw new ConfigError(`models[${i}].id`, `duplicate model id '${m.id}'`);
    ids.add(m.id);
  });

  const models = raw.models.map((m, i): ModelConfig => {
    const endpoints = endpointsOf(m, `models[${i}]`, providers);
    m.fallbacks.forEach((id, j) => {
      if (!ids.has(id)) throw new ConfigError(`models[${i}].fallbacks[${j}]`, `unknown model '${id}'`);
      if (id === m.id) throw new ConfigError(`models[${i}].fallbacks[${j}]`, `a model cannot fall back to itself`);
    });
    const [first] = endpoints;
    return {
      id: m.id,
      provider: first.provider,
      upstreamId: first.upstreamId,
      name: m.name ?? m.id,
      description: m.description,
      contextLength: first.contextLength,
      maxOutputTokens: first.maxOutputTokens,
      pricing: first.pricing,
      capabilities: first.capabilities,
      endpoints,
      fallbacks: [...new Set(m.fallbacks)],
      demo: m.demo ?? providers.get(first.provider)?.kind === 'demo',
    };
  });

  return { providers: [...providers.values()], models };
}
