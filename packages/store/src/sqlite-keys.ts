/**
 * The key and meta domains on SQLite: the authentication table the gateway reads on every
 * request, and a small key/value table for singletons.
 */

import Database from 'better-sqlite3';
import { StoreError } from './errors.js';
import {
  assertKeyHash,
  assertKeyId,
  assertKeyLimits,
  assertKeyName,
  assertMetaKey,
  assertMetaValue,
  assertNewKeyRecord,
  NO_LIMITS,
} from './inputs.js';
import { KEY_COLUMNS, toKeyRecord, type KeyRow } from './rows.js';
import type { KeyStore, MetaStore } from './types.js';
import { assertCount, assertTimestamp } from './validate.js';

/** True for a violated UNIQUE or PRIMARY KEY constraint. */
export function isSqliteUniqueViolation(err: unknown): boolean {
  return (
    err instanceof Database.SqliteError &&
    (err.code === 'SQLITE_CONSTRAINT_UNIQUE' || err.code === 'SQLITE_CONSTRAINT_PRIMARYKEY')
  );
}

interface InsertKeyParams {
  id: string;
  name: string;
  prefix: string;
  hash: string;
  role: string;
  createdAt: number;
  rpm: number | null;
  concurrency: number | null;
}

/**
 * @example
 * const keys = createSqliteKeyStore(db, ensureOpen);
 */
export function createSqliteKeyStore(db: Database.Database, ensureOpen: () => void): KeyStore {
  // Prepared once: preparing is the expensive part and these run on every request.
  const stmt = {
    insert: db.prepare<[InsertKeyParams], KeyRow>(
      `INSERT INTO api_keys (id, name, prefix, hash, role, created_at, rpm_limit, concurrency_limit)
       VALUES (@id, @name, @prefix, @hash, @role, @createdAt, @rpm, @concurrency)
       RETURNING ${KEY_COLUMNS}`,
    ),
    byId: db.prepare<[string], KeyRow>(`SELECT ${KEY_COLUMNS} FROM api_keys WHERE id = ?`),
    byHash: db.prepare<[string], KeyRow>(`SELECT ${KEY_COLUMNS} FROM api_keys WHERE hash = ?`),
    list: db.prepare<[], KeyRow>(`SELECT ${KEY_COLUMNS} FROM api_keys ORDER BY created_at, id`),
    rename: db.prepare<[{ id: string; name: string }], KeyRow>(
      `UPDATE api_keys SET name = @name WHERE id = @id RETURNING ${KEY_COLUMNS}`,
    ),
    setLimits: db.prepare<[{ id: string; rpm: number | null; concurrency: number | null }], KeyRow>(
      `UPDATE api_keys SET rpm_limit = @rpm, concurrency_limit = @concurrency WHERE id = @id RETURNING ${KEY_COLUMNS}`,
    ),
    // COALESCE keeps the first revocation time: revoking twice must not rewrite history.
    revoke: db.prepare<[{ id: string; at: number }], KeyRow>(
      `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, @at) WHERE id = @id RETURNING ${KEY_COLUMNS}`,
    ),
    // Usage is often flushed in batches that can land out of order; MAX keeps lastUsedAt monotonic.
    touch: db.prepare<[{ id: string; at: number; requests: number }]>(
      `UPDATE api_keys
          SET request_count = request_count + @requests,
              last_used_at = MAX(COALESCE(last_used_at, @at), @at)
        WHERE id = @id`,
    ),
  };
  const record = (row: KeyRow | undefined) => (row === undefined ? undefined : toKeyRecord(row));

  return {
    async insert(rec) {
      ensureOpen();
      assertNewKeyRecord(rec);
      const limits = rec.limits ?? NO_LIMITS;
      // Named fields only: better-sqlite3 rejects objects with extra named parameters.
      const params: InsertKeyParams = {
        id: rec.id,
        name: rec.name,
        prefix: rec.prefix,
        hash: rec.hash,
        role: rec.role,
        createdAt: rec.createdAt,
        rpm: limits.rpm,
        concurrency: limits.concurrency,
      };
      let row: KeyRow | undefined;
      try {
        row = stmt.insert.get(params);
      } catch (err) {
        if (isSqliteUniqueViolation(err)) {
          throw new StoreError('conflict', 'An API key with this id or hash already exists', { cause: err });
        }
        throw err;
      }
      if (row === undefined) throw new Error('INSERT … RETURNING returned no row');
      return toKeyRecord(row);
    },
    async findByHash(hash) {
      ensureOpen();
      assertKeyHash(hash);
      return record(stmt.byHash.get(hash));
    },
    async get(id) {
      ensureOpen();
      assertKeyId(id);
      return record(stmt.byId.get(id));
    },
    async list() {
      ensureOpen();
      return stmt.list.all().map(toKeyRecord);
    },
    async rename(id, name) {
      ensureOpen();
      assertKeyId(id);
      assertKeyName(name);
      return record(stmt.rename.get({ id, name }));
    },
    async setLimits(id, limits) {
      ensureOpen();
      assertKeyId(id);
      assertKeyLimits(limits);
      return record(stmt.setLimits.get({ id, rpm: limits.rpm, concurrency: limits.concurrency }));
    },
    async revoke(id, at) {
      ensureOpen();
      assertKeyId(id);
      assertTimestamp(at, 'at');
      return record(stmt.revoke.get({ id, at }));
    },
    async touch(id, at, requests = 1) {
      ensureOpen();
      assertKeyId(id);
      assertTimestamp(at, 'at');
      assertCount(requests, 'requests');
      stmt.touch.run({ id, at, requests });
    },
  };
}

/**
 * @example
 * const meta = createSqliteMetaStore(db, ensureOpen);
 */
export function createSqliteMetaStore(db: Database.Database, ensureOpen: () => void): MetaStore {
  const get = db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?');
  const set = db.prepare<[string, string]>(
    'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
  );
  const insertIfAbsent = db.prepare<[string, string]>(
    'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING',
  );
  return {
    async get(key) {
      ensureOpen();
      assertMetaKey(key);
      return get.get(key)?.value;
    },
    async setIfAbsent(key, value) {
      ensureOpen();
      assertMetaKey(key);
      assertMetaValue(value);
      insertIfAbsent.run(key, value);
      return (get.get(key) as { value: string }).value;
    },
    async set(key, value) {
      ensureOpen();
      assertMetaKey(key);
      assertMetaValue(value);
      set.run(key, value);
    },
  };
}
