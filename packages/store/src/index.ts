/**
 * @saferouter/store: everything SafeRouter persists, behind one asynchronous, domain-split
 * interface (`Store`), with SQLite as the default backend and Postgres for deployments with
 * several gateway processes. Also the API key helpers (generation, hashing, comparison) and
 * time-ordered ids. The conformance suite every backend must pass lives at
 * `@saferouter/store/testing`.
 *
 * This entry loads no database driver: the backends live at `@saferouter/store/sqlite` and
 * `@saferouter/store/postgres`, and `openStore` imports the one it needs when called. So
 * `import '@saferouter/billing'` (types, ids) never loads better-sqlite3 or postgres.js.
 */

import type { Store } from './types.js';
import { assertObject, assertString } from './validate.js';

export * from './types.js';
export * from './billing-types.js';
export * from './activity-types.js';
export * from './activity-buckets.js';
export { ACTIVITY_EXCLUDED_MAX_BYTES, fitActivityExcluded } from './activity-excluded.js';
export { ACTIVITY_MAX_SAMPLES } from './activity-inputs.js';
export * from './tlog-types.js';
export * from './audit-types.js';
export * from './byok-types.js';
export * from './key-release-types.js';
export * from './errors.js';
export * from './keys.js';
export { timeOrderedId } from './ids.js';
export { migrations, type Migration } from './migrations.js';

/** What the gateway knows from its configuration. */
export interface OpenStoreOptions {
  /** Directory for the SQLite database (`saferouter.db`), created 0700 when missing. */
  dataDir: string;
  /**
   * A Postgres URL (`DATABASE_URL`). Absent or empty means SQLite in `dataDir`. Tables go in
   * the database's default schema; a `?search_path=name` query parameter picks another.
   */
  databaseUrl?: string | undefined;
}

/**
 * Opens the store the configuration asks for: SQLite in `dataDir` unless a `databaseUrl` is set.
 * An empty `databaseUrl` counts as unset, since `DATABASE_URL=` in an env file means "none".
 *
 * @example
 * const store = await openStore({ dataDir: config.dataDir, databaseUrl: config.databaseUrl });
 * @throws {TypeError | RangeError} on malformed options (never echoing the URL).
 * @throws {StoreError} `schema` when the database was migrated by a newer build.
 * @throws {Error} from the driver or the file system when the database cannot be opened.
 */
export async function openStore(options: OpenStoreOptions): Promise<Store> {
  assertObject(options, 'options');
  const { dataDir, databaseUrl } = options;
  assertString(dataDir, 'options.dataDir', { min: 1, max: 4096 });
  if (databaseUrl !== undefined) assertString(databaseUrl, 'options.databaseUrl', { min: 0, max: 4096 });
  // Loaded here, not at import time: a SQLite install never loads postgres.js, and the reverse.
  if (databaseUrl !== undefined && databaseUrl !== '') {
    const { openPostgresStore } = await import('./postgres-entry.js');
    return openPostgresStore({ url: databaseUrl });
  }
  const { openSqliteStore } = await import('./sqlite-entry.js');
  return openSqliteStore({ dataDir });
}
