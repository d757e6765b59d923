/**
 * The `provider` request object (OpenRouter's field names) and how it shapes a route.
 *
 * A route is a chain of models (the requested one, then the client's `models` or the curated
 * fallbacks), each served by one or more endpoints. Preferences never reorder the models; they
 * filter and order the endpoints *within* each model:
 * - `only` / `ignore` / `data_collection: "deny"` / `max_price` / `require_parameters` exclude
 *   endpoints, everywhere in the chain;
 * - `order` puts the listed providers first, in that order, and `sort` orders the rest
 *   (`price`: input + output price, ties by input price; `latency`: ascending p50; `throughput`:
 *   descending tokens per second; endpoints without data last, in catalog order);
 * - `allow_fallbacks: false` keeps, per model, only the endpoints listed in `order`, or without
 *   `order` only the first one that can answer, and drops the curated cross-model fallbacks (a
 *   client's own `models` list is still honoured).
 * The router's own rules apply after them: an endpoint without an API key, or (past the requested
 * model) without a capability the request requires, is skipped. The requested model keeps one
 * endpoint even so, unless a preference excluded them all, so its own error reaches the client.
 * Every skipped endpoint is reported with the rule that skipped it. `null` fields and empty
 * provider lists count as not set.
 */
import * as v from 'valibot';
import type { DataRetention, Pricing } from './catalog-schema.js';
import type { EndpointStats } from './endpoint-stats.js';
import { InvalidRequestError, type ExcludedEndpoint } from './errors.js';
import type { Capability } from './spec.js';

const MAX_PROVIDER_IDS = 64;
const MAX_USD_PER_MILLION = 1_000_000;

const ProviderIds = v.pipe(v.array(v.pipe(v.string(), v.nonEmpty('must not be empty'))), v.maxLength(MAX_PROVIDER_IDS));
const Usd = v.pipe(v.number(), v.finite(), v.minValue(0), v.maxValue(MAX_USD_PER_MILLION));

const MaxPriceSchema = v.strictObject({ prompt: v.nullish(Usd), completion: v.nullish(Usd) });

/**
 * The `provider` request object. Unknown keys are rejected; `null` means "not set", as some
 * clients send every field. Prices are USD per million tokens, like the catalog's.
 */
export const ProviderPreferencesSchema = v.strictObject({
  order: v.nullish(ProviderIds),
  only: v.nullish(ProviderIds),
  ignore: v.nullish(ProviderIds),
  allow_fallbacks: v.nullish(v.boolean()),
  sort: v.nullish(v.picklist(['price', 'latency', 'throughput'])),
  max_price: v.nullish(MaxPriceSchema),
  require_parameters: v.nullish(v.boolean()),
  data_collection: v.nullish(v.picklist(['allow', 'deny'])),
});

/** A validated `provider` object. */
export type ProviderPreferences = v.InferOutput<typeof ProviderPreferencesSchema>;

function fieldPath(path: readonly v.IssuePathItem[] | undefined): string {
  let out = 'provider';
  for (const item of path ?? []) {
    const key: unknown = item.key;
    out += typeof key === 'number' ? `[${key}]` : `.${String(key)}`;
  }
  return out;
}

function allowedKeys(path: readonly v.IssuePathItem[] | undefined): string {
  const entries = path !== undefined && path.length > 1 ? MaxPriceSchema.entries : ProviderPreferencesSchema.entries;
  return Object.keys(entries).join(', ');
}

/**
 * Validates a request's `provider` value; `undefined` and `null` mean no preferences.
 *
 * @example parseProviderPreferences({ sort: 'price', ignore: ['zai'] }) // { sort: 'price', ignore: ['zai'] }
 * @throws {InvalidRequestError} 400 `invalid_provider`, with `param` naming the field (`provider.sort`).
 */
export function parseProviderPreferences(value: unknown): ProviderPreferences | undefined {
  if (value === undefined || value === null) return undefined;
  const result = v.safeParse(ProviderPreferencesSchema, value, { abortPipeEarly: true });
  if (result.success) return result.output;
  const issue = result.issues[0];
  const param = fieldPath(issue.path);
  const message =
    issue.type === 'strict_object' && issue.path !== undefined
      ? `Unknown field \`${param}\` (allowed: ${allowedKeys(issue.path)})`
      : `Invalid \`${param}\`: ${issue.message}`;
  throw new InvalidRequestError(message, 'invalid_provider', param);
}

