/**
 * The key and meta domains on Postgres. Same statements as SQLite (`sqlite-keys.ts`), with
 * GREATEST for SQLite's two-argument MAX; postgres.js prepares each statement once per
 * connection, so the hot lookups cost one round trip.
 */

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
import { isPgUniqueViolation, onlyRow, type PgSql } from './postgres-sql.js';
import { KEY_COLUMNS, toKeyRecord, type KeyRow } from './rows.js';
import type { KeyRecord, KeyStore, MetaStore } from './types.js';
import { assertCount, assertTimestamp } from './validate.js';

/**
 * @example
 * const keys = createPostgresKeyStore(sql, ensureOpen);
 */
export function createPostgresKeyStore(sql: PgSql, ensureOpen: () => void): KeyStore {
  const columns = sql.unsafe(KEY_COLUMNS);
  const first = (rows: readonly KeyRow[]): KeyRecord | undefined => {
    const row = rows[0];
    return row === undefined ? undefined : toKeyRecord(row);
  };

  return {
    async insert(rec) {
      ensureOpen();
      assertNewKeyRecord(rec);
      const limits = rec.limits ?? NO_LIMITS;
      try {
        const rows = await sql<KeyRow[]>`
          INSERT INTO api_keys (id, name, prefix, hash, role, created_at, rpm_limit, concurrency_limit)
          VALUES (${rec.id}, ${rec.name}, ${rec.prefix}, ${rec.hash}, ${rec.role}, ${rec.createdAt},
                  ${limits.rpm}, ${limits.concurrency})
          RETURNING ${columns}`;
        return toKeyRecord(onlyRow(rows, 'INSERT INTO api_keys'));
      } catch (err) {
        if (isPgUniqueViolation(err)) {
          throw new StoreError('conflict', 'An API key with this id or hash already exists', { cause: err });
        }
        throw err;
      }
    },
    async findByHash(hash) {
      ensureOpen();
      assertKeyHash(hash);
      return first(await sql<KeyRow[]>`SELECT ${columns} FROM api_keys WHERE hash = ${hash}`);
    },
    async get(id) {
      ensureOpen();
      assertKeyId(id);
      return first(await sql<KeyRow[]>`SELECT ${columns} FROM api_keys WHERE id = ${id}`);
    },
    async list() {
      ensureOpen();
      const rows = await sql<KeyRow[]>`SELECT ${columns} FROM api_keys ORDER BY created_at, id`;
      return rows.map(toKeyRecord);
    },
    async rename(id, name) {
      ensureOpen();
      assertKeyId(id);
      assertKeyName(name);
      return first(await sql<KeyRow[]>`UPDATE api_keys SET name = ${name} WHERE id = ${id} RETURNING ${columns}`);
    },
    async setLimits(id, limits) {
      ensureOpen();
      assertKeyId(id);
      assertKeyLimits(limits);
      return first(
        await sql<KeyRow[]>`
          UPDATE api_keys SET rpm_limit = ${limits.rpm}, concurrency_limit = ${limits.concurrency}
           WHERE id = ${id} RETURNING ${columns}`,
      );
    },
    async revoke(id, at) {
      ensureOpen();
      assertKeyId(id);
      assertTimestamp(at, 'at');
      // COALESCE keeps the first revocation time: revoking twice must not rewrite history.
      return first(
        await sql<KeyRow[]>`
          UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ${at}::bigint) WHERE id = ${id} RETURNING ${columns}`,
      );
    },
    async touch(id, at, requests = 1) {
      ensureOpen();
      assertKeyId(id);
      assertTimestamp(at, 'at');
      assertCount(requests, 'requests');
      // Batched touches can land out of order; GREATEST keeps lastUsedAt monotonic.
      await sql`
        UPDATE api_keys
           SET request_count = request_count + ${requests}::bigint,
               last_used_at = GREATEST(COALESCE(last_used_at, ${at}::bigint), ${at}::bigint)
         WHERE id = ${id}`;
    },
  };
}

/**
 * @example
 * const meta = createPostgresMetaStore(sql, ensureOpen);
 */
export function createPostgresMetaStore(sql: PgSql, ensureOpen: () => void): MetaStore {
  return {
    async get(key) {
      ensureOpen();
      assertMetaKey(key);
      const rows = await sql<{ value: string }[]>`SELECT value FROM meta WHERE key = ${key}`;
      return rows[0]?.value;
    },
    async set(key, value) {
      ensureOpen();
      assertMetaKey(key);
      assertMetaValue(value);
      await sql`INSERT INTO meta (key, value) VALUES (${key}, ${value})
                ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`;
    },
    async setIfAbsent(key, value) {
      ensureOpen();
      assertMetaKey(key);
      assertMetaValue(value);
      await sql`INSERT INTO meta (key, value) VALUES (${key}, ${value}) ON CONFLICT (key) DO NOTHING`;
      // A second statement, so under READ COMMITTED it sees a row another replica committed first.
      const rows = await sql<{ value: string }[]>`SELECT value FROM meta WHERE key = ${key}`;
      return (rows[0] as { value: string }).value;
    },
  };
}
