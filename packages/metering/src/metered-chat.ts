/**
 * Metered chat: the steps of one paid chat completion, in order, in one HTTP-free unit.
 *
 *   admit   per-key limits (429), then a hold for the worst case at the primary's price (402)
 *   route   the fallback chain; before each fallback the hold is re-priced for that candidate
 *           (held up, never down), and a fallback the key cannot afford is skipped
 *   settle  the upstream's usage at the price of the model that answered (an estimate when the
 *           usage is missing); a request that fails on every candidate costs nothing
 *   record  one activity entry per upstream attempt, and one (`attempt: 0`) for a refusal
 *
 * Own keys (BYOK): a caller that brought a provider key has the route rewritten by the router's
 * `withOwnKeys` (each endpoint of that provider tried with the caller's key first, then, unless
 * `alwaysUse`, with the gateway's), and an attempt with the caller's key is priced at the BYOK fee
 * (`byokFeeBasisPoints` of the gateway-key price; default 0, nothing held). A fallback to the
 * gateway's key re-prices the hold like any fallback. The keys are unsealed per attempt by the
 * `byok` lookup the gateway injects; metering never sees a stored blob, and never logs a key.
 *
 * A non-stream reply is settled before it is returned. A stream is settled by the relay's
 * `beforeDone` hook, i.e. after the upstream's final `data: [DONE]` arrived and before the client
 * receives it, so a completion a client was acknowledged is always on the ledger; the relay owns
 * recognising that event. A stream that ends any other way (cut, client gone) is settled when it
 * ends, from its usage if it had arrived, else from the text already delivered (`estimated`).
 *
 * It takes plain inputs and returns plain results: the gateway parses HTTP, calls `complete()`,
 * and writes what comes back. Refusals and failures are thrown as `SafeRouterError`s.
 */
import {
  estimateCompletionTokens,
  feePricing,
  formatUsd,
  InsufficientCreditsError,
  RateLimitError,
  type Admission,
  type Billing,
  type Limiter,
  type Limits,
  type Pricing,
} from '@saferouter/billing';
import { createHmac } from 'node:crypto';
import { SafeRouterError } from '@saferouter/errors';
import {
  cachedTokensOf,
  NoEndpointError,
  reasoningTokensOf,
  withFallback,
  withOwnKeys,
  type AbortSignalLike,
  type Attempt,
  type Candidate,
  type Catalog,
  type ChatRequestBody,
  type EndpointStats,
  type ExcludedEndpoint,
  type FallbackStreamResult,
  type OwnKey,
  type StreamResult,
  type StreamSummary,
  type Usage,
} from '@saferouter/router';
import { fitActivityExcluded, type ActivityEntry } from '@saferouter/store';
import { deliveredCompletionTokens } from './delivered.js';
import { issueEvidence, type Evidence, type EvidenceSession } from './evidence.js';
import { completionText, holdShape, type HoldShape } from './estimates.js';
import { CommittedStream, raceRoute, ROUTE_PENDING } from './committed-stream.js';
import { chatDialect, type ChargedUsage, type ReplyDialect, type ReplyFacts } from './reply-dialect.js';

/** Where activity entries go (the gateway batches them off the request path). */
export interface ActivitySink {
  push(entry: ActivityEntry): void;
}

