/**
 * The audit domain on Postgres (see audit-types.ts), shared by every gateway replica.
 *
 * - `addSample` is one INSERT: durable when it returns, no transaction round trips on the
 *   request path. The request id's primary key turns a second sample into a `conflict`.
 * - `putReceipts` is one multi-row `INSERT … ON CONFLICT DO NOTHING` (a batch too large for one
 *   statement is split inside one transaction, so it stays all-or-nothing).
 * - `integrate` is one transaction: `commitTlog` (which locks the log's checkpoint row, exactly
 *   as `TlogStore.commit` does, so a replica committing the same log waits and then conflicts),
 *   then one UPDATE that sets every named index only where none is set yet. Fewer rows updated
 *   than named means a sample is missing or already integrated: the transaction rolls back.
 */

import {
  assertNewSample,
  assertPendingLimit,
  assertReceipts,
  assertRequestId,
  assertSampleFilter,
  assertSampleIndexes,
  resolveSamplePage,
} from './audit-inputs.js';
import {
  RECEIPT_COLUMNS,
  SAMPLE_COLUMNS,
  sampleListSql,
  toAuditSample,
  toReceiptRecord,
  toSamplePage,
  type ReceiptRow,
  type SampleRow,
} from './audit-sql.js';
import type { AuditStore, ReceiptRecord } from './audit-types.js';
import { StoreError } from './errors.js';
import { isPgUniqueViolation, type PgSql } from './postgres-sql.js';
import { commitTlog } from './postgres-tlog.js';
import { assertLogName, assertTlogCommit } from './tlog-inputs.js';
import { assertTimestamp } from './validate.js';

/** Rows per INSERT: 4 parameters each, far below the protocol's 65,535. */
const RECEIPTS_PER_STATEMENT = 1000;

function insertReceipts(receipts: readonly ReceiptRecord[]): { text: string; values: (string | number)[] } {
  const values: (string | number)[] = [];
  const tuples = receipts.map((r) => {
    values.push(r.requestId, r.keyId, r.ts, r.jws);
    const n = values.length;
    return `($${n - 3}, $${n - 2}, $${n - 1}::bigint, $${n})`;
  });
  return {
    text: `INSERT INTO receipts (${RECEIPT_COLUMNS}) VALUES ${tuples.join(', ')} ON CONFLICT (request_id) DO NOTHING`,
    values,
  };
}

/**
 * @example
 * const audit = createPostgresAuditStore(sql, ensureOpen);
 */
export function createPostgresAuditStore(sql: PgSql, ensureOpen: () => void): AuditStore {
  const receiptColumns = sql.unsafe(RECEIPT_COLUMNS);
  const sampleColumns = sql.unsafe(SAMPLE_COLUMNS);

  return {
    async putReceipts(receipts) {
      ensureOpen();
      assertReceipts(receipts);
      if (receipts.length === 0) return;
      if (receipts.length <= RECEIPTS_PER_STATEMENT) {
        const { text, values } = insertReceipts(receipts);
        await sql.unsafe(text, values);
        return;
      }
      await sql.begin(async (tx) => {
        for (let i = 0; i < receipts.length; i += RECEIPTS_PER_STATEMENT) {
          const { text, values } = insertReceipts(receipts.slice(i, i + RECEIPTS_PER_STATEMENT));
          await tx.unsafe(text, values);
        }
      });
    },

    async getReceipt(requestId) {
      ensureOpen();
      assertRequestId(requestId);
      const rows = await sql<ReceiptRow[]>`SELECT ${receiptColumns} FROM receipts WHERE request_id = ${requestId}`;
      const row = rows[0];
      return row === undefined ? undefined : toReceiptRecord(row);
    },

    async expireReceipts(before) {
      ensureOpen();
      assertTimestamp(before, 'before');
      const result = await sql`DELETE FROM receipts WHERE ts < ${before}::bigint`;
      return result.count;
    },

    async addSample(sample) {
      ensureOpen();
      assertNewSample(sample);
      try {
        await sql`
          INSERT INTO audit_samples (request_id, key_id, ts, entry, request_salt, response_salt)
          VALUES (${sample.requestId}, ${sample.keyId}, ${sample.ts}::bigint, ${Buffer.from(sample.entry)},
                  ${Buffer.from(sample.requestSalt)}, ${Buffer.from(sample.responseSalt)})`;
      } catch (err) {
        if (isPgUniqueViolation(err)) {
          throw new StoreError('conflict', 'This request has been sampled already', { cause: err });
        }
        throw err;
      }
    },

    async pendingSamples(limit) {
      ensureOpen();
      assertPendingLimit(limit);
      const rows = await sql<SampleRow[]>`
        SELECT ${sampleColumns} FROM audit_samples WHERE log_index IS NULL ORDER BY seq LIMIT ${limit}`;
      return rows.map(toAuditSample);
    },

    async integrate(log, commit, indexes) {
      ensureOpen();
      assertLogName(log);
      assertTlogCommit(commit);
      assertSampleIndexes(indexes, commit);
      // Only the two fields the UPDATE reads, whatever else the caller's objects carry. Sent as
      // text and cast: a parameter typed jsonb would be JSON-encoded a second time by the driver.
      const named = JSON.stringify(indexes.map(({ requestId, index }) => ({ requestId, index })));
      await sql.begin(async (tx) => {
        await commitTlog(tx, log, commit);
        if (indexes.length === 0) return;
        const updated = await tx<{ request_id: string }[]>`
          UPDATE audit_samples s SET log_index = u.index
            FROM jsonb_to_recordset(${named}::text::jsonb) AS u("requestId" text, index bigint)
           WHERE s.request_id = u."requestId" AND s.log_index IS NULL
          RETURNING s.request_id`;
        if (updated.length !== indexes.length) {
          throw new StoreError('conflict', 'A named audit sample is missing or already has an index');
        }
      });
    },

    async getSample(requestId) {
      ensureOpen();
      assertRequestId(requestId);
      const rows = await sql<SampleRow[]>`SELECT ${sampleColumns} FROM audit_samples WHERE request_id = ${requestId}`;
      const row = rows[0];
      return row === undefined ? undefined : toAuditSample(row);
    },

    async listSamples(filter, page) {
      ensureOpen();
      assertSampleFilter(filter);
      const { limit, cursor } = resolveSamplePage(page);
      const { text, values } = sampleListSql('postgres', filter.keyId, limit, cursor);
      const rows = await sql.unsafe<SampleRow[]>(text, values, { prepare: true });
      return toSamplePage(rows, limit);
    },
  };
}
