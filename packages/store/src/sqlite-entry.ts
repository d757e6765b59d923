/**
 * `@saferouter/store/sqlite`: the SQLite backend on its own subpath, so that only code that
 * opens a SQLite store loads better-sqlite3 (the main entry loads no driver; its `openStore`
 * imports this backend lazily).
 *
 * @example
 * import { openSqliteStore } from '@saferouter/store/sqlite';
 * const store = await openSqliteStore({ dataDir: '/var/lib/saferouter' });
 */
export {
  openSqliteStore,
  SQLITE_FILE_NAME,
  type SqliteStoreOptions,
  type SqliteSynchronous,
  type SqliteTuning,
} from './sqlite.js';
