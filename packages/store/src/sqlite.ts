/**
 * The SQLite implementation of `Store`, on better-sqlite3: the default backend, one file in the
 * data directory, no server. better-sqlite3 is synchronous; methods are `async` anyway so every
 * result, including validation errors, arrives as a promise exactly as with Postgres.
 */
import { InvalidArgumentError } from '@saferouter/errors';

import Database from 'better-sqlite3';
import { StoreError } from './errors.js';
import { applySqliteMigrations } from './sqlite-migrate.js';
import { createSqliteActivityStore } from './sqlite-activity.js';
import { createSqliteAuditStore } from './sqlite-audit.js';
import { createSqliteByokStore } from './sqlite-byok.js';
import { createSqliteKeyReleaseStore } from './sqlite-key-release.js';
import { createSqliteBillingStore } from './sqlite-billing.js';
import { prepareDataDir, securePath } from './sqlite-files.js';
import { createGroupCommit } from './sqlite-group-commit.js';
import { createSqliteKeyStore, createSqliteMetaStore } from './sqlite-keys.js';
import { createSqliteTlogStores } from './sqlite-tlog.js';
import type { Store } from './types.js';
import { assertCount, assertObject, assertOneOf, assertString } from './validate.js';

export { SQLITE_FILE_NAME } from './sqlite-files.js';

/**
 * SQLite's `synchronous` levels worth offering. In WAL mode:
 * - `NORMAL` (default) syncs only at checkpoints. A killed or crashed *process* (`kill -9`,
 *   OOM) loses nothing committed, ledger included: the commit is in the WAL in the OS page
 *   cache before it returns (`sqlite-durability.test.ts` kills a writer to check this). A
 *   power loss or OS crash can roll back the last few commits, never corrupt the database.
 * - `FULL` syncs the WAL on every commit, so a commit survives power loss too, at the cost of
 *   one fsync per money operation. Choose it when the host may lose power uncleanly.
 * - `EXTRA` additionally syncs directory entries.
 */
export type SqliteSynchronous = 'NORMAL' | 'FULL' | 'EXTRA';

const SYNCHRONOUS_LEVELS: readonly SqliteSynchronous[] = ['NORMAL', 'FULL', 'EXTRA'];

/** Tuning shared by both ways of naming the database. */
export interface SqliteTuning {
  /** Durability level; see {@link SqliteSynchronous}. Default `NORMAL`. */
  synchronous?: SqliteSynchronous;
  /** How long a write waits for another connection's lock before failing. Default 5000 ms. */
  busyTimeoutMs?: number;
}

/**
 * Either an explicit database `path` (`:memory:` allowed; its directory must exist) or a
 * `dataDir` that will hold `saferouter.db` and is created when missing.
 */
export type SqliteStoreOptions = ({ path: string; dataDir?: never } | { dataDir: string; path?: never }) & SqliteTuning;

/**
 * Opens (creating and migrating if needed) a SQLite store.
 *
 * @example
 * const store = await openSqliteStore({ dataDir: '/var/lib/saferouter' });
 * const key = await store.keys.get('key_0123456789abcdef');
 * await store.close();
 * @throws {TypeError | RangeError} on malformed options.
 * @throws {StoreError} `schema` when the database was migrated by a newer build.
 * @throws {Error} from node:fs or SQLite when the file cannot be created or opened.
 */
export async function openSqliteStore(options: SqliteStoreOptions): Promise<Store> {
  return createSqliteStore(openSqliteDatabase(options));
}

/**
 * The raw, configured and migrated connection behind `openSqliteStore`. Internal (not exported
 * from the package entry); tests use it to inspect pragmas and the schema.
 *
 * @example
 * const db = openSqliteDatabase({ path: ':memory:' });
 * @throws {TypeError | RangeError | StoreError | Error} as `openSqliteStore` does.
 */
export function openSqliteDatabase(options: SqliteStoreOptions): Database.Database {
  const { target, synchronous, busyTimeoutMs } = resolveOptions(options);
  const path = 'dataDir' in target ? prepareDataDir(target.dataDir) : target.path;
  securePath(path);
  const db = new Database(path);
  try {
    configure(db, synchronous, busyTimeoutMs);
    applySqliteMigrations(db);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

/** Validates options without touching the file system. */
function resolveOptions(options: SqliteStoreOptions): {
  target: { path: string } | { dataDir: string };
  synchronous: SqliteSynchronous;
  busyTimeoutMs: number;
} {
  assertObject(options, 'options');
  const { path, dataDir } = options;
  if ((path === undefined) === (dataDir === undefined)) {
    throw new InvalidArgumentError('options', 'options must have exactly one of path or dataDir', 'type');
  }
  const synchronous = options.synchronous ?? 'NORMAL';
  assertOneOf(synchronous, 'options.synchronous', SYNCHRONOUS_LEVELS);
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
  assertCount(busyTimeoutMs, 'options.busyTimeoutMs');
  if (dataDir !== undefined) {
    assertString(dataDir, 'options.dataDir', { min: 1, max: 4096 });
    return { target: { dataDir }, synchronous, busyTimeoutMs };
  }
  assertString(path, 'options.path', { min: 1, max: 4096 });
  return { target: { path }, synchronous, busyTimeoutMs };
}

function configure(db: Database.Database, synchronous: SqliteSynchronous, busyTimeoutMs: number): void {
  // WAL lets readers run while a write is in progress, which the gateway does constantly
  // (key lookups during usage updates). In-memory databases answer 'memory'; that is fine.
  db.pragma('journal_mode = WAL');
  // Both values are validated above (whitelist / integer), so interpolation is safe.
  db.pragma(`synchronous = ${synchronous}`);
  db.pragma(`busy_timeout = ${busyTimeoutMs}`);
  // The money tables reference api_keys, and SQLite leaves foreign keys OFF unless asked.
  db.pragma('foreign_keys = ON');
  // Checkpoints run on the writer's thread and fsync the database file. At the default (every
  // 1,000 WAL pages) they came every ~80 requests under load and added ~70 µs per request;
  // every 10,000 pages (~40 MB of WAL) they are ten times rarer, and a hot page written many
  // times is copied back once. The WAL file is truncated back to 64 MB at most after each.
  db.pragma('wal_autocheckpoint = 10000');
  db.pragma(`journal_size_limit = ${64 * 1024 * 1024}`);
}

function createSqliteStore(db: Database.Database): Store {
  let closed = false;
  const ensureOpen = (): void => {
    if (closed) throw new StoreError('closed', 'The store has been closed');
  };
  // One group commit for every write on the request path: a request's charge and its audit
  // sample, issued in the same event-loop turn, share a transaction.
  const group = createGroupCommit(db);
  const ping = db.prepare('SELECT 1');
  return {
    kind: 'sqlite',
    keys: createSqliteKeyStore(db, ensureOpen),
    meta: createSqliteMetaStore(db, ensureOpen),
    billing: createSqliteBillingStore(db, ensureOpen, group),
    activity: createSqliteActivityStore(db, ensureOpen),
    tlog: createSqliteTlogStores(db, ensureOpen),
    audit: createSqliteAuditStore(db, ensureOpen, group),
    byok: createSqliteByokStore(db, ensureOpen),
    keyRelease: createSqliteKeyReleaseStore(db, ensureOpen),
    async ping() {
      ensureOpen();
      ping.get();
    },
    async close() {
      if (closed) return;
      closed = true;
      db.close();
    },
  };
}
