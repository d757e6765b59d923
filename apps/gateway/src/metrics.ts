/**
 * The gateway's Prometheus metrics (prom-client), in a registry of their own: never prom-client's
 * global one, so two gateways in one process (tests) do not share counters, and a cluster primary
 * can aggregate its workers' registries (`json()` → prom-client's `AggregatorRegistry.aggregate`).
 *
 * Where each metric comes from:
 * - the request, token, spend, error and fallback metrics from the activity entries metering
 *   writes (`wrapActivity`): one entry per upstream attempt, and one (`attempt: 0`) per request
 *   refused before any attempt, so nothing on the request path computes them twice;
 * - `saferouter_inflight_requests` and `saferouter_request_duration_seconds` from the HTTP layer
 *   (`requestStarted`, called by the middleware in ./routes/metrics.ts), since only it sees a
 *   streamed response end;
 * - `saferouter_holds_usd` from the billing store as this gateway uses it (`wrapBillingStore`):
 *   the store has no "sum of all holds" query, and a metric is no reason to add one.
 *
 * Label values are bounded: a model or provider id is used only if the catalog lists it (else
 * `other`; a client-chosen prefix-routed id never becomes a series), a status is an exact code from
 * a fixed set or its class, and an error code is one of a fixed set or `other` (./metric-labels.ts).
 */
import {
  collectDefaultMetrics,
  Counter,
  Gauge,
  Registry,
  type MetricObjectWithValues,
  type MetricValue,
} from 'prom-client';
import type { Catalog } from '@saferouter/router';
import type { ActivitySink } from '@saferouter/metering';
import type { ActivityEntry, BillingStore } from '@saferouter/store';
import { BucketHistogram, type HistogramSeries } from './histogram.js';
import { OTHER, statusLabel, upstreamErrorCode } from './metric-labels.js';

