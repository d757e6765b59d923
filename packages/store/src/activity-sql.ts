/**
 * The activity queries, written once for both dialects. Filters, ordering and the cursor
 * condition are where SQLite and Postgres could quietly drift apart, so both backends build
 * their SQL here and only the placeholder style (`?` or `$n`) and the percentile differ.
 */

import { encodeActivityCursor, type ActivityBuckets, type ActivityCursor } from './activity-inputs.js';
import type {
  ActivityBreakdown,
  ActivityBucket,
  ActivityFilter,
  ActivityPage,
  ActivityStats,
} from './activity-types.js';
import { ACTIVITY_COLUMNS, safeInt, toActivityEntry, type ActivityRow } from './rows.js';

/**
 * One page from the rows of a list query, which fetches `limit + 1` rows: the extra row only
 * says that another page exists, and the cursor points after the last entry shown.
 */
export function toActivityPage(rows: readonly ActivityRow[], limit: number): ActivityPage {
  const entries = rows.slice(0, limit).map(toActivityEntry);
  const last = entries[entries.length - 1];
  return rows.length > limit && last !== undefined
    ? { entries, nextCursor: encodeActivityCursor({ ts: last.ts, id: last.id }) }
    : { entries };
}

export type SqlDialect = 'sqlite' | 'postgres';

/** Collects parameters in order and hands back the placeholder for each. */
export class SqlParams {
  readonly values: (string | number)[] = [];
  constructor(private readonly dialect: SqlDialect) {}

  add(value: string | number): string {
    this.values.push(value);
    return this.dialect === 'postgres' ? `$${this.values.length}` : '?';
  }
}

const SUCCESS = 'status BETWEEN 200 AND 299';

function whereClause(filter: ActivityFilter, params: SqlParams, cursor?: ActivityCursor): string {
  const conds: string[] = [];
  if (filter.keyId !== undefined) conds.push(`key_id = ${params.add(filter.keyId)}`);
  if (filter.model !== undefined) conds.push(`model = ${params.add(filter.model)}`);
  if (filter.provider !== undefined) conds.push(`provider = ${params.add(filter.provider)}`);
  if (filter.requestId !== undefined) conds.push(`request_id = ${params.add(filter.requestId)}`);
  if (filter.outcome === 'success') conds.push(SUCCESS);
  if (filter.outcome === 'error') conds.push(`NOT (${SUCCESS})`);
  if (filter.since !== undefined) conds.push(`ts >= ${params.add(filter.since)}`);
  if (filter.until !== undefined) conds.push(`ts < ${params.add(filter.until)}`);
  // A row-value comparison, so both engines can walk the (ts DESC, id DESC) index from the cursor.
  if (cursor !== undefined) conds.push(`(ts, id) < (${params.add(cursor.ts)}, ${params.add(cursor.id)})`);
  return conds.length === 0 ? '' : `WHERE ${conds.join(' AND ')}`;
}

/**
 * One page, newest first. Asks for `limit + 1` rows: the extra row only says whether another
 * page exists, so the last page never carries a cursor to an empty one.
 */
export function activityListSql(
  dialect: SqlDialect,
  filter: ActivityFilter,
  limit: number,
  cursor: ActivityCursor | undefined,
): { text: string; values: (string | number)[] } {
  const params = new SqlParams(dialect);
  const where = whereClause(filter, params, cursor);
  const text = `SELECT ${ACTIVITY_COLUMNS} FROM activity ${where} ORDER BY ts DESC, id DESC LIMIT ${params.add(limit + 1)}`;
  return { text, values: params.values };
}

/**
 * Every entry of one request, in attempt order. The request is found by its id first, else as the
 * newest request with an entry carrying that generation id: an upstream that repeats completion
 * ids must not merge several requests into one answer. Both lookups ride an index
 * (`activity_request_id`, and the partial `activity_generation_id`, which `generation_id = ?`
 * implies), and with `keyId` another key's request is never found.
 */
export function activityGenerationSql(
  dialect: SqlDialect,
  id: string,
  keyId: string | undefined,
): { text: string; values: (string | number)[] } {
  const params = new SqlParams(dialect);
  const byKey = (): string => (keyId === undefined ? '' : ` AND key_id = ${params.add(keyId)}`);
  const byRequest = `SELECT request_id, 0 AS pass, ts, id FROM activity WHERE request_id = ${params.add(id)}${byKey()}`;
  const byGeneration = `SELECT request_id, 1, ts, id FROM activity WHERE generation_id = ${params.add(id)}${byKey()}`;
  const found = `SELECT request_id FROM (${byRequest} UNION ALL ${byGeneration}) AS found
    ORDER BY pass, ts DESC, id DESC LIMIT 1`;
  const text = `SELECT ${ACTIVITY_COLUMNS} FROM activity WHERE request_id = (${found})${byKey()}
    ORDER BY attempt, ts, id`;
  return { text, values: params.values };
}

