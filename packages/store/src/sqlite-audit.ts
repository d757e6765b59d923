/**
 * The audit domain on SQLite (see audit-types.ts).
 *
 * - `addSample` is on the request path: it runs in the group commit it is handed, the one the
 *   money operations use, so a sample and the charge of the same request (issued in the same
 *   event-loop turn) share one `BEGIN IMMEDIATE` transaction and one WAL commit, and the promise
 *   settles only once that commit is done.
 * - `putReceipts` runs its batch in one transaction of its own: it comes from a batch writer off
 *   the request path, and a large batch has no business delaying a group of charges.
 * - `integrate` runs the tlog commit's body (`prepareSqliteTlogCommit`) and the index updates in
 *   one `BEGIN IMMEDIATE` transaction; any throw rolls all of it back.
 * - `expireReceipts` deletes in bounded chunks, each its own short transaction, yielding to the
 *   event loop between them, so a day's backlog never holds the one write lock for seconds.
 */

import type Database from 'better-sqlite3';
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
import type { AuditSampleIndex, AuditStore, NewAuditSample, ReceiptRecord } from './audit-types.js';
import { StoreError } from './errors.js';
import type { GroupCommit } from './sqlite-group-commit.js';
import { isSqliteUniqueViolation } from './sqlite-keys.js';
import { prepareSqliteTlogCommit } from './sqlite-tlog.js';
import { assertLogName, assertTlogCommit } from './tlog-inputs.js';
import type { TlogCommit } from './tlog-types.js';
import { assertTimestamp } from './validate.js';

/** Receipts deleted per transaction by `expireReceipts`. */
const EXPIRE_CHUNK = 5000;

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * @example
 * const group = createGroupCommit(db);
 * const audit = createSqliteAuditStore(db, ensureOpen, group); // the same group as billing's
 */
export function createSqliteAuditStore(db: Database.Database, ensureOpen: () => void, group: GroupCommit): AuditStore {
  const stmt = {
    putReceipt: db.prepare<[string, string, number, string]>(
      `INSERT INTO receipts (${RECEIPT_COLUMNS}) VALUES (?, ?, ?, ?) ON CONFLICT (request_id) DO NOTHING`,
    ),
    receipt: db.prepare<[string], ReceiptRow>(`SELECT ${RECEIPT_COLUMNS} FROM receipts WHERE request_id = ?`),
    expireChunk: db.prepare<[number, number]>(
      'DELETE FROM receipts WHERE rowid IN (SELECT rowid FROM receipts WHERE ts < ? ORDER BY ts LIMIT ?)',
    ),
    addSample: db.prepare<[string, string, number, Uint8Array, Uint8Array, Uint8Array]>(
      `INSERT INTO audit_samples (request_id, key_id, ts, entry, request_salt, response_salt)
       VALUES (?, ?, ?, ?, ?, ?)`,
    ),
    pending: db.prepare<[number], SampleRow>(
      `SELECT ${SAMPLE_COLUMNS} FROM audit_samples WHERE log_index IS NULL ORDER BY seq LIMIT ?`,
    ),
    sample: db.prepare<[string], SampleRow>(`SELECT ${SAMPLE_COLUMNS} FROM audit_samples WHERE request_id = ?`),
    setIndex: db.prepare<[number, string]>(
      'UPDATE audit_samples SET log_index = ? WHERE request_id = ? AND log_index IS NULL',
    ),
  };
  const listStatements = new Map<string, Database.Statement>();
  const listStatement = (text: string): Database.Statement => {
    let s = listStatements.get(text);
    if (s === undefined) {
      s = db.prepare(text);
      listStatements.set(text, s);
    }
    return s;
  };

  const putAll = db.transaction((receipts: readonly ReceiptRecord[]) => {
    for (const r of receipts) stmt.putReceipt.run(r.requestId, r.keyId, r.ts, r.jws);
  });

  const commitTlog = prepareSqliteTlogCommit(db);
  const integrate = db.transaction((log: string, commit: TlogCommit, indexes: readonly AuditSampleIndex[]) => {
    commitTlog(log, commit);
    for (const { requestId, index } of indexes) {
      if (stmt.setIndex.run(index, requestId).changes !== 1) {
        throw new StoreError('conflict', 'A named audit sample is missing or already has an index');
      }
    }
  });

  const addSample = (s: NewAuditSample): void => {
    try {
      stmt.addSample.run(s.requestId, s.keyId, s.ts, s.entry, s.requestSalt, s.responseSalt);
    } catch (err) {
      if (isSqliteUniqueViolation(err)) {
        throw new StoreError('conflict', 'This request has been sampled already', { cause: err });
      }
      throw err;
    }
  };

  return {
    async putReceipts(receipts) {
      ensureOpen();
      assertReceipts(receipts);
      if (receipts.length === 0) return;
      putAll.immediate(receipts);
    },
    async getReceipt(requestId) {
      ensureOpen();
      assertRequestId(requestId);
      const row = stmt.receipt.get(requestId);
      return row === undefined ? undefined : toReceiptRecord(row);
    },
    async expireReceipts(before) {
      ensureOpen();
      assertTimestamp(before, 'before');
      let deleted = 0;
      for (;;) {
        const n = stmt.expireChunk.run(before, EXPIRE_CHUNK).changes;
        deleted += n;
        if (n < EXPIRE_CHUNK) return deleted;
        await yieldToEventLoop();
        ensureOpen();
      }
    },
    async addSample(sample) {
      ensureOpen();
      assertNewSample(sample);
      // Copied now (`new Uint8Array`, since a Buffer's slice is a view): the caller may reuse
      // its buffers before the group runs.
      const copy: NewAuditSample = {
        requestId: sample.requestId,
        keyId: sample.keyId,
        ts: sample.ts,
        entry: new Uint8Array(sample.entry),
        requestSalt: new Uint8Array(sample.requestSalt),
        responseSalt: new Uint8Array(sample.responseSalt),
      };
      await group(() => addSample(copy));
    },
    async pendingSamples(limit) {
      ensureOpen();
      assertPendingLimit(limit);
      return stmt.pending.all(limit).map(toAuditSample);
    },
    async integrate(log, commit, indexes) {
      ensureOpen();
      assertLogName(log);
      assertTlogCommit(commit);
      assertSampleIndexes(indexes, commit);
      integrate.immediate(log, commit, indexes);
    },
    async getSample(requestId) {
      ensureOpen();
      assertRequestId(requestId);
      const row = stmt.sample.get(requestId);
      return row === undefined ? undefined : toAuditSample(row);
    },
    async listSamples(filter, page) {
      ensureOpen();
      assertSampleFilter(filter);
      const { limit, cursor } = resolveSamplePage(page);
      const { text, values } = sampleListSql('sqlite', filter.keyId, limit, cursor);
      const rows = listStatement(text).all(values) as SampleRow[];
      return toSamplePage(rows, limit);
    },
  };
}
