/**
 * The audit domain's rows and list query, written once for both dialects: the column lists, the
 * mapping of a row to a public record (blobs copied into plain `Uint8Array`s, integers checked
 * to be safe), and the newest-first page query with its cursor condition, where SQLite and
 * Postgres could otherwise drift apart.
 */

import { encodeSampleCursor, type SampleCursor } from './audit-inputs.js';
import type { AuditSample, AuditSamplePage, ReceiptRecord } from './audit-types.js';
import { SqlParams, type SqlDialect } from './activity-sql.js';
import { safeInt } from './rows.js';

export interface ReceiptRow {
  request_id: string;
  key_id: string;
  ts: number;
  jws: string;
}

export const RECEIPT_COLUMNS = 'request_id, key_id, ts, jws';

export function toReceiptRecord(row: ReceiptRow): ReceiptRecord {
  return {
    requestId: row.request_id,
    keyId: row.key_id,
    ts: safeInt(row.ts, 'receipts.ts'),
    jws: row.jws,
  };
}

/** Blobs arrive as Buffers (both drivers); callers get plain bytes of their own. */
export interface SampleRow {
  seq: number;
  request_id: string;
  key_id: string;
  ts: number;
  entry: Uint8Array;
  request_salt: Uint8Array;
  response_salt: Uint8Array;
  log_index: number | null;
}

export const SAMPLE_COLUMNS = 'seq, request_id, key_id, ts, entry, request_salt, response_salt, log_index';

export function toAuditSample(row: SampleRow): AuditSample {
  return {
    requestId: row.request_id,
    keyId: row.key_id,
    ts: safeInt(row.ts, 'audit_samples.ts'),
    entry: new Uint8Array(row.entry),
    requestSalt: new Uint8Array(row.request_salt),
    responseSalt: new Uint8Array(row.response_salt),
    index: row.log_index === null ? null : safeInt(row.log_index, 'audit_samples.log_index'),
  };
}

/**
 * One page, newest first: (ts DESC, seq DESC), which the (key_id, ts) and (ts) indexes serve
 * with `seq` as their last column. Asks for `limit + 1` rows: the extra row only says whether
 * another page exists, so the last page never carries a cursor to an empty one.
 */
export function sampleListSql(
  dialect: SqlDialect,
  keyId: string | undefined,
  limit: number,
  cursor: SampleCursor | undefined,
): { text: string; values: (string | number)[] } {
  const params = new SqlParams(dialect);
  const conds: string[] = [];
  if (keyId !== undefined) conds.push(`key_id = ${params.add(keyId)}`);
  // A row-value comparison, so both engines walk the index from the cursor.
  if (cursor !== undefined) conds.push(`(ts, seq) < (${params.add(cursor.ts)}, ${params.add(cursor.seq)})`);
  const where = conds.length === 0 ? '' : `WHERE ${conds.join(' AND ')}`;
  const text = `SELECT ${SAMPLE_COLUMNS} FROM audit_samples ${where} ORDER BY ts DESC, seq DESC LIMIT ${params.add(limit + 1)}`;
  return { text, values: params.values };
}

/** One page from the rows of `sampleListSql` (which fetched `limit + 1`). */
export function toSamplePage(rows: readonly SampleRow[], limit: number): AuditSamplePage {
  const shown = rows.slice(0, limit);
  const samples = shown.map(toAuditSample);
  const last = shown[shown.length - 1];
  return rows.length > limit && last !== undefined
    ? { samples, nextCursor: encodeSampleCursor({ ts: safeInt(last.ts, 'ts'), seq: safeInt(last.seq, 'seq') }) }
    : { samples };
}