/**
 * Rejects provider ids the catalog does not know, so a typo in `only` is a 400, not a 404 that
 * blames every endpoint.
 *
 * @throws {InvalidRequestError} 400 `unknown_provider`, `param` e.g. `provider.only[1]`.
 */
export function assertKnownProviders(preferences: ProviderPreferences, known: ReadonlySet<string>): void {
  for (const field of ['order', 'only', 'ignore'] as const) {
    preferences[field]?.forEach((id, i) => {
      if (known.has(id)) return;
      const list = [...known].join(', ');
      throw new InvalidRequestError(
        `Unknown provider '${id}' in \`provider.${field}\` (known: ${list})`,
        'unknown_provider',
        `provider.${field}[${i}]`,
      );
    });
  }
}

/** What routing reads of a model as one endpoint serves it (a `CatalogModel` has all of it). */
export interface RoutableEntry {
  /** Catalog id of the model. */
  id: string;
  provider: string;
  pricing: Pricing;
  capabilities: readonly Capability[];
  /** The provider has an API key. */
  available: boolean;
  /** Prefix-routed: its capabilities are unknown, so the fallback filter does not apply. */
  synthesized: boolean;
}

/** One endpoint of a model in a route: the model as that endpoint serves it, and the endpoint. */
export interface RouteEndpoint<E extends RoutableEntry = RoutableEntry> {
  entry: E;
  endpoint: { dataRetention: DataRetention | undefined };
}

/** One model of the chain, with its endpoints in catalog order. */
export interface RouteModel<E extends RoutableEntry = RoutableEntry> {
  endpoints: readonly RouteEndpoint<E>[];
  /** The requested model (the chain's first). */
  primary: boolean;
  /** Reached through the requested model's curated fallbacks, not named by the client. */
  curated: boolean;
}

export interface RouteInput<E extends RoutableEntry = RoutableEntry> {
  chain: readonly RouteModel<E>[];
  preferences: ProviderPreferences | undefined;
  /** What a fallback must have (`requiredCapabilities`). */
  required: readonly Capability[];
  /** What `require_parameters` asks of every endpoint (`requestedCapabilities`). */
  requested: readonly Capability[];
  stats?: EndpointStats | undefined;
  /**
   * Providers the caller brought a key for (BYOK): their endpoints count as keyed even when the
   * gateway has no key of its own.
   */
  ownKeys?: ReadonlySet<string> | undefined;
}

export interface RouteResult<E extends RoutableEntry = RoutableEntry> {
  /** The endpoints to try, in order, as catalog entries. */
  chosen: E[];
  excluded: ExcludedEndpoint[];
}

const toMicros = (usd: number): number => Math.round(usd * 1e6);

/** The first preference that excludes `e`, as `provider.<field>`, or undefined. */
function preferenceReason(
  e: RouteEndpoint,
  p: ProviderPreferences,
  requested: readonly Capability[],
  maxPrompt: number | undefined,
  maxCompletion: number | undefined,
): string | undefined {
  const provider = e.entry.provider;
  if (p.only != null && p.only.length > 0 && !p.only.includes(provider)) return 'provider.only';
  if (p.ignore?.includes(provider) === true) return 'provider.ignore';
  if (p.allow_fallbacks === false && p.order != null && p.order.length > 0 && !p.order.includes(provider)) {
    return 'provider.allow_fallbacks: not in provider.order';
  }
  if (p.data_collection === 'deny' && e.endpoint.dataRetention !== 'none') return 'provider.data_collection';
  if (maxPrompt !== undefined && e.entry.pricing.inputMicrosPerMillion > maxPrompt) return 'provider.max_price.prompt';
  if (maxCompletion !== undefined && e.entry.pricing.outputMicrosPerMillion > maxCompletion) {
    return 'provider.max_price.completion';
  }
  if (p.require_parameters === true) {
    // Declared capabilities only: a prefix-routed model declares none.
    const missing = requested.filter((c) => !e.entry.capabilities.includes(c));
    if (missing.length > 0) return `provider.require_parameters: ${missing.join(', ')}`;
  }
  return undefined;
}

