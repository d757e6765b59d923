/**
 * Versioned schema migrations and the SQLite runner. Migrations are append-only: never edit one
 * that has shipped, add the next version instead. Each entry carries its SQL per dialect; the
 * Postgres runner (`postgres-migrate.ts`) reads the `postgres` field of the same list, so both
 * backends share version numbers and the `schema_migrations` bookkeeping table.
 */

import type { Database } from 'better-sqlite3';
import { StoreError } from './errors.js';
import { migration1 } from './migration-1-keys-meta.js';
import { migration2 } from './migration-2-billing-activity.js';
import { migration3 } from './migration-3-tlog.js';

/** One schema step. `version`s start at 1 and increase by exactly 1. */
export interface Migration {
  readonly version: number;
  /** Short snake_case description, recorded in `schema_migrations`. */
  readonly name: string;
  /** SQL for SQLite; may hold several statements. */
  readonly sqlite: string;
  /**
   * SQL for Postgres. Optional only so tests can build SQLite-only lists; the Postgres runner
   * refuses a list where it is missing.
   */
  readonly postgres?: string;
}

/** The schema, in order. Each version lives in its own file, SQL for both dialects side by side. */
export const migrations: readonly Migration[] = [migration1, migration2, migration3];

/**
 * Checks that versions run 1, 2, 3, … with no gap or repeat, so "applied up to N" is well
 * defined and two branches cannot both ship a version 2 unnoticed.
 *
 * @throws {RangeError} naming the first offending entry.
 */
export function assertMigrationList(list: readonly Migration[]): void {
  list.forEach((m, i) => {
    if (m.version !== i + 1) {
      throw new RangeError(`migrations[${i}].version must be ${i + 1}, got ${m.version}`);
    }
  });
}

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