export interface MeteringDeps {
  catalog: Catalog;
  billing: Billing;
  limiter: Limiter;
  activity: ActivitySink;
  /** Milliseconds since the epoch. */
  clock: () => number;
  /** A new activity entry id. */
  newId: () => string;
  /** Where failures nobody awaits are reported (a stream's late settle). Default `console.error`. */
  log?: ((message: string, error: unknown) => void) | undefined;
  /** Receipts and audit samples. Without it, requests are metered but not receipted. */
  evidence?: Evidence | undefined;
  /**
   * The deployment's secret for pseudonymizing `user`: upstreams get
   * `HMAC-SHA256(secret, key id ‖ 0x00 ‖ user)` in hex. Without it, `user` is dropped.
   */
  userSecret?: Uint8Array | undefined;
  /** Observed latency and throughput per endpoint: fed by every answer, read by `provider.sort`. */
  stats?: EndpointStats | undefined;
  /** Silence (ms) after which a stream gets a `: SAFEROUTER PROCESSING` comment. Default 15 000. */
  keepAliveMs?: number | undefined;
  /**
   * The provider keys a caller brought (BYOK), by provider: only keys this build can open, each
   * unsealing on use (`OwnKey.credential`). Asked once per request of a user key; an empty map for
   * a caller without any. Without it, every call uses the gateway's keys.
   */
  byok?: ((keyId: string) => Promise<ReadonlyMap<string, OwnKey>>) | undefined;
  /**
   * What an attempt with the caller's own key costs, in basis points (1/100 %) of what it would
   * cost on the gateway's key: `ceil(cost × bp / 10000)` µ$. Default 0: BYOK is free.
   */
  byokFeeBasisPoints?: number | undefined;
}

/** Who pays. The operator's admin key has no account: its calls are logged, not billed. */
export interface ChatCaller {
  id: string;
  role: 'user' | 'admin';
  limits: Limits;
}

export interface ChatCall {
  caller: ChatCaller;
  /** The gateway's request id: on the hold, the charge and every activity entry. */
  requestId: string;
  /** A validated chat-completions body (see the gateway's schema). */
  body: ChatRequestBody;
  /** The exact request body bytes received: what the receipt's `request_sha256` hashes. */
  requestBytes: Uint8Array;
  /** Fires when the client is gone: the upstream is aborted and fallback stops. */
  signal?: AbortSignalLike | undefined;
  /** What the client hears (default: chat completions, see reply-dialect.ts). */
  dialect?: ((facts: ReplyFacts) => ReplyDialect) | undefined;
}

interface ReplyBase {
  /** The catalog id the client asked for (after alias resolution). */
  requested: string;
  /** The catalog id of the model that answered. */
  answeredBy: string;
  /**
   * The provider that answered (a model may be served by several); undefined for a stream
   * committed before any answer (see committed-stream.ts), which names it in an SSE comment.
   */
  provider: string | undefined;
}

export type MeteredReply =
  | (ReplyBase & {
      stream: false;
      body: Uint8Array;
      /** The signed receipt (a JWS), when evidence is on: the `X-SafeRouter-Receipt` header. */
      receipt: string | undefined;
    })
  | (ReplyBase & {
      stream: true;
      /** Read it (or cancel it) to the end: settling and the concurrency slot follow the stream. */
      result: StreamResult;
    });

export interface MeteredChat {
  /**
   * Runs one chat completion through admit → route → settle → record.
   *
   * @throws {RateLimitError} 429, over a per-key limit (one refusal entry recorded).
   * @throws {InsufficientCreditsError} 402, the hold was refused (one refusal entry recorded).
   * @throws {SafeRouterError} any router failure (404 model, upstream errors, abort) after the
   *   hold was released and the attempts recorded (with the receipt in its `x-saferouter-receipt`
   *   header when an upstream was reached); `billing_failed` (503) if the charge could not be
   *   written, `audit_failed` (503) if a sampled request's audit entry could not: the reply is
   *   withheld either way.
   */
  complete(call: ChatCall): Promise<MeteredReply>;
}

/** A stream is estimated from at most this much delivered SSE when it is cut (beyond, we undercount). */
const MAX_RETAINED_BYTES = 8 * 1024 * 1024;

const FREE: Pricing = { inputMicrosPerMillion: 0, outputMicrosPerMillion: 0 };
const NO_OWN_KEYS: ReadonlyMap<string, OwnKey> = new Map();
const DEFAULT_KEEP_ALIVE_MS = 15_000;
/** A completion id worth keeping for `GET /v1/generation`: printable, bounded. */
const GENERATION_ID = /^[\x21-\x7e]{1,200}$/;