/** Sort key for `sort`; `undefined` = no data (goes last). Lower sorts first. */
function sortKey(e: RouteEndpoint, sort: ProviderPreferences['sort'], stats: EndpointStats | undefined) {
  const { id, provider, pricing } = e.entry;
  switch (sort) {
    case 'price':
      return [pricing.inputMicrosPerMillion + pricing.outputMicrosPerMillion, pricing.inputMicrosPerMillion];
    case 'latency': {
      const p50 = stats?.p50LatencyMs(id, provider);
      return p50 === undefined ? undefined : [p50];
    }
    case 'throughput': {
      const tps = stats?.tokensPerSecond(id, provider);
      return tps === undefined ? undefined : [-tps];
    }
    default:
      return undefined;
  }
}

function compareKeys(a: readonly number[] | undefined, b: readonly number[] | undefined): number {
  if (a === undefined || b === undefined) return (a === undefined ? 1 : 0) - (b === undefined ? 1 : 0);
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return 0;
}

/** `order`'s providers first, in its order; the rest by `sort` (stable), else as listed. */
function ordered<R extends RouteEndpoint>(
  endpoints: R[],
  p: ProviderPreferences,
  stats: EndpointStats | undefined,
): R[] {
  const order = p.order ?? [];
  if (order.length === 0 && p.sort == null) return endpoints;
  const rank = (e: R): number => {
    const i = order.indexOf(e.entry.provider);
    return i === -1 ? order.length : i;
  };
  const keyed = endpoints.map((e) => ({ e, rank: rank(e), key: sortKey(e, p.sort, stats) }));
  keyed.sort((a, b) => a.rank - b.rank || (a.rank === order.length ? compareKeys(a.key, b.key) : 0));
  return keyed.map((k) => k.e);
}

/**
 * Applies preferences and the router's own rules to a chain of models, in chain order.
 *
 * @example
 * const { chosen, excluded } = routeEndpoints({ chain, preferences: { only: ['zai'] }, required: [], requested: [] });
 */
export function routeEndpoints<E extends RoutableEntry>(input: RouteInput<E>): RouteResult<E> {
  const p: ProviderPreferences = input.preferences ?? {};
  const maxPrompt = p.max_price?.prompt == null ? undefined : toMicros(p.max_price.prompt);
  const maxCompletion = p.max_price?.completion == null ? undefined : toMicros(p.max_price.completion);
  const chosen: E[] = [];
  const excluded: ExcludedEndpoint[] = [];
  const exclude = (e: RouteEndpoint<E>, reason: string): void => {
    excluded.push({ model: e.entry.id, provider: e.entry.provider, reason });
  };

  for (const model of input.chain) {
    if (model.curated && p.allow_fallbacks === false) {
      for (const e of model.endpoints) exclude(e, 'provider.allow_fallbacks');
      continue;
    }
    const allowed = model.endpoints.filter((e) => {
      const reason = preferenceReason(e, p, input.requested, maxPrompt, maxCompletion);
      if (reason !== undefined) exclude(e, reason);
      return reason === undefined;
    });
    const candidates = ordered(allowed, p, input.stats);

    // The router's rules: no key, or (beyond what the client chose) a missing capability.
    const keyed = (e: RouteEndpoint<E>): boolean => e.entry.available || input.ownKeys?.has(e.entry.provider) === true;
    const usable: RouteEndpoint<E>[] = [];
    const skipped: { e: RouteEndpoint<E>; reason: string }[] = [];
    for (const e of candidates) {
      const missing = e.entry.synthesized ? [] : input.required.filter((c) => !e.entry.capabilities.includes(c));
      if (!keyed(e)) skipped.push({ e, reason: 'no API key' });
      else if (missing.length > 0) skipped.push({ e, reason: `missing capability: ${missing.join(', ')}` });
      else usable.push(e);
    }
    if (model.primary && usable.length === 0 && candidates.length > 0) {
      // The client chose this model: rather than skip it, let it answer or fail with its own error.
      const withKey = candidates.filter(keyed);
      usable.push(...(withKey.length > 0 ? withKey : candidates.slice(0, 1)));
    }
    for (const { e, reason } of skipped) if (!usable.includes(e)) exclude(e, reason);

    const keep = p.allow_fallbacks === false && (p.order ?? []).length === 0 ? usable.slice(0, 1) : usable;
    for (const e of usable.slice(keep.length)) exclude(e, 'provider.allow_fallbacks');
    for (const e of keep) chosen.push(e.entry);
  }
  return { chosen, excluded };
}
