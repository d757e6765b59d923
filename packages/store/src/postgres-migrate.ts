/**
 * The Postgres migration runner: the same versioned list as SQLite (`migrations.ts`), its
 * `postgres` SQL, the same `schema_migrations` bookkeeping.
 *
 * Several gateway processes may start at once against one database. The whole run is one
 * transaction holding a transaction-scoped advisory lock, keyed by schema: the first process
 * migrates, the others wait on the lock, then find every version applied and do nothing. DDL is
 * transactional in Postgres, so a failing migration leaves no half-built table behind.
 */

import { StoreError } from './errors.js';
import type { Migration } from './migration-types.js';
import { assertMigrationList, migrations } from './migrations.js';
import type { PgSql } from './postgres-sql.js';

/** First half of the advisory lock key; arbitrary, chosen to not collide with other users. */
const MIGRATION_LOCK_CLASS = 0x5352_4d47; // 'SRMG'

const CREATE_SCHEMA_MIGRATIONS = `
  CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL,
    applied_at BIGINT  NOT NULL
  )
`;

/**
 * Applies every migration the database has not seen. Safe to call on every open, from many
 * processes at once.
 *
 * @returns the versions applied by this call (empty when the schema was current).
 * @example
 * await applyPostgresMigrations(sql); // [1, 2] on an empty schema, [] afterwards
 * @throws {StoreError} `schema` when the database was migrated by a newer build, or a migration
 *   has no Postgres SQL.
 * @throws {RangeError} when `list` is not numbered 1, 2, 3, ….
 */
export async function applyPostgresMigrations(
  sql: PgSql,
  list: readonly Migration[] = migrations,
  now: () => number = Date.now,
): Promise<number[]> {
  assertMigrationList(list);
  const missing = list.find((m) => m.postgres === undefined);
  if (missing !== undefined) {
    throw new StoreError('schema', `Migration ${missing.version} (${missing.name}) has no Postgres SQL`);
  }

  return sql.begin(async (tx) => {
    // Keyed by schema, so test runs in separate schemas do not queue behind each other.
    await tx`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_CLASS}::int, hashtext(COALESCE(current_schema(), '')))`;
    await tx.unsafe(CREATE_SCHEMA_MIGRATIONS);
    const rows = await tx<{ version: number }[]>`SELECT version FROM schema_migrations`;
    const seen = new Set(rows.map((r) => r.version));
    const newest = Math.max(0, ...seen);
    if (newest > list.length) {
      // A downgrade: running old code against a newer schema could corrupt data it doesn't know.
      throw new StoreError(
        'schema',
        `Database schema is at version ${newest} but this build knows only up to ${list.length}; upgrade SafeRouter`,
      );
    }
    const applied: number[] = [];
    for (const m of list) {
      if (seen.has(m.version) || m.postgres === undefined) continue;
      await tx.unsafe(m.postgres);
      await tx`INSERT INTO schema_migrations (version, name, applied_at) VALUES (${m.version}, ${m.name}, ${now()})`;
      applied.push(m.version);
    }
    return applied;
  });
}
