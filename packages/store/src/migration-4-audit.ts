/**
 * Migration 4: the audit domain (see audit-types.ts): signed receipts, kept for lookup until
 * they expire, and the sampled requests committed to the audit transparency log.
 *
 * `receipts` is written in batches off the request path, read by request id and swept by age,
 * hence the index on `ts`. Its rows (a compact JWS, about 1 KB) are too large for a WITHOUT ROWID
 * table, whose B-tree cells should stay far below a page; it keeps the rowid layout like
 * `activity`.
 *
 * `audit_samples` is written on the request path (joining the charge's group commit on SQLite),
 * so it carries the indexes its readers need and no more:
 * - `seq` numbers samples in the order they were added: the integrator's queue is the partial
 *   index of rows still without a `log_index`, in `seq` order, so it never walks integrated rows.
 *   On SQLite `seq` is the rowid (`INTEGER PRIMARY KEY`): assigned by the insert, appended at the
 *   right edge of the table's B-tree, and never renumbered by VACUUM as an implicit rowid may be.
 *   The request id is then a UNIQUE key beside it, the same constraint as a primary key. On
 *   Postgres `request_id` is the primary key and `seq` an identity column.
 * - Lists run newest first, ordered by (ts, seq): by key on (key_id, ts) and for the admin on
 *   (ts). SQLite appends the rowid (`seq`) to every index by itself; Postgres names it.
 * The CHECKs repeat the boundary rules (entry at most 4 KiB, salts exactly 32 bytes) as the last
 * line of defence.
 */

import type { Migration } from './migration-types.js';

export const migration4: Migration = {
  version: 4,
  name: 'audit_receipts_samples',
  sqlite: `
    CREATE TABLE receipts (
      request_id TEXT    PRIMARY KEY NOT NULL,
      key_id     TEXT    NOT NULL,
      ts         INTEGER NOT NULL,
      jws        TEXT    NOT NULL
    ) STRICT;
    CREATE INDEX receipts_ts ON receipts (ts);

    CREATE TABLE audit_samples (
      seq           INTEGER PRIMARY KEY,
      request_id    TEXT    NOT NULL UNIQUE,
      key_id        TEXT    NOT NULL,
      ts            INTEGER NOT NULL,
      entry         BLOB    NOT NULL CHECK (length(entry) BETWEEN 1 AND 4096),
      request_salt  BLOB    NOT NULL CHECK (length(request_salt) = 32),
      response_salt BLOB    NOT NULL CHECK (length(response_salt) = 32),
      log_index     INTEGER CHECK (log_index >= 0)
    ) STRICT;
    CREATE INDEX audit_samples_key_ts ON audit_samples (key_id, ts);
    CREATE INDEX audit_samples_ts ON audit_samples (ts);
    CREATE INDEX audit_samples_pending ON audit_samples (seq) WHERE log_index IS NULL;
  `,
  postgres: `
    CREATE TABLE receipts (
      request_id TEXT COLLATE "C" PRIMARY KEY,
      key_id     TEXT COLLATE "C" NOT NULL,
      ts         BIGINT NOT NULL,
      jws        TEXT   NOT NULL
    );
    CREATE INDEX receipts_ts ON receipts (ts);

    CREATE TABLE audit_samples (
      request_id    TEXT COLLATE "C" PRIMARY KEY,
      seq           BIGINT GENERATED ALWAYS AS IDENTITY,
      key_id        TEXT COLLATE "C" NOT NULL,
      ts            BIGINT NOT NULL,
      entry         BYTEA  NOT NULL CHECK (length(entry) BETWEEN 1 AND 4096),
      request_salt  BYTEA  NOT NULL CHECK (length(request_salt) = 32),
      response_salt BYTEA  NOT NULL CHECK (length(response_salt) = 32),
      log_index     BIGINT CHECK (log_index >= 0)
    );
    CREATE INDEX audit_samples_key_ts ON audit_samples (key_id, ts, seq);
    CREATE INDEX audit_samples_ts ON audit_samples (ts, seq);
    CREATE INDEX audit_samples_pending ON audit_samples (seq) WHERE log_index IS NULL;
  `,
};
