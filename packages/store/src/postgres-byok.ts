/**
 * The BYOK domain on Postgres: the same statements as SQLite (sqlite-byok.ts, the upsert shared
 * through byok-rows.ts).
 */

import { InvalidArgumentError } from '@saferouter/errors';

import { assertByokId, assertByokProvider, assertNewByokKey } from './byok-inputs.js';
import { BYOK_COLUMNS, byokUpsertSql, toByokKeyRecord, type ByokRow } from './byok-rows.js';
import type { ByokStore } from './byok-types.js';
import { StoreError } from './errors.js';
import { assertKeyId } from './inputs.js';
import { isPgForeignKeyViolation, isPgUniqueViolation, onlyRow, type PgSql } from './postgres-sql.js';

const UPSERT = byokUpsertSql(['$1', '$2', '$3', '$4', '$5', '$6', '$7']);

/**
 * @example
 * const byok = createPostgresByokStore(sql, ensureOpen);
 */
export function createPostgresByokStore(sql: PgSql, ensureOpen: () => void): ByokStore {
  const columns = sql.unsafe(BYOK_COLUMNS);
  return {
    async put(rec) {
      ensureOpen();
      assertNewByokKey(rec);
      try {
        const rows = await sql.unsafe<ByokRow[]>(
          UPSERT,
          [rec.id, rec.keyId, rec.provider, rec.sealed, rec.last4, rec.alwaysUse, rec.createdAt],
          { prepare: true },
        );
        return toByokKeyRecord(onlyRow(rows, 'INSERT INTO byok_keys'));
      } catch (err) {
        if (isPgForeignKeyViolation(err))
          throw new InvalidArgumentError('rec.keyId', 'rec.keyId does not name a stored key', 'range');
        if (isPgUniqueViolation(err))
          throw new StoreError('conflict', 'A BYOK key with this id already exists', { cause: err });
        throw err;
      }
    },
    async list(keyId) {
      ensureOpen();
      assertKeyId(keyId, 'keyId');
      const rows = await sql<ByokRow[]>`SELECT ${columns} FROM byok_keys WHERE key_id = ${keyId} ORDER BY provider`;
      return rows.map(toByokKeyRecord);
    },
    async get(keyId, provider) {
      ensureOpen();
      assertKeyId(keyId, 'keyId');
      assertByokProvider(provider);
      const rows = await sql<ByokRow[]>`
        SELECT ${columns} FROM byok_keys WHERE key_id = ${keyId} AND provider = ${provider}`;
      const row = rows[0];
      return row === undefined ? undefined : toByokKeyRecord(row);
    },
    async delete(keyId, id) {
      ensureOpen();
      assertKeyId(keyId, 'keyId');
      assertByokId(id);
      const rows = await sql`DELETE FROM byok_keys WHERE key_id = ${keyId} AND id = ${id} RETURNING id`;
      return rows.length === 1;
    },
  };
}
