/**
 * The model catalog: turns a validated config plus the environment into resolvable models.
 *
 * It answers three questions for the gateway: which models exist (`list`), what a requested id
 * means (`resolve`: exact entry, else a provider prefix, else 404), and which models to try in
 * which order (`candidates`: the client's `models` list or the curated fallbacks, filtered by what
 * the request needs). API keys are read from `env` once, at creation; they are handed to the
 * provider factory and never logged or returned.
 */
import type { Dispatcher } from 'undici';
import { requiredCapabilities } from './capabilities.js';
import type { CatalogConfig, ModelConfig, Pricing, ProviderConfig } from './catalog-schema.js';
import { createDemoProvider } from './demo.js';
import { InvalidRequestError, ModelNotFoundError } from './errors.js';
import { createOpenAICompatible, type OpenAICompatibleProvider } from './openai-compatible.js';
import type { Capability, ChatModelV1, ChatRequestBody } from './spec.js';

/** One model as the router sees it. */
export interface CatalogModel {
  /** Catalog id, what clients ask for. */
  id: string;
  /** The id sent upstream. */
  upstreamId: string;
  provider: string;
  name: string;
  description: string | undefined;
  /** Unknown (`undefined`) for models reached by provider prefix only. */
  contextLength: number | undefined;
  maxOutputTokens: number | undefined;
  /** Integer micro-dollars per million tokens. */
  pricing: Pricing;
  /** False when no price is known (prefix-routed model without `defaultPricing`): served at zero. */
  priced: boolean;
  capabilities: readonly Capability[];
  fallbacks: readonly string[];
  /** The provider has an API key (demo providers always do). */
  available: boolean;
  demo: boolean;
  /** True when the entry was made up from a provider prefix rather than listed in the config. */
  synthesized: boolean;
}

/** One step of a fallback chain. */
export interface Candidate {
  entry: CatalogModel;
  model: ChatModelV1;
}

export interface CatalogOptions {
  /** Where `apiKeyEnv` names are looked up. */
  env: Readonly<Record<string, string | undefined>>;
  /** Shared HTTP client for every openai-compatible provider (tests inject fakes). */
  dispatcher?: Dispatcher | undefined;
  connectTimeoutMs?: number | undefined;
  firstByteTimeoutMs?: number | undefined;
  bodyTimeoutMs?: number | undefined;
  /** Sockets per upstream origin. */
  connections?: number | undefined;
  /** Clock, for the demo provider's `created`. */
  now?: (() => number) | undefined;
  /** Pause between demo stream chunks. */
  demoChunkDelayMs?: number | undefined;
}

export interface Catalog {
  /** Every configured model, in config order. */
  list(): CatalogModel[];
  /** @throws {ModelNotFoundError} when no entry and no provider prefix matches. */
  resolve(modelId: string): CatalogModel;
  /** The chat model for an entry, created once per id. */
  model(entry: CatalogModel): ChatModelV1;
  /**
   * The ordered chain to try for a request.
   * @throws {ModelNotFoundError} for an unknown `model` or an unknown id in `models`.
   * @throws {InvalidRequestError} when no model is named or `models` is malformed.
   */
  candidates(body: ChatRequestBody): Candidate[];
  /** Closes the HTTP pools the catalog opened. */
  close(): Promise<void>;
}

const ZERO_PRICE: Pricing = { inputMicrosPerMillion: 0, outputMicrosPerMillion: 0 };
/** A client may name at most this many models; each one can cost an upstream call. */
export const MAX_CLIENT_MODELS = 10;
/** Prefix-routed ids come from clients, so their cache is bounded. */
const SYNTHESIZED_CACHE_LIMIT = 512;

function isAvailable(provider: ProviderConfig, env: CatalogOptions['env']): boolean {
  if (provider.kind === 'demo') return true;
  const key = provider.apiKeyEnv === undefined ? undefined : env[provider.apiKeyEnv];
  return key !== undefined && key !== '';
}

function entryOf(model: ModelConfig, provider: ProviderConfig, available: boolean): CatalogModel {
  return {
    id: model.id,
    upstreamId: model.upstreamId,
    provider: model.provider,
    name: model.name,
    description: model.description,
    contextLength: model.contextLength,
    maxOutputTokens: model.maxOutputTokens,
    pricing: model.pricing,
    priced: true,
    capabilities: model.capabilities,
    fallbacks: model.fallbacks,
    available,
    demo: model.demo || provider.kind === 'demo',
    synthesized: false,
  };
}

/**
 * Builds a catalog from a validated config.
 *
 * @example
 * const catalog = createCatalog(defaultCatalogConfig, { env: process.env });
 * const chain = catalog.candidates({ model: 'deepseek-v4-flash', messages });
 * const result = await withFallback(chain).doStream({ body });
 */