/** Seconds; the last buckets cover long streamed answers. */
const DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
/** Seconds; upstreams answer their first byte in well under a second, or time out (default 60 s). */
const TTFB_BUCKETS = [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** Token counts per `direction`; `cached` is part of `prompt`, `reasoning` part of `completion`. */
export const TOKEN_DIRECTIONS = ['prompt', 'completion', 'cached', 'reasoning'] as const;

export interface MetricsOptions {
  /** Model and provider label values come only from its `list()`; anything else is `other`. */
  catalog: Pick<Catalog, 'list'>;
  /** Default a fresh `Registry`. */
  registry?: Registry | undefined;
  /** Node's default process metrics (`collectDefaultMetrics`) in the registry; default true. */
  processMetrics?: boolean | undefined;
  /** Monotonic milliseconds, for request durations; default `performance.now`. */
  now?: (() => number) | undefined;
}

export interface Metrics {
  readonly registry: Registry;
  /** The Prometheus text format's content type (`registry.contentType`). */
  readonly contentType: string;
  /**
   * The sink to give metering: every entry goes on to `inner` first, unchanged, then feeds the
   * request, token, spend, upstream error and fallback metrics. A failure to count never loses
   * an entry.
   */
  wrapActivity(inner: ActivitySink): ActivitySink;
  /**
   * The billing store to give `createBilling`: calls pass straight through, and the holds this
   * gateway placed and has not yet settled, released or seen expire are summed for
   * `saferouter_holds_usd`.
   */
  wrapBillingStore(store: BillingStore): BillingStore;
  /**
   * A chat or responses request arrived: counts it in flight until the returned function is
   * called (when its response, a stream included, has ended), which also observes its duration.
   * Calling it again does nothing.
   */
  requestStarted(): () => void;
  /** This process's metrics in the Prometheus text format. */
  scrape(): Promise<string>;
  /** This process's metrics as prom-client JSON: what `AggregatorRegistry.aggregate` sums across workers. */
  json(): Promise<MetricObjectWithValues<MetricValue<string>>[]>;
}

/** A count to add: a positive finite number, else 0 (a counter only goes up, by real amounts). */
function amount(n: number | null | undefined): number {
  return n !== null && n !== undefined && n > 0 && n < Number.POSITIVE_INFINITY ? n : 0;
}

/**
 * What is counted on the request path per model label, as plain numbers, and added to the
 * prom-client counters when they are collected (each scrape): a prom-client `inc` validates and
 * hashes its labels on every call, which under load cost more than the rest of the metrics
 * together (CPU profiles, `pnpm bench` with BENCH_SECOND=quiet). Label sets are found through
 * nested maps keyed by label values the catalog bounds, so counting builds no key strings.
 */
interface ModelCounts {
  /** Tokens not yet collected, per `TOKEN_DIRECTIONS` index. */
  tokens: number[];
  /** Everything charged, in micro-dollars (the spend counters are set from it at each scrape). */
  spentMicros: number;
  providers: Map<string, PairCounts>;
}

interface PairCounts {
  model: ModelCounts;
  /** Requests not yet collected, by status code as the entry has it (labelled at collection). */
  statuses: Map<number, number>;
  ttfb: HistogramSeries;
}

/**
 * Builds the metrics over a registry of their own.
 *
 * @example
 * const metrics = createMetrics({ catalog });
 * const chat = createMeteredChat({ ..., activity: metrics.wrapActivity(activity) });
 * const text = await metrics.scrape(); // Prometheus text format
 */
export function createMetrics(options: MetricsOptions): Metrics {
  const registry = options.registry ?? new Registry();
  const now = options.now ?? (() => performance.now());
  const registers = [registry];

  const models = new Set<string>();
  const providers = new Set<string>(['saferouter']); // metering's provider for a refusal with no route
  for (const entry of options.catalog.list()) {
    models.add(entry.id);
    providers.add(entry.provider);
    for (const endpoint of entry.endpoints) providers.add(endpoint.provider);
  }
  const modelLabel = (id: string): string => (models.has(id) ? id : OTHER);
  const providerLabel = (id: string): string => (providers.has(id) ? id : OTHER);

  // Per model label, then per provider label: every count the request path makes.
  const counted = new Map<string, ModelCounts>();
  new Counter({
    name: 'saferouter_requests_total',
    help: 'Upstream attempts by model, provider and status, plus requests refused before any attempt (402, 429, no endpoint). A request that fell back counts once per attempt.',
    labelNames: ['model', 'provider', 'status'] as const,
    registers,
    collect() {
      for (const [model, counts] of counted)
        for (const [provider, pair] of counts.providers)
          for (const [status, n] of pair.statuses) {
            if (n === 0) continue;
            this.inc({ model, provider, status: statusLabel(status) }, n);
            pair.statuses.set(status, 0);
          }
    },
  });
  const duration = new BucketHistogram({
    name: 'saferouter_request_duration_seconds',
    help: 'Chat completion and responses requests, from arrival to the end of the response (the last byte of a stream).',
    buckets: DURATION_BUCKETS,
    registers,
  }).series({});
  const ttfb = new BucketHistogram({
    name: 'saferouter_time_to_first_byte_seconds',
    help: "Upstream time to first byte of each attempt that answered (a stream's first chunk, a reply's headers), by model and provider.",
    labelNames: ['model', 'provider'] as const,
    buckets: TTFB_BUCKETS,
    registers,
  });
  new Counter({
    name: 'saferouter_tokens_total',
    help: 'Tokens of answered requests by the model that answered; direction prompt, completion, cached (part of prompt), reasoning (part of completion). Estimated counts included.',
    labelNames: ['model', 'direction'] as const,
    registers,
    collect() {
      for (const [model, counts] of counted)
        for (let i = 0; i < TOKEN_DIRECTIONS.length; i++) {
          const n = counts.tokens[i] as number;
          if (n === 0) continue;
          this.inc({ model, direction: TOKEN_DIRECTIONS[i] as string }, n);
          counts.tokens[i] = 0;
        }
    },
  });
  // Money is integer micro-dollars end to end; dollars are derived from the exact sum at scrape.
  new Counter({
    name: 'saferouter_spend_micros_total',
    help: 'Charged to keys, in integer micro-dollars (1 USD = 1000000), by the model that answered.',
    labelNames: ['model'] as const,
    registers,
    collect() {
      this.reset();
      for (const [model, counts] of counted) if (counts.spentMicros > 0) this.inc({ model }, counts.spentMicros);
    },
  });
  new Counter({
    name: 'saferouter_spend_usd_total',
    help: 'Charged to keys, in USD, by the model that answered (saferouter_spend_micros_total / 1e6).',
    labelNames: ['model'] as const,
    registers,
    collect() {
      this.reset();
      for (const [model, counts] of counted)
        if (counts.spentMicros > 0) this.inc({ model }, counts.spentMicros / 1_000_000);
    },
  });
  const upstreamErrors = new Counter({
    name: 'saferouter_upstream_errors_total',
    help: 'Upstream attempts that failed (an error status, unreachable, timeout, a stream cut), by provider and error code.',
    labelNames: ['provider', 'code'] as const,
    registers,
  });
  const fallbacks = new Counter({
    name: 'saferouter_fallbacks_total',
    help: 'Requests answered by a fallback: from the model of the first attempt, to the model that answered.',
    labelNames: ['from', 'to'] as const,
    registers,
  });
  let inflight = 0;
  new Gauge({
    name: 'saferouter_inflight_requests',
    help: 'Chat completion and responses requests whose response (a stream included) has not ended.',
    registers,
    collect() {
      this.set(inflight);
    },
  });
  // Holds this process placed and has not settled, released or seen expire: id → amount, expiry.
  const holds = new Map<string, { micros: number; expiresAt: number }>();
  let heldMicros = 0;
  const dropHold = (id: string): void => {
    const hold = holds.get(id);
    if (hold === undefined) return;
    holds.delete(id);
    heldMicros -= hold.micros;
  };
  new Gauge({
    name: 'saferouter_holds_usd',
    help: "Credit held for requests in flight (the worst case of each, until it settles), in USD: this process's holds; summed across workers.",
    registers,
    collect() {
      this.set(heldMicros / 1_000_000);
    },
  });
  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry });

  /** The first attempt of the request whose entries are being written (they come in order, at once). */
  let first: { requestId: string; model: string } | undefined;

  /** The counts of a model and provider label pair, made on first use. */
  function countsOf(model: string, provider: string): PairCounts {
    let counts = counted.get(model);
    if (counts === undefined) {
      counts = { tokens: TOKEN_DIRECTIONS.map(() => 0), spentMicros: 0, providers: new Map() };
      counted.set(model, counts);
    }
    let pair = counts.providers.get(provider);
    if (pair === undefined) {
      pair = { model: counts, statuses: new Map(), ttfb: ttfb.series({ model, provider }) };
      counts.providers.set(provider, pair);
    }
    return pair;
  }

  function count(entry: ActivityEntry): void {
    const model = modelLabel(entry.model);
    const provider = providerLabel(entry.provider);
    const pair = countsOf(model, provider);
    pair.statuses.set(entry.status, (pair.statuses.get(entry.status) ?? 0) + 1);
    if (entry.ttfbMs !== null) pair.ttfb.observe(entry.ttfbMs / 1000);
    const tokens = pair.model.tokens as [number, number, number, number];
    tokens[0] += amount(entry.promptTokens);
    tokens[1] += amount(entry.completionTokens);
    tokens[2] += amount(entry.cachedTokens);
    tokens[3] += amount(entry.reasoningTokens);
    pair.model.spentMicros += amount(entry.costMicros);
    if (entry.attempt >= 1) {
      const code = upstreamErrorCode(entry.error);
      if (code !== undefined) upstreamErrors.inc({ provider, code });
    }
    if (entry.attempt === 1) first = { requestId: entry.requestId, model: entry.model };
    // The answering entry is the one with a generation time (see ActivityEntry.generationMs).
    const answered = entry.generationMs !== undefined && entry.generationMs !== null;
    if (answered && entry.attempt > 1) {
      const from = first?.requestId === entry.requestId ? first.model : entry.originalModel;
      fallbacks.inc({ from: modelLabel(from), to: model });
    }
  }

  return {
    registry,
    contentType: registry.contentType,
    wrapActivity(inner) {
      return {
        push(entry) {
          inner.push(entry);
          try {
            count(entry);
          } catch {
            // A metric is never worth an exception on the request path; the entry is written.
          }
        },
      };
    },
    wrapBillingStore(store) {
      return {
        balance: (keyId) => store.balance(keyId),
        credit: (input) => store.credit(input),
        // `then`, not async wrappers: one promise per call on the request path instead of two.
        placeHold: (hold) =>
          store.placeHold(hold).then((result) => {
            if (result.ok && !holds.has(hold.id)) {
              holds.set(hold.id, { micros: hold.amountMicros, expiresAt: hold.expiresAt });
              heldMicros += hold.amountMicros;
            }
            return result;
          }),
        settle: (holdId, input) =>
          store.settle(holdId, input).then((result) => {
            dropHold(holdId);
            return result;
          }),
        async release(holdId) {
          await store.release(holdId);
          dropHold(holdId);
        },
        async expireHolds(at) {
          const n = await store.expireHolds(at);
          for (const [id, hold] of holds) if (hold.expiresAt < at) dropHold(id);
          return n;
        },
        ledger: (keyId, ledgerOptions) => store.ledger(keyId, ledgerOptions),
        ledgerSum: (keyId) => store.ledgerSum(keyId),
      };
    },
    requestStarted() {
      const started = now();
      inflight++;
      let ended = false;
      return () => {
        if (ended) return;
        ended = true;
        inflight--;
        duration.observe(Math.max(0, now() - started) / 1000);
      };
    },
    scrape: () => registry.metrics(),
    json: () => registry.getMetricsAsJSON(),
  };
}
