/**
 * The OpenRouter `reasoning` request object, read once into what it asks for, and the shared
 * shape of a body adapter. Each provider's file only says how "reasoning on / off / effort"
 * is spelled on its wire; everything else (dropping the gateway-only fields, setting `model`,
 * passing the rest through, the no-change fast path) lives here, in one place.
 */
import type { ChatRequestBody } from '../spec.js';

/** Builds the upstream JSON body from the client's validated body. */
export type BodyAdapter = (body: ChatRequestBody, upstreamModelId: string) => Record<string, unknown>;

/** OpenRouter's reasoning efforts, `none` meaning no reasoning. */
export type ReasoningEffort = 'minimal' | 'low' | 'medium' | 'high' | 'none';

/** The `reasoning` request object, in OpenRouter's shape. */
export interface ReasoningRequest {
  effort?: ReasoningEffort;
  /** A reasoning token budget. None of our upstreams take one; it only implies "on". */
  max_tokens?: number;
  /** Hide the reasoning from the client. The gateway strips it on the way back; upstream still reasons. */
  exclude?: boolean;
  enabled?: boolean;
}

/**
 * What a `reasoning` object asks the upstream for: `off`, or `on` with an effort (undefined:
 * the upstream's default depth).
 */
export type ReasoningIntent = { on: false } | { on: true; effort: Exclude<ReasoningEffort, 'none'> | undefined };

const EFFORTS: ReadonlySet<unknown> = new Set(['minimal', 'low', 'medium', 'high']);

/**
 * Reads a `reasoning` value. `enabled: false` or `effort: 'none'` turn reasoning off (an explicit
 * `enabled: false` wins over any effort); any other object turns it on, `exclude` included, since
 * excluded reasoning is still produced upstream. Fields of the wrong type are ignored here: the
 * gateway's schema rejects them before a body reaches an adapter.
 *
 * @example reasoningIntent({ effort: 'low' }) // { on: true, effort: 'low' }
 * @example reasoningIntent({ enabled: false }) // { on: false }
 * @example reasoningIntent(undefined) // undefined
 */
export function reasoningIntent(value: unknown): ReasoningIntent | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const { enabled, effort } = value as { enabled?: unknown; effort?: unknown };
  if (enabled === false || effort === 'none') return { on: false };
  return { on: true, effort: EFFORTS.has(effort) ? (effort as Exclude<ReasoningEffort, 'none'>) : undefined };
}

/** A provider's spelling of a reasoning intent: the fields to set on the upstream body. */
export type ReasoningFields = (intent: ReasoningIntent) => Record<string, unknown> | undefined;

/**
 * Makes a `BodyAdapter` from a provider's reasoning spelling. The adapter drops `models`,
 * `provider` and `reasoning`, sets `model`, and merges the provider's fields over the rest (so a
 * mapped `reasoning` wins over a native field the client also sent). Every other field passes
 * through untouched, in its original order.
 *
 * Fast path: a body without any gateway-only field is returned as is, or with one shallow copy to
 * set `model`, the same work the provider did before adapters existed. The result may therefore
 * be `body` itself; callers serialize it and must not mutate it.
 *
 * @example const adapter = defineBodyAdapter((i) => (i.on ? { think: true } : { think: false }));
 */
export function defineBodyAdapter(reasoningFields: ReasoningFields): BodyAdapter {
  return (body, upstreamModelId) => {
    if (body.models === undefined && body['provider'] === undefined && body['reasoning'] === undefined) {
      return body.model === upstreamModelId ? body : { ...body, model: upstreamModelId };
    }
    const { models: _fallbacks, provider: _preferences, reasoning, ...rest } = body;
    const out: Record<string, unknown> = rest;
    out['model'] = upstreamModelId;
    const intent = reasoningIntent(reasoning);
    const fields = intent === undefined ? undefined : reasoningFields(intent);
    return fields === undefined ? out : Object.assign(out, fields);
  };
}