export function createCatalog(config: CatalogConfig, options: CatalogOptions): Catalog {
  const providers = new Map(config.providers.map((p) => [p.id, p]));
  const availability = new Map(config.providers.map((p) => [p.id, isAvailable(p, options.env)]));
  const entries = new Map<string, CatalogModel>();
  for (const m of config.models) {
    const provider = providers.get(m.provider);
    if (provider === undefined) throw new TypeError(`model '${m.id}' names unknown provider '${m.provider}'`);
    entries.set(m.id, entryOf(m, provider, availability.get(provider.id) === true));
  }
  const listed = [...entries.values()];

  const factories = new Map<string, (modelId: string) => ChatModelV1>();
  const pools: OpenAICompatibleProvider[] = [];
  const models = new Map<string, ChatModelV1>();
  const synthesizedModels = new Map<string, ChatModelV1>();

  function factory(provider: ProviderConfig): (modelId: string) => ChatModelV1 {
    let made = factories.get(provider.id);
    if (made !== undefined) return made;
    if (provider.kind === 'demo') {
      made = createDemoProvider({ now: options.now, chunkDelayMs: options.demoChunkDelayMs, provider: provider.id });
    } else {
      const http = createOpenAICompatible({
        name: provider.id,
        baseURL: provider.baseUrl ?? '',
        apiKey: provider.apiKeyEnv === undefined ? undefined : options.env[provider.apiKeyEnv],
        headers: provider.headers,
        dispatcher: options.dispatcher,
        connectTimeoutMs: options.connectTimeoutMs,
        firstByteTimeoutMs: options.firstByteTimeoutMs,
        bodyTimeoutMs: options.bodyTimeoutMs,
        connections: options.connections,
      });
      pools.push(http);
      made = http;
    }
    factories.set(provider.id, made);
    return made;
  }

  function resolve(modelId: string): CatalogModel {
    const exact = entries.get(modelId);
    if (exact !== undefined) return exact;
    for (const provider of config.providers) {
      if (!provider.modelPrefixes.some((prefix) => modelId.startsWith(prefix))) continue;
      return {
        id: modelId,
        upstreamId: modelId,
        provider: provider.id,
        name: modelId,
        description: undefined,
        contextLength: undefined,
        maxOutputTokens: undefined,
        pricing: provider.defaultPricing ?? ZERO_PRICE,
        priced: provider.defaultPricing !== undefined,
        capabilities: [],
        fallbacks: [],
        available: availability.get(provider.id) === true,
        demo: provider.kind === 'demo',
        synthesized: true,
      };
    }
    throw new ModelNotFoundError(modelId);
  }

  function model(entry: CatalogModel): ChatModelV1 {
    const cache = entry.synthesized ? synthesizedModels : models;
    const cached = cache.get(entry.id);
    if (cached !== undefined) return cached;
    const provider = providers.get(entry.provider);
    if (provider === undefined) throw new ModelNotFoundError(entry.id);
    const made = factory(provider)(entry.upstreamId);
    if (entry.synthesized && synthesizedModels.size >= SYNTHESIZED_CACHE_LIMIT) synthesizedModels.clear();
    cache.set(entry.id, made);
    return made;
  }

  function clientModels(body: ChatRequestBody): readonly string[] | undefined {
    const requested: unknown = body.models;
    if (requested === undefined) return undefined;
    if (!Array.isArray(requested) || requested.some((id) => typeof id !== 'string' || id === '')) {
      throw new InvalidRequestError('`models` must be an array of model ids', 'invalid_models');
    }
    if (requested.length > MAX_CLIENT_MODELS) {
      throw new InvalidRequestError(`\`models\` may list at most ${MAX_CLIENT_MODELS} models`, 'invalid_models');
    }
    return requested as readonly string[];
  }

  function candidates(body: ChatRequestBody): Candidate[] {
    const requested = clientModels(body);
    const named: unknown = body.model;
    const primaryId = typeof named === 'string' && named !== '' ? named : requested?.[0];
    if (primaryId === undefined) throw new InvalidRequestError('`model` is required', 'model_required');
    const primary = resolve(primaryId);
    // Resolve every client-named id up front so a typo is a 404, not a silently shorter chain.
    const chain =
      requested !== undefined && requested.length > 0
        ? requested.map((id) => resolve(id))
        : primary.fallbacks.map(resolve);

    const needs = requiredCapabilities(body);
    const out: Candidate[] = [{ entry: primary, model: model(primary) }];
    const seen = new Set([primary.id]);
    for (const entry of chain) {
      if (seen.has(entry.id)) continue;
      seen.add(entry.id);
      // A fallback without a key can only fail; skipping it lets the primary's own error surface.
      if (!entry.available) continue;
      // Capabilities of prefix-routed models are unknown, so they are not held against them.
      if (!entry.synthesized && !needs.every((c) => entry.capabilities.includes(c))) continue;
      out.push({ entry, model: model(entry) });
    }
    return out;
  }

  return {
    list: () => [...listed],
    resolve,
    model,
    candidates,
    close: async () => {
      await Promise.all(pools.map((p) => p.close()));
    },
  };
}
