/**
 * The model catalog: turns a validated config plus the environment into resolvable models.
 *
 * It answers three questions for the gateway: which models exist (`list`), what a requested id
 * means (`resolve`: exact entry, else a provider prefix, else 404), and which endpoints to try in
 * which order (`plan`: the requested model, then the client's `models` list or the curated
 * fallbacks, each expanded into its endpoints and shaped by the request's `provider` preferences
 * and needs; see provider-preferences.ts). API keys are read from `env` once, at creation; they
 * are handed to the provider factory and never logged or returned.
 */
import type { Dispatcher } from 'undici';
import { bodyAdapterFor } from './adapters/index.js';
import { requestedCapabilities, requiredCapabilities } from './capabilities.js';
import type {
  CatalogConfig,
  DataRetention,
  EndpointConfig,
  ModelConfig,
  Pricing,
  ProviderConfig,
} from './catalog-schema.js';
import { createDemoProvider } from './demo.js';
import type { EndpointStats } from './endpoint-stats.js';
import { InvalidRequestError, ModelNotFoundError, NoEndpointError, type ExcludedEndpoint } from './errors.js';
import { createOpenAICompatible, type OpenAICompatibleProvider } from './openai-compatible.js';
import {
  assertKnownProviders,
  parseProviderPreferences,
  routeEndpoints,
  type RouteEndpoint,
  type RouteModel,
} from './provider-preferences.js';
import type { Capability, ChatModelV1, ChatRequestBody } from './spec.js';

/** One provider serving a model. */
export interface CatalogEndpoint {
  provider: string;
  /** The id sent to this provider. */
  upstreamId: string;
  /** Integer micro-dollars per million tokens. */
  pricing: Pricing;
  /** Unknown (`undefined`) for models reached by provider prefix only. */
  contextLength: number | undefined;
  maxOutputTokens: number | undefined;
  capabilities: readonly Capability[];
  /** The provider has an API key (demo providers always do). */
  available: boolean;
  /** From the provider's config; `undefined` is unknown. */
  dataRetention: DataRetention | undefined;
}

/**
 * One model as the router sees it. Its provider-specific fields describe one endpoint: the first
 * in `list()` and `resolve()`, the one it stands for in a `Candidate`.
 */
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
  /** Every endpoint serving the model, in catalog order (one for a prefix-routed model). */
  endpoints: readonly CatalogEndpoint[];
}

/** Whose provider key a call uses: the gateway's own, or one the caller brought (BYOK). */
export type KeySource = 'gateway' | 'byok';

/** One step of a fallback chain: one endpoint of a model (`entry` is the model as it serves it). */
export interface Candidate {
  entry: CatalogModel;
  model: ChatModelV1;
  /** Whose key `model` calls with; absent: the gateway's (see own-keys.ts). */
  keySource?: KeySource | undefined;
}

/** What to try for a request, and what was left out and why. */
export interface RoutePlan {
  candidates: Candidate[];
  excluded: ExcludedEndpoint[];
}

export interface PlanOptions {
  /** Recent latency and throughput, for `provider.sort: "latency" | "throughput"`. */
  stats?: EndpointStats | undefined;
  /**
   * Providers the caller brought its own key for (BYOK): their endpoints are routable even where
   * the gateway has no key (`available` still says whether the gateway has one).
   */
  ownKeys?: ReadonlySet<string> | undefined;
}