/**
 * Recent successful attempts with measured tokens, newest first: walks the (ts DESC, id DESC)
 * index from the newest entry and stops after `limit` matches.
 */
export function activityEndpointSamplesSql(
  dialect: SqlDialect,
  since: number,
  limit: number,
): { text: string; values: (string | number)[] } {
  const params = new SqlParams(dialect);
  const text = `SELECT model, provider, latency_ms, completion_tokens, generation_ms FROM activity
    WHERE ts >= ${params.add(since)} AND ${SUCCESS} AND attempt >= 1 AND NOT estimated
    ORDER BY ts DESC, id DESC LIMIT ${params.add(limit)}`;
  return { text, values: params.values };
}

/**
 * A row of `activityStatsSql`: dim `all` once, then one per model and per provider, and with
 * buckets one per non-empty bucket (`key` is the bucket's number, `floor(ts / bucketMs)`).
 */
export interface StatsRow {
  dim: 'all' | 'model' | 'provider' | 'bucket';
  key: string;
  requests: number;
  success: number;
  prompt_tokens: number;
  completion_tokens: number;
  cost_micros: number;
  p50: number | null;
  p95: number | null;
}

/**
 * SQLite's nearest-rank percentile over a group whose rows carry their 1-based rank `rn` in
 * latency order and the group's size `n`: the latency of the row with `rn = ⌈pct/100 · n⌉`,
 * written in integers (`rn ≥ pct·n/100 > rn − 1`) so it agrees with Postgres's
 * `percentile_disc` (see `nearestRank`).
 */
function sqliteRankedPercentile(pct: number): string {
  return `MAX(CASE WHEN rn * 100 >= ${pct} * n AND (rn - 1) * 100 < ${pct} * n THEN latency_ms END)`;
}

/**
 * Totals and both breakdowns in one statement (one round trip on Postgres, and one snapshot, so
 * the buckets add up to the totals). Postgres computes the nearest-rank percentiles itself
 * (`percentile_disc` takes row ⌈p·n⌉); SQLite has no such aggregate, so its `all` row carries NULL
 * and the caller asks `activityPercentileSql`, while its bucket rows rank latencies with window
 * functions. The bucket number is an integer division (`ts` is never negative, so it floors).
 */
export function activityStatsSql(
  dialect: SqlDialect,
  filter: ActivityFilter,
  buckets?: ActivityBuckets,
): { text: string; values: (string | number)[] } {
  const params = new SqlParams(dialect);
  const sums = `CAST(COUNT(*) AS BIGINT) AS requests,
      CAST(COALESCE(SUM(CASE WHEN ${SUCCESS} THEN 1 ELSE 0 END), 0) AS BIGINT) AS success,
      CAST(COALESCE(SUM(prompt_tokens), 0) AS BIGINT) AS prompt_tokens,
      CAST(COALESCE(SUM(completion_tokens), 0) AS BIGINT) AS completion_tokens,
      CAST(COALESCE(SUM(cost_micros), 0) AS BIGINT) AS cost_micros`;
  const pct =
    dialect === 'postgres'
      ? `percentile_disc(0.5) WITHIN GROUP (ORDER BY latency_ms) AS p50,
         percentile_disc(0.95) WITHIN GROUP (ORDER BY latency_ms) AS p95`
      : 'NULL AS p50, NULL AS p95';
  let text = `
    SELECT 'all' AS dim, '' AS key, ${sums}, ${pct} FROM activity ${whereClause(filter, params)}
    UNION ALL
    SELECT 'model', model, ${sums}, NULL, NULL FROM activity ${whereClause(filter, params)} GROUP BY model
    UNION ALL
    SELECT 'provider', provider, ${sums}, NULL, NULL FROM activity ${whereClause(filter, params)} GROUP BY provider`;
  if (buckets !== undefined) {
    // The bucket size is bound as a parameter; the CAST keeps the division integral (SQLite
    // binds a JS number as REAL).
    const bucketed = `SELECT ts / CAST(${params.add(buckets.bucketMs)} AS BIGINT) AS b, status, latency_ms,
        prompt_tokens, completion_tokens, cost_micros FROM activity ${whereClause(filter, params)}`;
    text +=
      dialect === 'postgres'
        ? `
    UNION ALL
    SELECT 'bucket', CAST(b AS TEXT), ${sums}, percentile_disc(0.5) WITHIN GROUP (ORDER BY latency_ms),
      percentile_disc(0.95) WITHIN GROUP (ORDER BY latency_ms)
    FROM (${bucketed}) AS t GROUP BY b`
        : `
    UNION ALL
    SELECT 'bucket', CAST(b AS TEXT), ${sums}, ${sqliteRankedPercentile(50)}, ${sqliteRankedPercentile(95)}
    FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY b ORDER BY latency_ms) AS rn,
            COUNT(*) OVER (PARTITION BY b) AS n
          FROM (${bucketed})) GROUP BY b`;
  }
  return { text, values: params.values };
}

