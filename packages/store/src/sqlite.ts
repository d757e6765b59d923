/**
 * The SQLite implementation of `Store`, on better-sqlite3: the default backend, one file in the
 * data directory, no server. better-sqlite3 is synchronous; methods are `async` anyway so every
 * result, including validation errors, arrives as a promise exactly as with Postgres.
 */

import Database from 'better-sqlite3';
import { StoreError } from './errors.js';
import {
  assertKeyHash,
  assertKeyId,
  assertKeyName,
  assertMetaKey,
  assertMetaValue,
  assertNewKeyRecord,
} from './inputs.js';
import { applySqliteMigrations } from './migrations.js';
import { prepareDataDir, securePath } from './sqlite-files.js';
import type { KeyRecord, KeyRole, KeyStore, MetaStore, NewKeyRecord, Store } from './types.js';
import { assertCount, assertObject, assertOneOf, assertString, assertTimestamp } from './validate.js';

export { SQLITE_FILE_NAME } from './sqlite-files.js';

/**
 * SQLite's `synchronous` levels worth offering. In WAL mode:
 * - `NORMAL` (default) syncs only at checkpoints. A killed or crashed *process* loses nothing
 *   committed, but a power loss or OS crash can roll back the last few commits. Fine for keys
 *   and usage counters, and much faster.
 * - `FULL` syncs the WAL on every commit, so a commit survives power loss too. The billing
 *   ledger may need this.
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
export type SqliteStoreOptions = ({ path: string; dataDir?: never } | { dataDir: string; path?: never }) &
  SqliteTuning;

interface KeyRow {
  id: string;
  name: string;
  prefix: string;
  hash: string;
  role: KeyRole;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
  request_count: number;
}

const KEY_COLUMNS = 'id, name, prefix, hash, role, created_at, last_used_at, revoked_at, request_count';

function toKeyRecord(row: KeyRow): KeyRecord {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    hash: row.hash,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
    requestCount: row.request_count,
    role: row.role,
  };
}

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
    throw new TypeError('options must have exactly one of path or dataDir');
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
  // No foreign keys yet, but the ledger will have them and SQLite defaults this to OFF.
  db.pragma('foreign_keys = ON');
}

function isConstraintError(err: unknown): boolean {
  return (
    err instanceof Database.SqliteError &&
    (err.code === 'SQLITE_CONSTRAINT_UNIQUE' || err.code === 'SQLITE_CONSTRAINT_PRIMARYKEY')
  );
}

function createSqliteStore(db: Database.Database): Store {
  let closed = false;
  const ensureOpen = (): void => {
    if (closed) throw new StoreError('closed', 'The store has been closed');
  };

  // Prepared once: preparing is the expensive part and these run on every request.
  const stmt = {
    insertKey: db.prepare<[NewKeyRecord]>(
      `INSERT INTO api_keys (id, name, prefix, hash, role, created_at)
       VALUES (@id, @name, @prefix, @hash, @role, @createdAt)`,
    ),
    keyById: db.prepare<[string], KeyRow>(`SELECT ${KEY_COLUMNS} FROM api_keys WHERE id = ?`),
    keyByHash: db.prepare<[string], KeyRow>(`SELECT ${KEY_COLUMNS} FROM api_keys WHERE hash = ?`),
    listKeys: db.prepare<[], KeyRow>(`SELECT ${KEY_COLUMNS} FROM api_keys ORDER BY created_at, id`),
    renameKey: db.prepare<[{ id: string; name: string }], KeyRow>(
      `UPDATE api_keys SET name = @name WHERE id = @id RETURNING ${KEY_COLUMNS}`,
    ),
    // COALESCE keeps the first revocation time: revoking twice must not rewrite history.
    revokeKey: db.prepare<[{ id: string; at: number }], KeyRow>(
      `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, @at) WHERE id = @id RETURNING ${KEY_COLUMNS}`,
    ),
    // Usage is often flushed in batches that can land out of order; MAX keeps lastUsedAt monotonic.
    touchKey: db.prepare<[{ id: string; at: number; requests: number }]>(
      `UPDATE api_keys
          SET request_count = request_count + @requests,
              last_used_at = MAX(COALESCE(last_used_at, @at), @at)
        WHERE id = @id`,
    ),
    getMeta: db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?'),
    setMeta: db.prepare<[string, string]>(
      'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    ),
  };

  const keys: KeyStore = {
    async insert(rec) {
      ensureOpen();
      assertNewKeyRecord(rec);
      // Copy only the known fields: better-sqlite3 rejects objects with extra named parameters.
      const row: NewKeyRecord = {
        id: rec.id,
        name: rec.name,
        prefix: rec.prefix,
        hash: rec.hash,
        role: rec.role,
        createdAt: rec.createdAt,
      };
      try {
        stmt.insertKey.run(row);
      } catch (err) {
        if (isConstraintError(err)) {
          throw new StoreError('conflict', 'An API key with this id or hash already exists', { cause: err });
        }
        throw err;
      }
      return { ...row, lastUsedAt: null, revokedAt: null, requestCount: 0 };
    },
    async findByHash(hash) {
      ensureOpen();
      assertKeyHash(hash);
      const row = stmt.keyByHash.get(hash);
      return row === undefined ? undefined : toKeyRecord(row);
    },
    async get(id) {
      ensureOpen();
      assertKeyId(id);
      const row = stmt.keyById.get(id);
      return row === undefined ? undefined : toKeyRecord(row);
    },
    async list() {
      ensureOpen();
      return stmt.listKeys.all().map(toKeyRecord);
    },
    async rename(id, name) {
      ensureOpen();
      assertKeyId(id);
      assertKeyName(name);
      const row = stmt.renameKey.get({ id, name });
      return row === undefined ? undefined : toKeyRecord(row);
    },
    async revoke(id, at) {
      ensureOpen();
      assertKeyId(id);
      assertTimestamp(at, 'at');
      const row = stmt.revokeKey.get({ id, at });
      return row === undefined ? undefined : toKeyRecord(row);
    },
    async touch(id, at, requests = 1) {
      ensureOpen();
      assertKeyId(id);
      assertTimestamp(at, 'at');
      assertCount(requests, 'requests');
      stmt.touchKey.run({ id, at, requests });
    },
  };

  const meta: MetaStore = {
    async get(key) {
      ensureOpen();
      assertMetaKey(key);
      return stmt.getMeta.get(key)?.value;
    },
    async set(key, value) {
      ensureOpen();
      assertMetaKey(key);
      assertMetaValue(value);
      stmt.setMeta.run(key, value);
    },
  };

  return {
    kind: 'sqlite',
    keys,
    meta,
    async close() {
      if (closed) return;
      closed = true;
      db.close();
    },
  };
}