/** A configured provider, as the gateway may name it (BYOK uploads, for one). Never its key. */
export interface CatalogProvider {
  id: string;
  kind: ProviderConfig['kind'];
  /** The gateway has an API key for it (demo providers always do). */
  available: boolean;
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
  /** Every configured provider, in config order. */
  providers(): CatalogProvider[];
  /** @throws {ModelNotFoundError} when no entry and no provider prefix matches. */
  resolve(modelId: string): CatalogModel;
  /** The chat model for an entry, created once per id. */
  model(entry: CatalogModel): ChatModelV1;
  /**
   * The ordered endpoints to try for a request, and the ones left out with the reason.
   * @throws {ModelNotFoundError} for an unknown `model` or an unknown id in `models`.
   * @throws {InvalidRequestError} when no model is named, `models` is malformed, or `provider`
   *   is invalid or names an unknown provider (`param` names the field).
   * @throws {NoEndpointError} when the `provider` preferences exclude every endpoint.
   */
  plan(body: ChatRequestBody, options?: PlanOptions): RoutePlan;
  /** `plan(body).candidates`. */
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

function endpointOf(e: EndpointConfig, provider: ProviderConfig, available: boolean): CatalogEndpoint {
  return {
    provider: e.provider,
    upstreamId: e.upstreamId,
    pricing: e.pricing,
    contextLength: e.contextLength,
    maxOutputTokens: e.maxOutputTokens,
    capabilities: e.capabilities,
    available,
    dataRetention: provider.dataRetention,
  };
}

/** The model as served by `endpoint`. */
function entryOf(
  model: ModelConfig,
  endpoints: readonly CatalogEndpoint[],
  endpoint: CatalogEndpoint,
  demo: boolean,
): CatalogModel {
  return {
    id: model.id,
    upstreamId: endpoint.upstreamId,
    provider: endpoint.provider,
    name: model.name,
    description: model.description,
    contextLength: endpoint.contextLength,
    maxOutputTokens: endpoint.maxOutputTokens,
    pricing: endpoint.pricing,
    priced: true,
    capabilities: endpoint.capabilities,
    fallbacks: model.fallbacks,
    available: endpoint.available,
    demo: model.demo || demo,
    synthesized: false,
    endpoints,
  };
}

/**
 * Builds a catalog from a validated config.
 *
 * @example
 * const catalog = createCatalog(defaultCatalogConfig, { env: process.env });
 * const { candidates, excluded } = catalog.plan({ model: 'deepseek-flash', messages, provider: { sort: 'price' } });
 * const result = await withFallback(candidates).doStream({ body });
 */
export function createCatalog(config: CatalogConfig, options: CatalogOptions): Catalog {
  const providers = new Map(config.providers.map((p) => [p.id, p]));
  const providerIds: ReadonlySet<string> = new Set(providers.keys());
  const availability = new Map(config.providers.map((p) => [p.id, isAvailable(p, options.env)]));
  /** Per model: the model as served by each of its endpoints, in catalog order. */
  const served = new Map<string, RouteEndpoint<CatalogModel>[]>();
  for (const m of config.models) {
    const endpoints = m.endpoints.map((e) => {
      const provider = providers.get(e.provider);
      if (provider === undefined) throw new TypeError(`model '${m.id}' names unknown provider '${e.provider}'`);
      return {
        endpoint: endpointOf(e, provider, availability.get(provider.id) === true),
        demo: provider.kind === 'demo',
      };
    });
    const list = endpoints.map((e) => e.endpoint);
    served.set(
      m.id,
      endpoints.map(({ endpoint, demo }) => ({ entry: entryOf(m, list, endpoint, demo), endpoint })),
    );
  }
  const listed = [...served.values()].map((endpoints) => (endpoints[0] as RouteEndpoint<CatalogModel>).entry);

  const factories = new Map<string, (modelId: string) => ChatModelV1>();
  const pools: OpenAICompatibleProvider[] = [];
  /** Chat models by (provider, upstream id): endpoints of different catalog ids may share one. */
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
        adapter: bodyAdapterFor(provider.kind),
      });
      pools.push(http);
      made = http;
    }
    factories.set(provider.id, made);
    return made;
  }

  function resolve(modelId: string): CatalogModel {
    const exact = served.get(modelId);
    if (exact !== undefined) return (exact[0] as RouteEndpoint<CatalogModel>).entry;
    for (const provider of config.providers) {
      if (!provider.modelPrefixes.some((prefix) => modelId.startsWith(prefix))) continue;
      const pricing = provider.defaultPricing ?? ZERO_PRICE;
      const available = availability.get(provider.id) === true;
      const endpoint: CatalogEndpoint = {
        provider: provider.id,
        upstreamId: modelId,
        pricing,
        contextLength: undefined,
        maxOutputTokens: undefined,
        capabilities: [],
        available,
        dataRetention: provider.dataRetention,
      };
      return {
        id: modelId,
        upstreamId: modelId,
        provider: provider.id,
        name: modelId,
        description: undefined,
        contextLength: undefined,
        maxOutputTokens: undefined,
        pricing,
        priced: provider.defaultPricing !== undefined,
        capabilities: [],
        fallbacks: [],
        available,
        demo: provider.kind === 'demo',
        synthesized: true,
        endpoints: [endpoint],
      };
    }
    throw new ModelNotFoundError(modelId);
  }

  /** The model as served by each of its endpoints. */
  function servedBy(entry: CatalogModel): readonly RouteEndpoint<CatalogModel>[] {
    const found = entry.synthesized ? undefined : served.get(entry.id);
    return found ?? [{ entry, endpoint: entry.endpoints[0] as CatalogEndpoint }];
  }

  function model(entry: CatalogModel): ChatModelV1 {
    const cache = entry.synthesized ? synthesizedModels : models;
    const key = `${entry.provider}\u0000${entry.upstreamId}`;
    const cached = cache.get(key);
    if (cached !== undefined) return cached;
    const provider = providers.get(entry.provider);
    if (provider === undefined) throw new ModelNotFoundError(entry.id);
    const made = factory(provider)(entry.upstreamId);
    if (entry.synthesized && synthesizedModels.size >= SYNTHESIZED_CACHE_LIMIT) synthesizedModels.clear();
    cache.set(key, made);
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

  function plan(body: ChatRequestBody, planOptions: PlanOptions = {}): RoutePlan {
    const requested = clientModels(body);
    const named: unknown = body.model;
    const primaryId = typeof named === 'string' && named !== '' ? named : requested?.[0];
    if (primaryId === undefined) throw new InvalidRequestError('`model` is required', 'model_required');
    const primary = resolve(primaryId);
    // Resolve every client-named id up front so a typo is a 404, not a silently shorter chain.
    const clientChain =
      requested !== undefined && requested.length > 0 ? requested.map((id) => resolve(id)) : undefined;
    const rest = clientChain ?? primary.fallbacks.map(resolve);
    const preferences = parseProviderPreferences(body['provider']);
    if (preferences !== undefined) assertKnownProviders(preferences, providerIds);

    const chain: RouteModel<CatalogModel>[] = [{ endpoints: servedBy(primary), primary: true, curated: false }];
    const seen = new Set([primary.id]);
    for (const entry of rest) {
      if (seen.has(entry.id)) continue;
      seen.add(entry.id);
      chain.push({ endpoints: servedBy(entry), primary: false, curated: clientChain === undefined });
    }
    const { chosen, excluded } = routeEndpoints({
      chain,
      preferences,
      required: requiredCapabilities(body),
      requested: preferences?.require_parameters === true ? requestedCapabilities(body) : [],
      stats: planOptions.stats,
      ownKeys: planOptions.ownKeys,
    });
    if (chosen.length === 0) throw new NoEndpointError(primary.id, excluded);
    return { candidates: chosen.map((entry) => ({ entry, model: model(entry) })), excluded };
  }

  const providerList: readonly CatalogProvider[] = config.providers.map((p) => ({
    id: p.id,
    kind: p.kind,
    available: availability.get(p.id) === true,
  }));

  return {
    list: () => [...listed],
    providers: () => providerList.map((p) => ({ ...p })),
    resolve,
    model,
    plan,
    candidates: (body) => plan(body).candidates,
    close: async () => {
      await Promise.all(pools.map((p) => p.close()));
    },
  };
}
