/**
 * Migration 6: bring your own key (BYOK). `byok_keys` holds the provider keys a SafeRouter key
 * brought, sealed (see byok-types.ts): at most one per (key, provider), so an upload for a
 * provider replaces the key's earlier one in one upsert. The owner is a real `api_keys` row
 * (the admin key has none, so it brings no keys). Reads go by owner (`list`, `get`): the unique
 * (key_id, provider) index serves both.
 *
 * `activity` gains `key_source`: whose provider key an attempt used, the gateway's own
 * (`gateway`, every row written before) or the caller's (`byok`). A constant default, so neither
 * engine rewrites the table (SQLite's ADD COLUMN edits the schema only; Postgres 11+ keeps the
 * default in the catalog).
 *
 * The CHECKs repeat the boundary rules (byok-inputs.ts) as the last line of defence.
 */

import type { Migration } from './migration-types.js';

export const migration6: Migration = {
  version: 6,
  name: 'byok_keys',
  sqlite: `
    CREATE TABLE byok_keys (
      id         TEXT    PRIMARY KEY NOT NULL CHECK (length(id) BETWEEN 1 AND 64),
      key_id     TEXT    NOT NULL REFERENCES api_keys (id),
      provider   TEXT    NOT NULL CHECK (length(provider) BETWEEN 1 AND 64),
      sealed     TEXT    NOT NULL CHECK (length(sealed) BETWEEN 2 AND 16384),
      last4      TEXT    NOT NULL CHECK (length(last4) <= 4),
      always_use INTEGER NOT NULL CHECK (always_use IN (0, 1)),
      created_at INTEGER NOT NULL
    ) STRICT;
    CREATE UNIQUE INDEX byok_keys_key_provider ON byok_keys (key_id, provider);

    ALTER TABLE activity ADD COLUMN key_source TEXT NOT NULL DEFAULT 'gateway'
      CONSTRAINT activity_key_source CHECK (key_source IN ('gateway', 'byok'));
  `,
  postgres: `
    CREATE TABLE byok_keys (
      id         TEXT COLLATE "C" PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 64),
      key_id     TEXT COLLATE "C" NOT NULL REFERENCES api_keys (id),
      provider   TEXT COLLATE "C" NOT NULL CHECK (length(provider) BETWEEN 1 AND 64),
      sealed     TEXT    NOT NULL CHECK (length(sealed) BETWEEN 2 AND 16384),
      last4      TEXT    NOT NULL CHECK (length(last4) <= 4),
      always_use BOOLEAN NOT NULL,
      created_at BIGINT  NOT NULL
    );
    CREATE UNIQUE INDEX byok_keys_key_provider ON byok_keys (key_id, provider);

    ALTER TABLE activity ADD COLUMN key_source TEXT NOT NULL DEFAULT 'gateway'
      CONSTRAINT activity_key_source CHECK (key_source IN ('gateway', 'byok'));
  `,
};
