/**
 * The SQLite migration runner: applies the versioned list from `migrations.ts` with its `sqlite`
 * SQL and records each version in `schema_migrations`, like the Postgres runner
 * (`postgres-migrate.ts`) does with the same list.
 */

import type { Database } from 'better-sqlite3';
import { StoreError } from './errors.js';
import type { Migration } from './migration-types.js';
import { assertMigrationList, migrations } from './migrations.js';

/** Bookkeeping table; created outside the numbered migrations because they depend on it. */
const CREATE_SCHEMA_MIGRATIONS = `
  CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY NOT NULL,
    name       TEXT    NOT NULL,
    applied_at INTEGER NOT NULL
  ) STRICT
`;

/**
 * Applies every migration in `list` that the database has not seen, each in its own IMMEDIATE
 * transaction (the write lock is taken before the "already applied?" check, so two processes
 * starting at once cannot both apply a version). Safe to call on every open.
 *
 * @returns the versions applied by this call (empty when the schema was current).
 * @example
 * applySqliteMigrations(db); // [1] on a new database, [] afterwards
 * @throws {StoreError} `schema` when the database was migrated by a newer build.
 * @throws {RangeError} when `list` is not numbered 1, 2, 3, ….
 */
export function applySqliteMigrations(
  db: Database,
  list: readonly Migration[] = migrations,
  now: () => number = Date.now,
): number[] {
  assertMigrationList(list);
  db.exec(CREATE_SCHEMA_MIGRATIONS);

  const maxApplied = db.prepare<[], { v: number | null }>('SELECT MAX(version) AS v FROM schema_migrations');
  const newest = maxApplied.get()?.v ?? 0;
  if (newest > list.length) {
    // A downgrade: running old code against a newer schema could corrupt data it doesn't know.
    throw new StoreError(
      'schema',
      `Database schema is at version ${newest} but this build knows only up to ${list.length}; upgrade SafeRouter`,
    );
  }

  const isApplied = db.prepare<[number], { version: number }>(
    'SELECT version FROM schema_migrations WHERE version = ?',
  );
  const record = db.prepare<[number, string, number]>(
    'INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)',
  );
  const applyOne = db.transaction((m: Migration): boolean => {
    if (isApplied.get(m.version) !== undefined) return false;
    db.exec(m.sqlite);
    record.run(m.version, m.name, now());
    return true;
  });

  const applied: number[] = [];
  for (const m of list) {
    if (applyOne.immediate(m)) applied.push(m.version);
  }
  return applied;
}
