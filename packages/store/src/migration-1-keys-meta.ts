/**
 * Migration 1: API keys and the meta table. Shipped; never edit the SQLite text. The Postgres
 * text was added together with the Postgres backend (before any Postgres database existed), and
 * mirrors the SQLite schema column for column.
 */

import type { Migration } from './migration-types.js';

export const migration1: Migration = {
  version: 1,
  name: 'api_keys_and_meta',
  // STRICT tables make SQLite enforce column types the way Postgres does. The text is exactly
  // what shipped (indentation included), since sqlite_master keeps it verbatim.
  sqlite: `
      CREATE TABLE api_keys (
        id            TEXT    PRIMARY KEY NOT NULL,
        name          TEXT    NOT NULL,
        prefix        TEXT    NOT NULL,
        hash          TEXT    NOT NULL UNIQUE,
        role          TEXT    NOT NULL CHECK (role IN ('user', 'admin')),
        created_at    INTEGER NOT NULL,
        last_used_at  INTEGER,
        revoked_at    INTEGER,
        request_count INTEGER NOT NULL DEFAULT 0
      ) STRICT;
      CREATE TABLE meta (
        key   TEXT PRIMARY KEY NOT NULL,
        value TEXT NOT NULL
      ) STRICT;
    `,
  // Times are ms since the epoch, hence BIGINT. Ids use the "C" collation so ordering and
  // tie-breaking by id are byte order, as in SQLite, whatever the database's locale.
  postgres: `
    CREATE TABLE api_keys (
      id            TEXT COLLATE "C" PRIMARY KEY,
      name          TEXT   NOT NULL,
      prefix        TEXT   NOT NULL,
      hash          TEXT   NOT NULL UNIQUE,
      role          TEXT   NOT NULL CHECK (role IN ('user', 'admin')),
      created_at    BIGINT NOT NULL,
      last_used_at  BIGINT,
      revoked_at    BIGINT,
      request_count BIGINT NOT NULL DEFAULT 0
    );
    CREATE TABLE meta (
      key   TEXT PRIMARY KEY,
      value TEXT NOT NULL
    );
  `,
};
