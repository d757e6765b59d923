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
  entries: ActivityEntry[];
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
}