/** The latency at 1-based `rank` in ascending order (SQLite's percentile). */
export function activityPercentileSql(
  filter: ActivityFilter,
  rank: number,
): { text: string; values: (string | number)[] } {
  const params = new SqlParams('sqlite');
  const where = whereClause(filter, params);
  const text = `SELECT latency_ms FROM activity ${where} ORDER BY latency_ms LIMIT 1 OFFSET ${params.add(rank - 1)}`;
  return { text, values: params.values };
}

/**
 * Nearest-rank: the smallest value with at least `p` of the data at or below it, i.e. the value
 * at 1-based position ⌈p·n⌉. The same floating-point formula Postgres uses, so both agree.
 *
 * @example
 * nearestRank(0.95, 20); // 19
 */
export function nearestRank(p: number, n: number): number {
  return Math.max(1, Math.ceil(p * n));
}

/**
 * Assembles `ActivityStats` from the rows of `activityStatsSql`. Breakdowns are sorted by
 * requests, most first, then by key, so the output does not depend on the engine's grouping.
 */
export function toActivityStats(
  rows: readonly StatsRow[],
  p50: number,
  p95: number,
  buckets?: ActivityBuckets,
): ActivityStats {
  const all = rows.find((r) => r.dim === 'all');
  const total = all === undefined ? 0 : safeInt(all.requests, 'requests');
  const success = all === undefined ? 0 : safeInt(all.success, 'success');
  const breakdown = (dim: StatsRow['dim']): ActivityBreakdown[] =>
    rows
      .filter((r) => r.dim === dim)
      .map((r) => ({
        key: r.key,
        requests: safeInt(r.requests, 'requests'),
        success: safeInt(r.success, 'success'),
        promptTokens: safeInt(r.prompt_tokens, 'prompt_tokens'),
        completionTokens: safeInt(r.completion_tokens, 'completion_tokens'),
        costMicros: safeInt(r.cost_micros, 'cost_micros'),
      }))
      .sort((a, b) => b.requests - a.requests || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const stats: ActivityStats = {
    total,
    success,
    successRate: total === 0 ? 0 : success / total,
    p50LatencyMs: total === 0 ? 0 : p50,
    p95LatencyMs: total === 0 ? 0 : p95,
    costMicros: all === undefined ? 0 : safeInt(all.cost_micros, 'cost_micros'),
    byModel: breakdown('model'),
    byProvider: breakdown('provider'),
  };
  if (buckets !== undefined) stats.buckets = toBuckets(rows, buckets);
  return stats;
}

/** Every bucket of the window, oldest first: the rows' non-empty ones, zeros for the rest. */
function toBuckets(rows: readonly StatsRow[], { bucketMs, first, count }: ActivityBuckets): ActivityBucket[] {
  const filled = new Map<number, StatsRow>();
  for (const r of rows) if (r.dim === 'bucket') filled.set(Number(r.key), r);
  return Array.from({ length: count }, (_, i) => {
    const start = (first + i) * bucketMs;
    const r = filled.get(first + i);
    if (r === undefined) {
      return {
        start,
        requests: 0,
        success: 0,
        promptTokens: 0,
        completionTokens: 0,
        costMicros: 0,
        p50LatencyMs: 0,
        p95LatencyMs: 0,
      };
    }
    return {
      start,
      requests: safeInt(r.requests, 'requests'),
      success: safeInt(r.success, 'success'),
      promptTokens: safeInt(r.prompt_tokens, 'prompt_tokens'),
      completionTokens: safeInt(r.completion_tokens, 'completion_tokens'),
      costMicros: safeInt(r.cost_micros, 'cost_micros'),
      p50LatencyMs: safeInt(r.p50 ?? 0, 'p50'),
      p95LatencyMs: safeInt(r.p95 ?? 0, 'p95'),
    };
  });
}
