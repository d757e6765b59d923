/**
 * The activity queries, written once for both dialects. Filters, ordering and the cursor
 * condition are where SQLite and Postgres could quietly drift apart, so both backends build
 * their SQL here and only the placeholder style (`?` or `$n`) and the percentile differ.
 */

import { encodeActivityCursor, type ActivityCursor } from './activity-inputs.js';
import type { ActivityBreakdown, ActivityFilter, ActivityPage, ActivityStats } from './activity-types.js';
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

/** A row of `activityStatsSql`: dim `all` once, then one per model and per provider. */
export interface StatsRow {
  dim: 'all' | 'model' | 'provider';
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
 * Totals and both breakdowns in one statement (one round trip on Postgres). Postgres computes
 * the nearest-rank percentiles itself (`percentile_disc` takes row ⌈p·n⌉); SQLite has no such
 * aggregate, so its rows carry NULL and the caller asks `activityPercentileSql`.
 */
export function activityStatsSql(
  dialect: SqlDialect,
  filter: ActivityFilter,
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
  const text = `
    SELECT 'all' AS dim, '' AS key, ${sums}, ${pct} FROM activity ${whereClause(filter, params)}
    UNION ALL
    SELECT 'model', model, ${sums}, NULL, NULL FROM activity ${whereClause(filter, params)} GROUP BY model
    UNION ALL
    SELECT 'provider', provider, ${sums}, NULL, NULL FROM activity ${whereClause(filter, params)} GROUP BY provider`;
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
export function toActivityStats(rows: readonly StatsRow[], p50: number, p95: number): ActivityStats {
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
  return {
    total,
    success,
    successRate: total === 0 ? 0 : success / total,
    p50LatencyMs: total === 0 ? 0 : p50,
    p95LatencyMs: total === 0 ? 0 : p95,
    costMicros: all === undefined ? 0 : safeInt(all.cost_micros, 'cost_micros'),
    byModel: breakdown('model'),
    byProvider: breakdown('provider'),
  };
}
