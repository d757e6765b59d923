/**
 * Migration 2: per-key limits, the money tables (accounts, ledger, holds) and the activity log.
 *
 * `accounts` caches each key's balance and held amount so admission is one indexed row update;
 * `ledger` is the append-only truth the balance must always equal (`ledgerSum` recomputes it).
 * The CHECKs are the last line of defence for the billing invariants: a bug that tried to take
 * a balance below zero, or to write a positive charge, fails in the database instead of
 * silently corrupting money. `updated_at` is the `ts` of the last credit, hold or charge.
 *
 * The list order of activity is (ts DESC, id DESC), so that is the index, cursor included.
 * Activity has no foreign key: it is a log written in batches off the request path, and one
 * odd row must not make a whole batch fail.
 */

import type { Migration } from './migration-types.js';

const LEDGER_SIGN = `CONSTRAINT ledger_sign CHECK (
        (kind = 'topup' AND amount_micros > 0) OR
        (kind = 'charge' AND amount_micros < 0) OR
        (kind = 'adjustment' AND amount_micros <> 0))`;

export const migration2: Migration = {
  version: 2,
  name: 'billing_activity_limits',
  // The money tables are WITHOUT ROWID, keyed by their text ids: a rowid table with a TEXT
  // primary key keeps a second B-tree for it, and every B-tree a request touches is another WAL
  // frame on the hot path (measured: ~23 pwrite per money operation before, see the commit).
  // holds has no expiry index: it only ever holds in-flight requests, so the sweep scans it.
  sqlite: `
    ALTER TABLE api_keys ADD COLUMN rpm_limit INTEGER CHECK (rpm_limit IS NULL OR rpm_limit > 0);
    ALTER TABLE api_keys ADD COLUMN concurrency_limit INTEGER CHECK (concurrency_limit IS NULL OR concurrency_limit > 0);

    CREATE TABLE accounts (
      key_id         TEXT    PRIMARY KEY NOT NULL REFERENCES api_keys (id),
      balance_micros INTEGER NOT NULL DEFAULT 0 CONSTRAINT accounts_balance_nonnegative CHECK (balance_micros >= 0),
      held_micros    INTEGER NOT NULL DEFAULT 0 CONSTRAINT accounts_held_nonnegative CHECK (held_micros >= 0),
      updated_at     INTEGER NOT NULL
    ) STRICT, WITHOUT ROWID;

    CREATE TABLE ledger (
      id            TEXT    PRIMARY KEY NOT NULL,
      key_id        TEXT    NOT NULL REFERENCES api_keys (id),
      ts            INTEGER NOT NULL,
      kind          TEXT    NOT NULL CHECK (kind IN ('topup', 'charge', 'adjustment')),
      amount_micros INTEGER NOT NULL,
      request_id    TEXT,
      note          TEXT,
      ${LEDGER_SIGN}
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX ledger_key_ts ON ledger (key_id, ts);

    CREATE TABLE holds (
      id            TEXT    PRIMARY KEY NOT NULL,
      key_id        TEXT    NOT NULL REFERENCES api_keys (id),
      amount_micros INTEGER NOT NULL CHECK (amount_micros >= 0),
      request_id    TEXT    NOT NULL,
      ts            INTEGER NOT NULL,
      expires_at    INTEGER NOT NULL
    ) STRICT, WITHOUT ROWID;

    CREATE TABLE activity (
      id                TEXT    PRIMARY KEY NOT NULL,
      request_id        TEXT    NOT NULL,
      ts                INTEGER NOT NULL,
      key_id            TEXT    NOT NULL,
      model             TEXT    NOT NULL,
      provider          TEXT    NOT NULL,
      original_model    TEXT    NOT NULL,
      attempt           INTEGER NOT NULL,
      status            INTEGER NOT NULL,
      error             TEXT,
      latency_ms        INTEGER NOT NULL,
      ttfb_ms           INTEGER,
      prompt_tokens     INTEGER NOT NULL,
      completion_tokens INTEGER NOT NULL,
      cost_micros       INTEGER NOT NULL,
      stream            INTEGER NOT NULL CHECK (stream IN (0, 1)),
      estimated         INTEGER NOT NULL CHECK (estimated IN (0, 1))
    ) STRICT;
    CREATE INDEX activity_ts_id ON activity (ts DESC, id DESC);
    CREATE INDEX activity_key_ts ON activity (key_id, ts);
    CREATE INDEX activity_request_id ON activity (request_id);
  `,
  postgres: `
    ALTER TABLE api_keys
      ADD COLUMN rpm_limit INTEGER CHECK (rpm_limit IS NULL OR rpm_limit > 0),
      ADD COLUMN concurrency_limit INTEGER CHECK (concurrency_limit IS NULL OR concurrency_limit > 0);

    CREATE TABLE accounts (
      key_id         TEXT COLLATE "C" PRIMARY KEY REFERENCES api_keys (id),
      balance_micros BIGINT NOT NULL DEFAULT 0 CONSTRAINT accounts_balance_nonnegative CHECK (balance_micros >= 0),
      held_micros    BIGINT NOT NULL DEFAULT 0 CONSTRAINT accounts_held_nonnegative CHECK (held_micros >= 0),
      updated_at     BIGINT NOT NULL
    );

    CREATE TABLE ledger (
      id            TEXT COLLATE "C" PRIMARY KEY,
      key_id        TEXT COLLATE "C" NOT NULL REFERENCES api_keys (id),
      ts            BIGINT NOT NULL,
      kind          TEXT   NOT NULL CHECK (kind IN ('topup', 'charge', 'adjustment')),
      amount_micros BIGINT NOT NULL,
      request_id    TEXT,
      note          TEXT,
      ${LEDGER_SIGN}
    );
    CREATE INDEX ledger_key_ts ON ledger (key_id, ts);

    CREATE TABLE holds (
      id            TEXT COLLATE "C" PRIMARY KEY,
      key_id        TEXT COLLATE "C" NOT NULL REFERENCES api_keys (id),
      amount_micros BIGINT NOT NULL CHECK (amount_micros >= 0),
      request_id    TEXT   NOT NULL,
      ts            BIGINT NOT NULL,
      expires_at    BIGINT NOT NULL
    );
    CREATE INDEX holds_expires_at ON holds (expires_at);

    CREATE TABLE activity (
      id                TEXT COLLATE "C" PRIMARY KEY,
      request_id        TEXT    NOT NULL,
      ts                BIGINT  NOT NULL,
      key_id            TEXT COLLATE "C" NOT NULL,
      model             TEXT    NOT NULL,
      provider          TEXT    NOT NULL,
      original_model    TEXT    NOT NULL,
      attempt           INTEGER NOT NULL,
      status            INTEGER NOT NULL,
      error             TEXT,
      latency_ms        INTEGER NOT NULL,
      ttfb_ms           INTEGER,
      prompt_tokens     INTEGER NOT NULL,
      completion_tokens INTEGER NOT NULL,
      cost_micros       BIGINT  NOT NULL,
      stream            BOOLEAN NOT NULL,
      estimated         BOOLEAN NOT NULL
    );
    CREATE INDEX activity_ts_id ON activity (ts DESC, id DESC);
    CREATE INDEX activity_key_ts ON activity (key_id, ts);
    CREATE INDEX activity_request_id ON activity (request_id);
  `,
};
