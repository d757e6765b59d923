/**
 * @saferouter/store: everything SafeRouter persists, behind one asynchronous, domain-split
 * interface (`Store`), with SQLite as the default backend and Postgres to follow. Also the API
 * key helpers (generation, hashing, comparison). The conformance suite every backend must pass
 * lives at `@saferouter/store/testing`.
 */

import { openSqliteStore } from './sqlite.js';
import type { Store } from './types.js';
import { assertObject, assertString } from './validate.js';

export * from './types.js';
export * from './errors.js';
export * from './keys.js';
export { migrations, type Migration } from './migrations.js';
export {
  openSqliteStore,
  SQLITE_FILE_NAME,
  type SqliteStoreOptions,
  type SqliteSynchronous,
  type SqliteTuning,
} from './sqlite.js';

/** What the gateway knows from its configuration. */
export interface OpenStoreOptions {
  /** Directory for the SQLite database (`saferouter.db`), created 0700 when missing. */
  dataDir: string;
  /** A Postgres URL (`DATABASE_URL`). Absent or empty means SQLite in `dataDir`. */
  databaseUrl?: string | undefined;
}

/**
 * Opens the store the configuration asks for: SQLite in `dataDir` unless a `databaseUrl` is set.
 * An empty `databaseUrl` counts as unset, since `DATABASE_URL=` in an env file means "none".
 *
 * @example
 * const store = await openStore({ dataDir: config.dataDir, databaseUrl: config.databaseUrl });
 * @throws {Error} when `databaseUrl` is given: Postgres is not supported yet.
 * @throws {TypeError | RangeError} on malformed options.
 */
export async function openStore(options: OpenStoreOptions): Promise<Store> {
  assertObject(options, 'options');
  const { dataDir, databaseUrl } = options;
  assertString(dataDir, 'options.dataDir', { min: 1, max: 4096 });
  if (databaseUrl !== undefined) assertString(databaseUrl, 'options.databaseUrl', { min: 0, max: 4096 });
  if (databaseUrl !== undefined && databaseUrl !== '') {
    // Branch point for the Postgres backend: `return openPostgresStore({ url: databaseUrl })`.
    throw new Error('DATABASE_URL (Postgres) support arrives with the billing issue');
  }
  return openSqliteStore({ dataDir });
}
