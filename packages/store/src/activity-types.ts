/**
 * The activity domain: one entry per upstream attempt (a fallback chain of three makes three
 * entries sharing a `requestId`), and one entry with `attempt: 0` for a request refused before
 * any attempt (out of credit, over a rate limit). Written in batches off the request path; read with filters,
 * cursor pagination and window statistics.
 */

export interface ActivityEntry {
  /** Unique, e.g. `act_…`. */
  id: string;
  /** The gateway's `X-Request-Id`. */
  requestId: string;
  /** Milliseconds since the Unix epoch, when the attempt started. */
  ts: number;
  keyId: string;
  /** Catalog id of the model tried. */
  model: string;
  provider: string;
  /** The model the client asked for. */
  originalModel: string;
  /** 1-based position in the fallback chain; 0 when the request was refused before any attempt. */
  attempt: number;
  /** HTTP status this attempt ended with (200 on success; the upstream's or ours on failure). */
  status: number;
  /** Error code and message on failure, else null. Never contains a secret. */
  error: string | null;
  latencyMs: number;
  ttfbMs: number | null;
  promptTokens: number;
  completionTokens: number;
  costMicros: number;
  stream: boolean;
  /** True when tokens were estimated (client left mid-stream, or the upstream sent no usage). */
  estimated: boolean;
  // The fields below came with migration 5. They are optional so that a writer that does not know
  // them keeps working; every read returns them, with the defaults noted (see `StoredActivityEntry`).
  /** The completion `id` the response carried (what a client passes to `/v1/generation`); default null. */
  generationId?: string | null;
  /** The upstream's `finish_reason` (`stop`, `length`, `tool_calls`, …); default null. */
  finishReason?: string | null;
  /** Prompt tokens served from the provider's cache (part of `promptTokens`); default 0. */
  cachedTokens?: number;
  /** Completion tokens spent on reasoning (part of `completionTokens`); default 0. */
  reasoningTokens?: number;
  /**
   * The endpoints routing left out of this request, and why; default `[]`. Bounded: its JSON is
   * at most `ACTIVITY_EXCLUDED_MAX_BYTES` (see `fitActivityExcluded`).
   */
  excluded?: readonly ActivityExcludedEndpoint[];
  /** Milliseconds from the request's admission to the end of its response (the answering entry only); default null. */
  generationMs?: number | null;
  /**
   * Whose provider key the attempt used (migration 6): the gateway's own, or the key the caller
   * brought (BYOK); default `gateway`. Never the key itself.
   */
  keySource?: ActivityKeySource;
}

/** Whose provider key an attempt used. */
export type ActivityKeySource = 'gateway' | 'byok';

/** Every {@link ActivityKeySource}, for validation. */
export const ACTIVITY_KEY_SOURCES: readonly ActivityKeySource[] = ['gateway', 'byok'];

/** One endpoint routing did not try, as recorded with the request's activity. */
export interface ActivityExcludedEndpoint {
  model: string;
  provider: string;
  /** The constraint that excluded it, e.g. `provider.ignore` or `missing capability: tools`. */
  reason: string;
}

/** An entry as every read returns it: the fields that are optional on write are always present. */
export interface StoredActivityEntry extends ActivityEntry {
  generationId: string | null;
  finishReason: string | null;
  cachedTokens: number;
  reasoningTokens: number;
  excluded: readonly ActivityExcludedEndpoint[];
  generationMs: number | null;
  keySource: ActivityKeySource;
}

/**
 * One observation of an endpoint's speed, from a successful attempt: what routing's `sort:
 * latency` / `throughput` learns from (see `ActivityStore.endpointSamples`).
 */
export interface EndpointSample {
  model: string;
  provider: string;
  latencyMs: number;
  completionTokens: number;
  /** Null when the attempt recorded no generation time. */
  generationMs: number | null;
}

export interface ActivityFilter {
  keyId?: string | undefined;
  model?: string | undefined;
  provider?: string | undefined;
  requestId?: string | undefined;
  /** `success`: status 2xx; `error`: anything else. */
  outcome?: 'success' | 'error' | undefined;
  /** Inclusive lower bound on `ts`. */
  since?: number | undefined;
  /** Exclusive upper bound on `ts`. */
  until?: number | undefined;
}

