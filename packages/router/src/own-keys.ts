/**
 * A caller's own provider keys (BYOK) as a rewrite of the route, not a branch inside it.
 * `withOwnKeys(candidates, keys)` returns a chain of the same `Candidate` shape in which every
 * endpoint of a provider the caller brought a key for appears twice, back to back:
 *
 *   1. with the caller's key (`keySource: 'byok'`): a model that unseals the key for this one call
 *      and passes it as `CallOptions.credential`;
 *   2. with the gateway's key (`keySource: 'gateway'`), unless the caller said `alwaysUse` or the
 *      gateway has no key for that provider.
 *
 * `withFallback` then walks it as any chain, deciding only on `isRetryable`: a 429, 5xx, network
 * failure or timeout with the caller's key moves on to the gateway's key for the same endpoint. An
 * upstream 401 or 403 is not retryable: it becomes `ByokKeyRejectedError`, which stops the chain
 * so the gateway's key is never tried in place of a key the provider refused (the caller must
 * learn that their key is bad, not be billed silently on ours).
 *
 * The plaintext exists only inside one call: `credential()` is awaited when the attempt starts and
 * the string goes no further than the upstream request's header. No error made here carries it,
 * and a rejected key's error never passes the upstream's body on (it could echo part of the key).
 */
import { SafeRouterError } from '@saferouter/errors';
import type { Candidate } from './catalog.js';
import { UpstreamError } from './errors.js';
import type { CallOptions, ChatModelV1 } from './spec.js';

/** One provider key the caller brought. */
export interface OwnKey {
  /**
   * The plaintext key for one call (unsealed now, forgotten after), or undefined when it can no
   * longer be opened (deleted since, or sealed by another build).
   */
  credential(): Promise<string | undefined>;
  /** Never fall back to the gateway's own key for this provider. */
  alwaysUse: boolean;
}

/**
 * The provider refused the caller's own key (HTTP 401 or 403). Answered with that status, never
 * retried with the gateway's key. The message names the provider and the status, never the key,
 * and the upstream's body is not passed on.
 */
export class ByokKeyRejectedError extends UpstreamError {
  constructor(provider: string, modelId: string, statusCode: number) {
    super({
      provider,
      modelId,
      statusCode,
      body: new Uint8Array(0),
      type: statusCode === 403 ? 'permission_error' : 'authentication_error',
      code: 'byok_key_rejected',
      message:
        `your ${provider} key was rejected by the provider (HTTP ${statusCode}): it was not retried with the ` +
        `gateway's key. Upload a working key with POST /v1/byok, or delete yours (DELETE /v1/byok/{id}) to use the gateway's.`,
      metadata: { provider, upstream_status: statusCode },
    });
    this.name = 'ByokKeyRejectedError';
  }
}

/** The caller's key could not be opened for this call: retryable, so the chain moves on. */
export class ByokKeyUnavailableError extends SafeRouterError {
  constructor(provider: string) {
    super({
      message: `your ${provider} key could not be used (deleted, or sealed to another build)`,
      statusCode: 503,
      type: 'service_unavailable',
      code: 'byok_key_unavailable',
      isRetryable: true,
    });
    this.name = 'ByokKeyUnavailableError';
  }
}

/** True for the statuses that mean "this key is not accepted": never retried with another key. */
function isRejection(error: unknown): error is UpstreamError {
  return error instanceof UpstreamError && (error.statusCode === 401 || error.statusCode === 403);
}

/** `model`, calling with the caller's key instead of the gateway's. */
function ownKeyModel(model: ChatModelV1, key: OwnKey): ChatModelV1 {
  async function call<R>(options: CallOptions, run: (options: CallOptions) => Promise<R>): Promise<R> {
    const credential = await key.credential();
    if (credential === undefined) throw new ByokKeyUnavailableError(model.provider);
    try {
      return await run({ ...options, credential });
    } catch (error) {
      if (isRejection(error)) throw new ByokKeyRejectedError(model.provider, model.modelId, error.statusCode);
      throw error;
    }
  }
  return {
    specificationVersion: 'v1',
    provider: model.provider,
    modelId: model.modelId,
    doGenerate: (options) => call(options, (o) => model.doGenerate(o)),
    doStream: (options) => call(options, (o) => model.doStream(o)),
  };
}

/**
 * The route with the caller's own keys tried first, endpoint by endpoint (see the file header).
 * Returns `candidates` itself when no candidate's provider has an own key.
 *
 * @example
 * const chain = withOwnKeys(plan.candidates, new Map([['openai', { alwaysUse: false, credential }]]));
 * const result = await withFallback(chain).doGenerate({ body });
 */
export function withOwnKeys(candidates: readonly Candidate[], keys: ReadonlyMap<string, OwnKey>): Candidate[] {
  if (keys.size === 0 || !candidates.some((c) => keys.has(c.entry.provider))) return [...candidates];
  const chain: Candidate[] = [];
  for (const candidate of candidates) {
    const key = keys.get(candidate.entry.provider);
    if (key === undefined) {
      chain.push(candidate);
      continue;
    }
    chain.push({ entry: candidate.entry, model: ownKeyModel(candidate.model, key), keySource: 'byok' });
    if (!key.alwaysUse && candidate.entry.available) chain.push({ ...candidate, keySource: 'gateway' });
  }
  return chain;
}
