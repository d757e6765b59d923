/**
 * Migration 7: attested key release between replicas (see key-release-types.ts, and
 * docs/attestation.md "Sharing the sealing key between replicas"). Only Postgres deployments run
 * the protocol; SQLite gets the same tables so both engines keep one schema and one conformance
 * suite.
 *
 * - `deployment_keys`: one row per (build, platform), made by `INSERT … ON CONFLICT DO NOTHING`
 *   so the first replica to start wins. Public key only.
 * - `key_holders`: the replicas that hold it, refreshed by each one's poller, so a requester that
 *   gets no answer can say whom it waited for.
 * - `key_requests`: a requester's attestation bundle (JSON, ~10 KiB on SEV-SNP: kept in the rowid
 *   layout), read by holders through the index on (measurement, platform, created_at), claimed by
 *   one holder at a time (`claimed_by`, `claimed_at`), refused with a reason, or answered by
 *   - `key_grants`: at most one per request (its primary key), deleted with the request (ON DELETE
 *     CASCADE; SQLite's connection runs with foreign_keys ON) and by the requester when it reads it.
 *
 * The CHECKs repeat the boundary rules (key-release-inputs.ts) as the last line of defence.
 */

import type { Migration } from './migration-types.js';

export const migration7: Migration = {
  version: 7,
  name: 'key_release',
  sqlite: `
    CREATE TABLE deployment_keys (
      measurement TEXT    NOT NULL CHECK (length(measurement) = 64),
      platform    TEXT    NOT NULL CHECK (length(platform) BETWEEN 1 AND 200),
      public_key  TEXT    NOT NULL CHECK (length(public_key) = 64),
      created_by  TEXT    NOT NULL CHECK (length(created_by) = 64),
      created_at  INTEGER NOT NULL,
      PRIMARY KEY (measurement, platform)
    ) STRICT;

    CREATE TABLE key_holders (
      measurement TEXT    NOT NULL CHECK (length(measurement) = 64),
      platform    TEXT    NOT NULL CHECK (length(platform) BETWEEN 1 AND 200),
      holder      TEXT    NOT NULL CHECK (length(holder) = 64),
      label       TEXT    NOT NULL CHECK (length(label) <= 200),
      seen_at     INTEGER NOT NULL,
      PRIMARY KEY (measurement, platform, holder)
    ) STRICT;

    CREATE TABLE key_requests (
      id          TEXT    PRIMARY KEY NOT NULL CHECK (length(id) BETWEEN 1 AND 64),
      measurement TEXT    NOT NULL CHECK (length(measurement) = 64),
      platform    TEXT    NOT NULL CHECK (length(platform) BETWEEN 1 AND 200),
      requester   TEXT    NOT NULL CHECK (length(requester) = 64),
      label       TEXT    NOT NULL CHECK (length(label) <= 200),
      bundle      TEXT    NOT NULL CHECK (length(bundle) BETWEEN 2 AND 65536),
      created_at  INTEGER NOT NULL,
      expires_at  INTEGER NOT NULL,
      claimed_by  TEXT    CHECK (length(claimed_by) = 64),
      claimed_at  INTEGER,
      refusal     TEXT    CHECK (length(refusal) BETWEEN 1 AND 1000)
    ) STRICT;
    CREATE INDEX key_requests_build ON key_requests (measurement, platform, created_at);
    CREATE INDEX key_requests_expires ON key_requests (expires_at);

    CREATE TABLE key_grants (
      request_id TEXT    PRIMARY KEY NOT NULL REFERENCES key_requests (id) ON DELETE CASCADE,
      holder     TEXT    NOT NULL CHECK (length(holder) = 64),
      enc        TEXT    NOT NULL CHECK (length(enc) BETWEEN 1 AND 256),
      ciphertext TEXT    NOT NULL CHECK (length(ciphertext) BETWEEN 1 AND 1024),
      bundle     TEXT    NOT NULL CHECK (length(bundle) BETWEEN 2 AND 65536),
      created_at INTEGER NOT NULL
    ) STRICT;
  `,
  postgres: `
    CREATE TABLE deployment_keys (
      measurement TEXT COLLATE "C" NOT NULL CHECK (length(measurement) = 64),
      platform    TEXT COLLATE "C" NOT NULL CHECK (length(platform) BETWEEN 1 AND 200),
      public_key  TEXT   NOT NULL CHECK (length(public_key) = 64),
      created_by  TEXT   NOT NULL CHECK (length(created_by) = 64),
      created_at  BIGINT NOT NULL,
      PRIMARY KEY (measurement, platform)
    );

    CREATE TABLE key_holders (
      measurement TEXT COLLATE "C" NOT NULL CHECK (length(measurement) = 64),
      platform    TEXT COLLATE "C" NOT NULL CHECK (length(platform) BETWEEN 1 AND 200),
      holder      TEXT COLLATE "C" NOT NULL CHECK (length(holder) = 64),
      label       TEXT   NOT NULL CHECK (length(label) <= 200),
      seen_at     BIGINT NOT NULL,
      PRIMARY KEY (measurement, platform, holder)
    );

    CREATE TABLE key_requests (
      id          TEXT COLLATE "C" PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 64),
      measurement TEXT COLLATE "C" NOT NULL CHECK (length(measurement) = 64),
      platform    TEXT COLLATE "C" NOT NULL CHECK (length(platform) BETWEEN 1 AND 200),
      requester   TEXT   NOT NULL CHECK (length(requester) = 64),
      label       TEXT   NOT NULL CHECK (length(label) <= 200),
      bundle      TEXT   NOT NULL CHECK (length(bundle) BETWEEN 2 AND 65536),
      created_at  BIGINT NOT NULL,
      expires_at  BIGINT NOT NULL,
      claimed_by  TEXT   CHECK (length(claimed_by) = 64),
      claimed_at  BIGINT,
      refusal     TEXT   CHECK (length(refusal) BETWEEN 1 AND 1000)
    );
    CREATE INDEX key_requests_build ON key_requests (measurement, platform, created_at);
    CREATE INDEX key_requests_expires ON key_requests (expires_at);

    CREATE TABLE key_grants (
      request_id TEXT COLLATE "C" PRIMARY KEY REFERENCES key_requests (id) ON DELETE CASCADE,
      holder     TEXT   NOT NULL CHECK (length(holder) = 64),
      enc        TEXT   NOT NULL CHECK (length(enc) BETWEEN 1 AND 256),
      ciphertext TEXT   NOT NULL CHECK (length(ciphertext) BETWEEN 1 AND 1024),
      bundle     TEXT   NOT NULL CHECK (length(bundle) BETWEEN 2 AND 65536),
      created_at BIGINT NOT NULL
    );
  `,
};
