/**
 * Migration 5: what `/v1/generation` and provider routing need from the activity log. Each entry
 * gains the completion id the response carried (`generation_id`), the upstream's
 * `finish_reason`, the cached and reasoning token counts, the endpoints routing excluded and why
 * (`excluded`, JSON), and the generation time from the first upstream byte to the end
 * (`generation_ms`).
 *
 * Every new column is nullable or has a constant default, so existing rows read as "not known"
 * (NULL, 0, no exclusions) and neither engine rewrites the table: SQLite's ADD COLUMN only edits
 * the schema, and Postgres (11+) keeps a constant default in the catalog. The CHECKs repeat the
 * boundary rules (activity-inputs.ts) as the last line of defence: generation id 1–200 characters,
 * finish reason 1–64, non-negative counts and times, and `excluded` a JSON array of at most
 * 4096 bytes (SQLite's `json_type` fails on malformed JSON rather than returning NULL, hence the
 * CASE; Postgres's cast fails too, which refuses the row all the same). Postgres checks the new
 * constraints against the existing rows in one pass, since one ALTER TABLE adds them all; SQLite
 * checks each ADD COLUMN's.
 *
 * `excluded` is NULL rather than `'[]'` when routing excluded nothing, which is most requests: a
 * NULL costs a SQLite row no payload byte and a Postgres row one bit.
 *
 * `generation()` finds a request by `request_id` (indexed since migration 2) or by
 * `generation_id`. Only successful attempts carry a generation id, so its index is partial: the
 * failed attempts and the rows written before this migration take no space in it, and a lookup
 * `generation_id = ?` implies `generation_id IS NOT NULL`, which both planners use to pick it.
 * On Postgres the column is `COLLATE "C"` like the other ids: byte comparison in the index.
 */

import type { Migration } from './migration-types.js';

export const migration5: Migration = {
  version: 5,
  name: 'activity_generation',
  sqlite: `
    ALTER TABLE activity ADD COLUMN generation_id TEXT
      CONSTRAINT activity_generation_id_length CHECK (length(generation_id) BETWEEN 1 AND 200);
    ALTER TABLE activity ADD COLUMN finish_reason TEXT
      CONSTRAINT activity_finish_reason_length CHECK (length(finish_reason) BETWEEN 1 AND 64);
    ALTER TABLE activity ADD COLUMN cached_tokens INTEGER NOT NULL DEFAULT 0
      CONSTRAINT activity_cached_tokens_nonnegative CHECK (cached_tokens >= 0);
    ALTER TABLE activity ADD COLUMN reasoning_tokens INTEGER NOT NULL DEFAULT 0
      CONSTRAINT activity_reasoning_tokens_nonnegative CHECK (reasoning_tokens >= 0);
    ALTER TABLE activity ADD COLUMN excluded TEXT
      CONSTRAINT activity_excluded_json CHECK (excluded IS NULL OR (
        length(CAST(excluded AS BLOB)) BETWEEN 2 AND 4096
        AND CASE WHEN json_valid(excluded) THEN json_type(excluded) = 'array' ELSE 0 END));
    ALTER TABLE activity ADD COLUMN generation_ms INTEGER
      CONSTRAINT activity_generation_ms_nonnegative CHECK (generation_ms >= 0);
    CREATE INDEX activity_generation_id ON activity (generation_id) WHERE generation_id IS NOT NULL;
  `,
  postgres: `
    ALTER TABLE activity
      ADD COLUMN generation_id TEXT COLLATE "C"
        CONSTRAINT activity_generation_id_length CHECK (length(generation_id) BETWEEN 1 AND 200),
      ADD COLUMN finish_reason TEXT
        CONSTRAINT activity_finish_reason_length CHECK (length(finish_reason) BETWEEN 1 AND 64),
      ADD COLUMN cached_tokens INTEGER NOT NULL DEFAULT 0
        CONSTRAINT activity_cached_tokens_nonnegative CHECK (cached_tokens >= 0),
      ADD COLUMN reasoning_tokens INTEGER NOT NULL DEFAULT 0
        CONSTRAINT activity_reasoning_tokens_nonnegative CHECK (reasoning_tokens >= 0),
      ADD COLUMN excluded TEXT
        CONSTRAINT activity_excluded_json CHECK (excluded IS NULL OR (
          octet_length(excluded) BETWEEN 2 AND 4096 AND json_typeof(excluded::json) = 'array')),
      ADD COLUMN generation_ms INTEGER
        CONSTRAINT activity_generation_ms_nonnegative CHECK (generation_ms >= 0);
    CREATE INDEX activity_generation_id ON activity (generation_id) WHERE generation_id IS NOT NULL;
  `,
};
