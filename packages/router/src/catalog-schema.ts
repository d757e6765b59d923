/**
 * The catalog config file: its valibot schema, its parsed types and `parseCatalogConfig()`.
 *
 * Prices are written as USD per million tokens (what provider pricing pages show) and become
 * integer micro-dollars per million tokens here, at the boundary. Past this file money is never a
 * float. Unknown keys are rejected so a typo (`fallback` for `fallbacks`) fails loudly instead of
 * silently dropping a fallback chain.
 */
import * as v from 'valibot';
import { ConfigError } from './errors.js';
import type { Capability } from './spec.js';

/** Prices in integer micro-dollars (1e-6 USD) per million tokens. */
export interface Pricing {
  inputMicrosPerMillion: number;
  outputMicrosPerMillion: number;
}

export type ProviderKind = 'openai-compatible' | 'demo';

export interface ProviderConfig {
  id: string;
  kind: ProviderKind;
  /** OpenAI-style base URL; required for `openai-compatible`. */
  baseUrl: string | undefined;
  /** Name of the environment variable holding the API key (never the key itself). */
  apiKeyEnv: string | undefined;
  /** Model ids starting with one of these route here even without a catalog entry. */
  modelPrefixes: string[];
  headers: Record<string, string>;
  /** Price for models reached by prefix only; without it they are served unpriced (zero). */
  defaultPricing: Pricing | undefined;
}

export interface ModelConfig {
  id: string;
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

const PricingSchema = v.pipe(
  v.strictObject({ inputPerMillion: Usd, outputPerMillion: Usd }),
  v.transform((p): Pricing => ({
    inputMicrosPerMillion: toMicros(p.inputPerMillion),
    outputMicrosPerMillion: toMicros(p.outputPerMillion),
  })),
);

const ProviderSchema = v.strictObject({
  id: Id,
  kind: v.optional(v.picklist(['openai-compatible', 'demo']), 'openai-compatible'),
  baseUrl: v.optional(v.pipe(v.string(), v.url(), v.regex(/^https?:\/\//i, 'must be an http(s) URL'))),
  apiKeyEnv: v.optional(
    v.pipe(v.string(), v.regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name')),
  ),
  modelPrefixes: v.optional(v.array(v.pipe(v.string(), v.nonEmpty('must not be empty'))), []),
  headers: v.optional(v.record(v.string(), v.string()), {}),
  defaultPricing: v.optional(PricingSchema),
});

const ModelSchema = v.strictObject({
  id: Id,
  provider: Id,
  upstreamId: v.optional(Id),
  name: v.optional(v.string()),
  description: v.optional(v.string()),
  contextLength: Tokens,
  maxOutputTokens: Tokens,
  pricing: PricingSchema,
  capabilities: v.optional(v.array(v.picklist(['reasoning', 'tools', 'vision', 'json'])), []),
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

function allowedKeys(path: readonly v.IssuePathItem[] | undefined): string {
  const keys =
    path?.length === 3
      ? Object.keys(path[0]?.key === 'providers' ? ProviderSchema.entries : ModelSchema.entries)
      : ['inputPerMillion', 'outputPerMillion']; // the only other strict object is a price
  return keys.join(', ');
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
    if (p.kind === 'openai-compatible' && p.baseUrl === undefined) {
      throw new ConfigError(`providers[${i}].baseUrl`, `is required for an openai-compatible provider`);
    }
    providers.set(p.id, {
      id: p.id,
      kind: p.kind,
      baseUrl: p.baseUrl,
      apiKeyEnv: p.apiKeyEnv,
      modelPrefixes: p.modelPrefixes,
      headers: p.headers,
      defaultPricing: p.defaultPricing,
    });
  });

  const ids = new Set<string>();
  raw.models.forEach((m, i) => {
    if (ids.has(m.id)) throw new ConfigError(`models[${i}].id`, `duplicate model id '${m.id}'`);
    ids.add(m.id);
  });

  const models = raw.models.map((m, i): ModelConfig => {
    const provider = providers.get(m.provider);
    if (provider === undefined) throw new ConfigError(`models[${i}].provider`, `unknown provider '${m.provider}'`);
    m.fallbacks.forEach((id, j) => {
      if (!ids.has(id)) throw new ConfigError(`models[${i}].fallbacks[${j}]`, `unknown model '${id}'`);
      if (id === m.id) throw new ConfigError(`models[${i}].fallbacks[${j}]`, `a model cannot fall back to itself`);
    });
    return {
      id: m.id,
      provider: m.provider,
      upstreamId: m.upstreamId ?? m.id,
      name: m.name ?? m.id,
      description: m.description,
      contextLength: m.contextLength,
      maxOutputTokens: m.maxOutputTokens,
      pricing: m.pricing,
      capabilities: [...new Set(m.capabilities)],
      fallbacks: [...new Set(m.fallbacks)],
      demo: m.demo ?? provider.kind === 'demo',
    };
  });

  return { providers: [...providers.values()], models };
}
