/**
 * Database rows and their mapping to the public records. Both backends use the same snake_case
 * column names, so one mapper per table serves SQLite and Postgres alike; the only dialect
 * difference absorbed here is booleans (SQLite stores 0/1).
 *
 * Postgres returns BIGINT as text unless told otherwise; the Postgres store parses it to a
 * number, and every integer read here is checked to be safe, so a value that a double cannot
 * hold exactly fails loudly instead of silently becoming the wrong amount of money.
 */

import { decodeActivityExcluded, encodeActivityExcluded } from './activity-excluded.js';
import type { ActivityEntry, ActivityKeySource, EndpointSample, StoredActivityEntry } from './activity-types.js';
import type { LedgerEntry, LedgerKind } from './billing-types.js';
import type { KeyRecord, KeyRole } from './types.js';

/**
 * @throws {RangeError} when the database handed back something that is not a safe integer.
 */
export function safeInt(value: unknown, column: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new RangeError(`${column} read from the database is not a safe integer`);
  }
  return value;
}

function nullableInt(value: unknown, column: string): number | null {
  return value === null ? null : safeInt(value, column);
}

export interface KeyRow {
  id: string;
  name: string;
  prefix: string;
  hash: string;
  role: KeyRole;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
  request_count: number;
  rpm_limit: number | null;
  concurrency_limit: number | null;
}

export const KEY_COLUMNS =
  'id, name, prefix, hash, role, created_at, last_used_at, revoked_at, request_count, rpm_limit, concurrency_limit';

export function toKeyRecord(row: KeyRow): KeyRecord {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    hash: row.hash,
    createdAt: safeInt(row.created_at, 'api_keys.created_at'),
    lastUsedAt: nullableInt(row.last_used_at, 'api_keys.last_used_at'),
    revokedAt: nullableInt(row.revoked_at, 'api_keys.revoked_at'),
    requestCount: safeInt(row.request_count, 'api_keys.request_count'),
    role: row.role,
    limits: {
      rpm: nullableInt(row.rpm_limit, 'api_keys.rpm_limit'),
      concurrency: nullableInt(row.concurrency_limit, 'api_keys.concurrency_limit'),
    },
  };
}

export interface LedgerRow {
  id: string;
  key_id: string;
  ts: number;
  kind: LedgerKind;
  amount_micros: number;
  request_id: string | null;
  note: string | null;
}

export const LEDGER_COLUMNS = 'id, key_id, ts, kind, amount_micros, request_id, note';

export function toLedgerEntry(row: LedgerRow): LedgerEntry {
  return {
    id: row.id,
    keyId: row.key_id,
    ts: safeInt(row.ts, 'ledger.ts'),
    kind: row.kind,
    amountMicros: safeInt(row.amount_micros, 'ledger.amount_micros'),
    requestId: row.request_id,
    note: row.note,
  };
}

export interface ActivityRow {
  id: string;
  request_id: string;
  ts: number;
  key_id: string;
  model: string;
  provider: string;
  original_model: string;
  attempt: number;
  status: number;
  error: string | null;
  latency_ms: number;
  ttfb_ms: number | null;
  prompt_tokens: number;
  completion_tokens: number;
  cost_micros: number;
  stream: boolean | number;
  estimated: boolean | number;
  generation_id: string | null;
  finish_reason: string | null;
  cached_tokens: number;
  reasoning_tokens: number;
  excluded: string | null;
  generation_ms: number | null;
  key_source: ActivityKeySource;
}

/** Column order used for inserts and selects; matches `activityValues`. */
export const ACTIVITY_COLUMN_LIST = [
  'id',
  'request_id',
  'ts',
  'key_id',
  'model',
  'provider',
  'original_model',
  'attempt',
  'status',
  'error',
  'latency_ms',
  'ttfb_ms',
  'prompt_tokens',
  'completion_tokens',
  'cost_micros',
  'stream',
  'estimated',
  'generation_id',
  'finish_reason',
  'cached_tokens',
  'reasoning_tokens',
  'excluded',
  'generation_ms',
  'key_source',
] as const;

export const ACTIVITY_COLUMNS = ACTIVITY_COLUMN_LIST.join(', ');

/**
 * An entry's values in `ACTIVITY_COLUMN_LIST` order, booleans as the dialect wants them, and the
 * defaults for the fields an older writer leaves out.
 */
export function activityValues<B>(e: ActivityEntry, bool: (b: boolean) => B): (string | number | null | B)[] {
  return [
    e.id,
    e.requestId,
    e.ts,
    e.keyId,
    e.model,
    e.provider,
    e.originalModel,
    e.attempt,
    e.status,
    e.error,
    e.latencyMs,
    e.ttfbMs,
    e.promptTokens,
    e.completionTokens,
    e.costMicros,
    bool(e.stream),
    bool(e.estimated),
    e.generationId ?? null,
    e.finishReason ?? null,
    e.cachedTokens ?? 0,
    e.reasoningTokens ?? 0,
    encodeActivityExcluded(e.excluded ?? []),
    e.generationMs ?? null,
    e.keySource ?? 'gateway',
  ];
}

export function toActivityEntry(row: ActivityRow): StoredActivityEntry {
  return {
    id: row.id,
    requestId: row.request_id,
    ts: safeInt(row.ts, 'activity.ts'),
    keyId: row.key_id,
    model: row.model,
    provider: row.provider,
    originalModel: row.original_model,
    attempt: row.attempt,
    status: row.status,
    error: row.error,
    latencyMs: row.latency_ms,
    ttfbMs: row.ttfb_ms,
    promptTokens: row.prompt_tokens,
    completionTokens: row.completion_tokens,
    costMicros: safeInt(row.cost_micros, 'activity.cost_micros'),
    stream: row.stream === true || row.stream === 1,
    estimated: row.estimated === true || row.estimated === 1,
    generationId: row.generation_id,
    finishReason: row.finish_reason,
    cachedTokens: row.cached_tokens,
    reasoningTokens: row.reasoning_tokens,
    excluded: decodeActivityExcluded(row.excluded),
    generationMs: row.generation_ms,
    keySource: row.key_source,
  };
}

/** A row of the `endpointSamples()` query. */
export interface EndpointSampleRow {
  model: string;
  provider: string;
  latency_ms: number;
  completion_tokens: number;
  generation_ms: number | null;
}

export function toEndpointSample(row: EndpointSampleRow): EndpointSample {
  return {
    model: row.model,
    provider: row.provider,
    latencyMs: row.latency_ms,
    completionTokens: row.completion_tokens,
    generationMs: row.generation_ms,
  };
}