/** `user` as upstreams see it: unlinkable across keys, stable for one key. */
export function pseudonymousUser(secret: Uint8Array, keyId: string, user: string): string {
  return createHmac('sha256', secret).update(keyId).update('\0').update(user).digest('hex');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The `id` of a chat completion (or chunk), when it is one we can store. */
function generationIdOf(json: unknown): string | undefined {
  const id = isRecord(json) ? json['id'] : undefined;
  return typeof id === 'string' && GENERATION_ID.test(id) ? id : undefined;
}

const utf8 = new TextDecoder();
const REASONING_PROBE = Buffer.from('"reasoning');

/** The charge could not be written, so the answer is withheld: never an unbilled acknowledgement. */
export class BillingFailedError extends SafeRouterError {
  constructor(cause: unknown) {
    super({
      message: 'The response could not be recorded for billing, so it is not delivered. Retry the request.',
      statusCode: 503,
      type: 'api_error',
      code: 'billing_failed',
      isRetryable: true,
      cause,
    });
    this.name = 'BillingFailedError';
  }
}

/**
 * @example
 * const chat = createMeteredChat({ catalog, billing, limiter, activity, clock: Date.now, newId });
 * const reply = await chat.complete({ caller, requestId, body, signal });
 * if (!reply.stream) respond(reply.body); else pipe(reply.result);
 */
export function createMeteredChat(deps: MeteringDeps): MeteredChat {
  return { complete: async (call) => new MeteredRequest(deps, call).run() };
}

/** One request's money and log, from admission to the last activity entry. */
class MeteredRequest {
  readonly #deps: MeteringDeps;
  readonly #call: ChatCall;
  readonly #stream: boolean;
  #requested: string;
  #provider = 'saferouter';
  #pricing: Pricing = FREE;
  #chain: Candidate[] = [];
  #excluded: readonly ExcludedEndpoint[] = [];
  readonly #attempts: Attempt[] = [];
  #dialect!: ReplyDialect;
  /** The completion `id` the response carried (for `GET /v1/generation`). */
  #generationId: string | undefined;
  /** Reasoning was streamed: zero-completion insurance never applies then. */
  #sawReasoning = false;
  /** The stream's 200 went out before any candidate answered: a failure becomes an SSE event. */
  #committed = false;
  #shape!: HoldShape;
  #admission!: Admission;
  #release: () => void = () => undefined;
  #started = 0;
  /** Set once the request's money is final and its entries are written: later endings are no-ops. */
  #done = false;
  /** What the upstream produced, kept to estimate a stream that ends without usage. */
  readonly #produced: Uint8Array[] = [];
  #producedBytes = 0;
  /** This request's evidence (receipt, sample), when evidence is on. */
  #evidence: EvidenceSession | undefined;

  constructor(deps: MeteringDeps, call: ChatCall) {
    this.#deps = deps;
    this.#call = call;
    this.#stream = call.body.stream === true;
    this.#requested = call.body.model;
  }

  async run(): Promise<MeteredReply> {
    this.#plan(await this.#ownKeys());
    this.#pseudonymizeUser();
    await this.#admit();
    let handedOff = false;
    try {
      const reply = this.#stream ? await this.#routeStream() : await this.#routeGenerate();
      handedOff = reply.stream;
      return reply;
    } finally {
      // A stream keeps its concurrency slot until it ends (see #finish).
      if (!handedOff) this.#release();
    }
  }

  /** The caller's own provider keys (BYOK); none for the admin key, which has no account. */
  async #ownKeys(): Promise<ReadonlyMap<string, OwnKey>> {
    const lookup = this.#deps.byok;
    const { caller } = this.#call;
    if (lookup === undefined || caller.role === 'admin') return NO_OWN_KEYS;
    return lookup(caller.id);
  }

  /** What `candidate` costs: its price, or the BYOK fee on it when it calls with the caller's key. */
  #pricingOf(candidate: Candidate | undefined): Pricing {
    if (candidate === undefined) return FREE;
    return candidate.keySource === 'byok'
      ? feePricing(candidate.entry.pricing, this.#deps.byokFeeBasisPoints ?? 0)
      : candidate.entry.pricing;
  }

  /**
   * The candidates (endpoints) to try, after the client's provider preferences and with the
   * caller's own keys first. When none qualifies, the refusal (with why each was excluded) is
   * recorded and thrown.
   */
  #plan(ownKeys: ReadonlyMap<string, OwnKey>): void {
    const { body, requestId } = this.#call;
    let plan;
    try {
      plan = this.#deps.catalog.plan(body, {
        stats: this.#deps.stats,
        ...(ownKeys.size === 0 ? {} : { ownKeys: new Set(ownKeys.keys()) }),
      });
    } catch (error) {
      if (error instanceof NoEndpointError) {
        this.#excluded = fitActivityExcluded(error.excluded);
        this.#refused(error);
      }
      throw error;
    }
    this.#chain = ownKeys.size === 0 ? plan.candidates : withOwnKeys(plan.candidates, ownKeys);
    this.#excluded = fitActivityExcluded(plan.excluded);
    const primary = plan.candidates[0]?.entry;
    // The model asked for (aliases resolved), even when preferences start the route at a fallback.
    this.#requested = this.#deps.catalog.resolve(body.model).id;
    this.#provider = primary?.provider ?? 'saferouter';
    this.#pricing = this.#pricingOf(this.#chain[0]);
    const facts: ReplyFacts = { requestId, model: this.#requested, created: Math.floor(this.#deps.clock() / 1000) };
    const reasoning = body['reasoning'];
    this.#dialect =
      this.#call.dialect?.(facts) ??
      chatDialect({ excludeReasoning: isRecord(reasoning) && reasoning['exclude'] === true }, facts);
  }

  /** The raw `user` never leaves the gateway: a keyed hash goes upstream instead, or nothing. */
  #pseudonymizeUser(): void {
    const { body, caller } = this.#call;
    const user = body['user'];
    if (user === undefined) return;
    const secret = this.#deps.userSecret;
    if (typeof user === 'string' && user !== '' && secret !== undefined) {
      body['user'] = pseudonymousUser(secret, caller.id, user);
    } else {
      delete body['user'];
    }
  }

  /** Per-key limits, then the hold for the primary candidate. Refusals are recorded and thrown. */
  async #admit(): Promise<void> {
    const { caller, requestId, body } = this.#call;
    const slot = await this.#deps.limiter.acquire(caller.id, caller.limits);
    if (!slot.ok) {
      const error = new RateLimitError(slot, caller.limits);
      this.#refused(error);
      throw error;
    }
    this.#release = slot.release;
    try {
      this.#shape = holdShape(body, this.#chain[0]?.entry);
      this.#admission = await this.#deps.billing.admit({
        keyId: caller.id,
        requestId,
        pricing: this.#pricing,
        promptTokens: this.#shape.promptTokens,
        maxOutputTokens: this.#shape.maxOutputTokens,
        free: caller.role === 'admin',
      });
    } catch (error) {
      slot.release();
      if (InsufficientCreditsError.isInstance(error)) this.#refused(error);
      throw error;
    }
    this.#started = this.#deps.clock();
    const evidence = this.#deps.evidence;
    this.#evidence = evidence?.issuer.begin({
      requestId,
      requestBytes: this.#call.requestBytes,
      stream: this.#stream,
      sampled: evidence.sample(),
    });
  }

  async #routeGenerate(): Promise<MeteredReply> {
    const { body, signal } = this.#call;
    const result = await this.#route(() => this.#model().doGenerate({ body, signal }));
    let json: unknown = result.json;
    if (json === undefined) {
      try {
        json = JSON.parse(utf8.decode(result.body));
      } catch {
        json = undefined;
      }
    }
    this.#generationId = generationIdOf(json);
    this.#sawReasoning = Buffer.from(result.body.buffer, result.body.byteOffset, result.body.byteLength).includes(
      REASONING_PROBE,
    );
    let reply: Uint8Array = result.body;
    // Charged (and receipted) before the client sees the answer: an acknowledged completion is always billed.
    const receipt = await this.#finish({
      usage: result.usage,
      finishReason: result.finishReason,
      completionEstimate: () => estimateCompletionTokens(completionText(result.body)),
      status: 200,
      error: undefined,
      present: (charged) => {
        reply = this.#dialect.body(json, result.body, charged);
        this.#evidence?.response(reply);
      },
    });
    return {
      stream: false,
      body: reply,
      receipt,
      requested: this.#requested,
      answeredBy: result.answeredBy,
      provider: result.attempts.at(-1)?.provider ?? this.#provider,
    };
  }

  async #routeStream(): Promise<MeteredReply> {
    const { body, signal } = this.#call;
    // Streams must report usage to be billed; the client receives the usage chunk too.
    body.stream_options = { ...body.stream_options, include_usage: true };
    const hooks = {
      onChunk: (chunk: Uint8Array): void => {
        // The receipt covers the bytes sent before it; once the request is finished, nothing more.
        if (this.#done) return;
        this.#evidence?.response(chunk);
      },
      onSource: (chunk: Uint8Array): void => this.#retain(chunk),
      rewrite: this.#dialect.rewrite,
      holdUsageEvent: true,
      dropTerminal: this.#dialect.dropTerminal,
      keepAliveMs: this.#deps.keepAliveMs ?? DEFAULT_KEEP_ALIVE_MS,
      // The end of the stream (its [DONE], or a cut): charged and receipted before the client hears it.
      beforeEnd: (summary: StreamSummary): Promise<Uint8Array | undefined> => this.#endStream(summary),
    };
    const route = this.#route(() => this.#model().doStream({ body, signal, hooks }));
    const keepAliveMs = this.#deps.keepAliveMs ?? DEFAULT_KEEP_ALIVE_MS;
    const first = await raceRoute(route, keepAliveMs);
    if (first === ROUTE_PENDING) return this.#commit(route, keepAliveMs, hooks.onChunk);
    if (!first.ok) throw first.error;
    const result = first.result;
    this.#settleWhenEnded(result);
    return {
      stream: true,
      result,
      requested: this.#requested,
      answeredBy: result.answeredBy,
      provider: result.attempts.at(-1)?.provider ?? this.#provider,
    };
  }

  /** A client that left never reaches the hook: its stream settles here (a no-op after the hook). */
  #settleWhenEnded(result: StreamResult): void {
    void result.summary.then((summary) =>
      this.#endStream(summary).then(
        () => undefined,
        (error: unknown) => this.#log('metering: settling an ended stream failed', error),
      ),
    );
  }

  /**
   * No candidate answered within the keep-alive interval: the 200 goes out now and the route goes
   * on inside the stream (committed-stream.ts). The answer, when it comes, settles as any stream.
   */
  #commit(
    route: Promise<FallbackStreamResult>,
    keepAliveMs: number,
    onChunk: (chunk: Uint8Array) => void,
  ): MeteredReply {
    this.#committed = true;
    route.then(
      (result) => this.#settleWhenEnded(result),
      () => undefined, // #route recorded the failure and released the hold
    );
    const first = this.#chain[0]?.entry;
    const result = new CommittedStream({
      route,
      keepAliveMs,
      first: { model: first?.id ?? this.#requested, provider: first?.provider ?? this.#provider },
      onChunk,
      onFailure: (error) => {
        const jws = error.headers['x-saferouter-receipt'];
        return Promise.resolve(jws === undefined ? undefined : receiptComment(jws));
      },
      onAbandon: () => this.#release(),
    });
    return { stream: true, result, requested: this.#requested, answeredBy: this.#requested, provider: undefined };
  }

  /** The fallback chain as one model, re-pricing the hold before each fallback. */
  #model(): ReturnType<typeof withFallback> {
    return withFallback(this.#chain, {
      onAttempt: (attempt) => this.#attempts.push(attempt),
      // Throws InsufficientCreditsError when the key cannot afford this fallback: it is skipped.
      beforeFallback: (candidate) => {
        const shape = holdShape(this.#call.body, candidate.entry);
        return this.#admission.reprice(this.#pricingOf(candidate), { maxOutputTokens: shape.maxOutputTokens });
      },
    });
  }

  /** Runs the chain; when every candidate failed, releases the hold and records the attempts. */
  async #route<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      this.#done = true;
      await this.#admission.release().catch((cause: unknown) => this.#log('metering: releasing a hold failed', cause));
      this.#record(undefined);
      // A request that reached an upstream is receipted, failure or not (an upstream's 4xx too).
      if (this.#evidence !== undefined && this.#attempts.length > 0 && SafeRouterError.isInstance(error)) {
        // A committed stream sends the error as its last event, after the receipt: not covered.
        if (!this.#committed) this.#evidence.response(error.responseBody());
        const receipt = await this.#receipt({ prompt: 0, completion: 0, cost: 0 });
        if (receipt !== undefined) error.headers['x-saferouter-receipt'] = receipt;
      }
      throw error;
    }
  }

  /**
   * A stream's end: completed or cut (from `beforeEnd`), or left (from its summary). Once only;
   * returns the bytes to send before the stream's last event (the usage event with the cost, then
   * the receipt comment), or undefined when already ended.
   */
  async #endStream(summary: StreamSummary): Promise<Uint8Array | undefined> {
    if (this.#done) return undefined;
    try {
      const left = (summary.error as { code?: unknown } | undefined)?.code === 'client_closed_request';
      const status = summary.completed ? 200 : left ? 499 : 502;
      const error = summary.completed
        ? undefined
        : left
          ? 'client_closed_request: the client left mid-stream'
          : `stream_interrupted: ${summary.error?.message ?? 'the upstream ended early'}`;
      const held = summary.usageEvent?.json;
      this.#generationId = generationIdOf(held) ?? this.#generationId;
      let usageBytes: Uint8Array | undefined;
      const jws = await this.#finish({
        usage: summary.usage,
        finishReason: summary.finishReason,
        // Every token the upstream produced, delivered or not (stripped reasoning included).
        completionEstimate: () => deliveredCompletionTokens(this.#produced),
        status,
        error,
        present: (charged) => {
          usageBytes = this.#dialect.end(held, charged, { completed: summary.completed });
          this.#evidence?.response(usageBytes);
        },
      });
      const receipt = jws === undefined ? undefined : receiptComment(jws);
      const parts = [usageBytes, receipt].filter((p): p is Uint8Array => p !== undefined);
      return parts.length === 0 ? undefined : Buffer.concat(parts);
    } finally {
      this.#produced.length = 0;
      this.#release();
    }
  }

  /**
   * Settles at the admission's current pricing (the model that answered), lets `present` build
   * what the client receives from the charge (hashed into the receipt), issues the evidence, and
   * records the attempts; returns the receipt. If the charge cannot be written, the hold is
   * released and `billing_failed` thrown; if a sample cannot, the charge is refunded and
   * `audit_failed` thrown.
   *
   * Zero-completion insurance: an answer with no completion tokens that ended in an error or
   * without a finish reason costs nothing (unless it streamed reasoning, which was work done).
   */
  async #finish(end: {
    usage: Usage | undefined;
    finishReason: string | undefined;
    completionEstimate: () => number;
    status: number;
    error: string | undefined;
    present: (charged: ChargedUsage) => void;
  }): Promise<string | undefined> {
    if (this.#done) return undefined;
    this.#done = true;
    const { usage, status, error } = end;
    const estimated = usage === undefined;
    const prompt = usage?.prompt_tokens ?? this.#shape.promptTokens;
    const completion = usage?.completion_tokens ?? end.completionEstimate();
    const cached = cachedTokensOf(usage);
    const reasoning = reasoningTokensOf(usage);
    const insured = completion === 0 && (error !== undefined || end.finishReason === undefined) && !this.#sawReasoning;
    let charged: number;
    try {
      charged = (
        await this.#admission.settle(
          insured
            ? { promptTokens: 0, completionTokens: 0 }
            : { promptTokens: prompt, completionTokens: completion, cachedTokens: cached, estimated },
        )
      ).chargedMicros;
    } catch (cause) {
      await this.#admission.release().catch(() => undefined);
      const failure = new BillingFailedError(cause);
      this.#log('metering: the charge could not be written; the reply is withheld', cause);
      this.#record({
        prompt: 0,
        completion: 0,
        cached: 0,
        reasoning: 0,
        cost: 0,
        estimated: false,
        status: failure.statusCode,
        error: `${failure.code}: ${failure.message}`,
        finishReason: undefined,
      });
      throw failure;
    }
    end.present({ upstream: usage, prompt, completion, cached, reasoning, costMicros: charged });
    const outcome = { prompt, completion, cached, reasoning, estimated, finishReason: end.finishReason };
    let receipt: string | undefined;
    try {
      receipt = await this.#receipt({ prompt, completion, cost: charged });
    } catch (failure) {
      const known = SafeRouterError.isInstance(failure) ? failure : undefined;
      this.#record({
        ...outcome,
        cost: 0,
        status: known?.statusCode ?? 500,
        error: known === undefined ? 'internal_error' : `${known.code}: ${known.message}`,
      });
      throw failure;
    }
    this.#record({ ...outcome, cost: charged, status, error });
    return receipt;
  }

  /** Signs the receipt for what was charged, and commits a sampled request; undefined without evidence. */
  async #receipt(usage: { prompt: number; completion: number; cost: number }): Promise<string | undefined> {
    const evidence = this.#deps.evidence;
    const session = this.#evidence;
    if (evidence === undefined || session === undefined) return undefined;
    const answered = this.#attempts.find((a) => a.ok);
    const { caller, requestId } = this.#call;
    const issued = await issueEvidence({
      evidence,
      session,
      details: {
        requestedModel: this.#requested,
        // The model that answered; when none did, the last one tried.
        model: answered?.modelId ?? this.#attempts.at(-1)?.modelId ?? this.#requested,
        provider: answered?.provider ?? this.#attempts.at(-1)?.provider ?? this.#provider,
        // Whose key answered (or, when none did, was tried last).
        keySource: (answered ?? this.#attempts.at(-1))?.keySource ?? 'gateway',
        // The upstream's own HTTP status per attempt; 0 when none came (network error, timeout).
        attempts: this.#attempts.map((a) => ({
          model: a.modelId,
          provider: a.provider,
          status: a.upstreamStatus ?? 0,
          keySource: a.keySource ?? 'gateway',
        })),
        usage: { prompt_tokens: usage.prompt, completion_tokens: usage.completion },
        costUsd: formatUsd(usage.cost),
      },
      requestId,
      keyId: caller.id,
      ts: this.#deps.clock(),
      billing: this.#deps.billing,
      chargedMicros: usage.cost,
      log: (message, error) => this.#log(message, error),
    });
    return issued.jws;
  }

  /** One entry per attempt; the successful one carries the usage and the charge. */
  #record(
    outcome:
      | {
          prompt: number;
          completion: number;
          cached: number;
          reasoning: number;
          cost: number;
          estimated: boolean;
          status: number;
          error: string | undefined;
          finishReason: string | undefined;
        }
      | undefined,
  ): void {
    const { caller, requestId } = this.#call;
    const now = this.#deps.clock();
    for (const a of this.#attempts) {
      const ok = a.ok && outcome !== undefined;
      const generationMs = ok ? Math.max(0, now - this.#started) : null;
      this.#deps.activity.push({
        id: this.#deps.newId(),
        requestId,
        ts: this.#started,
        keyId: caller.id,
        model: a.modelId,
        provider: a.provider,
        originalModel: this.#requested,
        attempt: a.attempt,
        status: a.ok ? (outcome?.status ?? 200) : (a.error?.statusCode ?? 500),
        error: a.ok ? (outcome?.error ?? null) : a.error ? `${a.error.code}: ${a.error.message}` : 'unknown error',
        latencyMs: Math.round(a.latencyMs),
        ttfbMs: a.ttfbMs === undefined ? null : Math.round(a.ttfbMs),
        promptTokens: ok ? outcome.prompt : 0,
        completionTokens: ok ? outcome.completion : 0,
        costMicros: ok ? outcome.cost : 0,
        stream: this.#stream,
        estimated: ok ? outcome.estimated : false,
        generationId: ok ? (this.#generationId ?? null) : null,
        finishReason: ok ? storableFinishReason(outcome.finishReason) : null,
        cachedTokens: ok ? outcome.cached : 0,
        reasoningTokens: ok ? outcome.reasoning : 0,
        generationMs,
        // The endpoints the client's preferences (or the catalog's rules) excluded, once per request.
        excluded: a.attempt === 1 ? this.#excluded : [],
        keySource: a.keySource ?? 'gateway',
      });
      if (ok && !outcome.estimated && outcome.status === 200 && generationMs !== null) {
        // Throughput counts the answer's own generation: the request's time minus every attempt's
        // time to its result (failed ones, and the answer's time to its first byte).
        const beforeAnswer = this.#attempts.reduce((sum, attempt) => sum + attempt.latencyMs, 0);
        this.#deps.stats?.record({
          model: a.modelId,
          provider: a.provider,
          latencyMs: a.ttfbMs ?? a.latencyMs,
          completionTokens: outcome.completion,
          generationMs: Math.max(1, Math.round(generationMs - beforeAnswer)),
        });
      }
    }
  }

  /** The one entry of a request refused before any attempt (402, 429). */
  #refused(error: SafeRouterError): void {
    const { caller, requestId } = this.#call;
    this.#deps.activity.push({
      id: this.#deps.newId(),
      requestId,
      ts: this.#deps.clock(),
      keyId: caller.id,
      model: this.#requested,
      provider: this.#provider,
      originalModel: this.#requested,
      attempt: 0,
      status: error.statusCode,
      error: `${error.code}: ${error.message}`,
      latencyMs: 0,
      ttfbMs: null,
      promptTokens: 0,
      completionTokens: 0,
      costMicros: 0,
      stream: this.#stream,
      estimated: false,
      excluded: this.#excluded,
    });
  }

  /** Keeps the upstream's chunks (by reference, up to a cap) to estimate a cut stream's output. */
  #retain(chunk: Uint8Array): void {
    if (!this.#sawReasoning && Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).includes(REASONING_PROBE))
      this.#sawReasoning = true;
    if (this.#generationId === undefined && this.#producedBytes === 0) this.#generationId = firstId(chunk);
    if (this.#producedBytes >= MAX_RETAINED_BYTES) return;
    this.#produced.push(chunk);
    this.#producedBytes += chunk.byteLength;
  }

  #log(message: string, error: unknown): void {
    (this.#deps.log ?? console.error)(message, error);
  }
}

const encoder = new TextEncoder();

/** A finish reason the activity log keeps: 1 to 64 characters, else none. */
function storableFinishReason(reason: string | undefined): string | null {
  return reason !== undefined && reason.length > 0 && reason.length <= 64 ? reason : null;
}

/** The first `"id":"…"` of a stream's first chunk: the completion id, before any usage event names it. */
function firstId(chunk: Uint8Array): string | undefined {
  const text = utf8.decode(chunk.subarray(0, 4096));
  const match = /"id"\s*:\s*"([\x21-\x21\x23-\x5b\x5d-\x7e]{1,200})"/.exec(text);
  return match?.[1];
}

/** The SSE comment that carries a stream's receipt, just before its last event. */
function receiptComment(jws: string): Uint8Array {
  return encoder.encode(`: saferouter-receipt ${jws}\n\n`);
}