export interface ActivityPage {
  /** Newest first. */
  entries: StoredActivityEntry[];
  /** Opaque; pass back as `cursor` for the next (older) page. Absent on the last page. */
  nextCursor?: string | undefined;
}

export interface ActivityBreakdown {
  /** The model or provider id. */
  key: string;
  requests: number;
  success: number;
  promptTokens: number;
  completionTokens: number;
  costMicros: number;
}

export interface ActivityStats {
  total: number;
  success: number;
  /** success / total, 0 when empty. */
  successRate: number;
  /** Latency percentiles in ms (nearest-rank), 0 when empty. */
  p50LatencyMs: number;
  p95LatencyMs: number;
  costMicros: number;
  byModel: ActivityBreakdown[];
  byProvider: ActivityBreakdown[];
  /** Only when `bucketMs` was asked for: every bucket of the window, oldest first. */
  buckets?: ActivityBucket[];
}

/**
 * One time bucket of `stats()`: the entries with `start <= ts < start + bucketMs` that also pass
 * the filter (so the first and last bucket of a window that is not aligned are partial).
 */
export interface ActivityBucket {
  /** Epoch ms of the bucket's start: a multiple of `bucketMs` (UTC, counted from the epoch). */
  start: number;
  requests: number;
  success: number;
  promptTokens: number;
  completionTokens: number;
  costMicros: number;
  /** Latency percentiles in ms (nearest-rank, as for the window), 0 for an empty bucket. */
  p50LatencyMs: number;
  p95LatencyMs: number;
}

export interface ActivityStatsOptions {
  /**
   * Split the window into buckets this many ms long, aligned to multiples of it since the epoch.
   * Needs `filter.since` and `filter.until`; at most `ACTIVITY_MAX_BUCKETS` buckets.
   */
  bucketMs?: number | undefined;
}

export interface ActivityStore {
  /** Inserts entries in one transaction. Duplicated ids are ignored (a retried batch is safe). */
  insertMany(entries: readonly ActivityEntry[]): Promise<void>;
  /** Newest first; `limit` default 50, at most 500. @throws {RangeError} on a malformed cursor. */
  list(
    filter: ActivityFilter,
    page?: { limit?: number | undefined; cursor?: string | undefined },
  ): Promise<ActivityPage>;
  /**
   * Window statistics; with `options.bucketMs`, also `buckets`: one per bucket of
   * `[filter.since, filter.until)`, empty ones included with zeros, from one snapshot of the data
   * (the buckets add up to the totals).
   *
   * @throws {InvalidArgumentError} on a malformed filter; with `bucketMs`, when it is not a
   *   positive integer, `since` or `until` is missing, or the window has more than
   *   `ACTIVITY_MAX_BUCKETS` buckets.
   */
  stats(filter: ActivityFilter, options?: ActivityStatsOptions): Promise<ActivityStats>;
  /**
   * Every entry of one request, in attempt order: the request whose `requestId` is `id`, or else
   * the newest one with an entry whose `generationId` is `id`. With `keyId`, only that key's
   * requests are found (another key's id gives `[]`, as an unknown one does).
   *
   * @example
   * const attempts = await store.activity.generation('chatcmpl-123', caller.id);
   * @throws {InvalidArgumentError} when `id` is not a 1–200 character string or `keyId` is malformed.
   */
  generation(id: string, keyId?: string): Promise<StoredActivityEntry[]>;
  /**
   * Recent speed observations, newest first: at most `limit` (1–`ACTIVITY_MAX_SAMPLES`) entries
   * with `ts >= since` of attempts that succeeded (2xx, `attempt >= 1`) with measured, not
   * estimated, tokens.
   *
   * @example
   * stats.load(await store.activity.endpointSamples(Date.now() - 3_600_000, 1_000));
   * @throws {InvalidArgumentError} when `since` is not a timestamp or `limit` is out of bounds.
   */
  endpointSamples(since: number, limit: number): Promise<EndpointSample[]>;
}
