/**
 * The BYOK domain on SQLite (see byok-types.ts). Keys are written rarely (an upload, a delete)
 * and read by owner, so every statement is prepared once and runs on its own.
 */

import Database from 'better-sqlite3';
import { InvalidArgumentError } from '@saferouter/errors';

import { assertByokId, assertByokProvider, assertNewByokKey } from './byok-inputs.js';
import { BYOK_COLUMNS, byokUpsertSql, toByokKeyRecord, type ByokRow } from './byok-rows.js';
import type { ByokStore } from './byok-types.js';
import { StoreError } from './errors.js';
import { assertKeyId } from './inputs.js';
import { isSqliteUniqueViolation } from './sqlite-keys.js';

type UpsertParams = [string, string, string, string, string, number, number];

/**
 * @example
 * const byok = createSqliteByokStore(db, ensureOpen);
 */
export function createSqliteByokStore(db: Database.Database, ensureOpen: () => void): ByokStore {
  const stmt = {
    upsert: db.prepare<UpsertParams, ByokRow>(byokUpsertSql(['?', '?', '?', '?', '?', '?', '?'])),
    list: db.prepare<[string], ByokRow>(`SELECT ${BYOK_COLUMNS} FROM byok_keys WHERE key_id = ? ORDER BY provider`),
    get: db.prepare<[string, string], ByokRow>(
      `SELECT ${BYOK_COLUMNS} FROM byok_keys WHERE key_id = ? AND provider = ?`,
    ),
    delete: db.prepare<[string, string]>('DELETE FROM byok_keys WHERE key_id = ? AND id = ?'),
  };

  return {
    async put(rec) {
      ensureOpen();
      assertNewByokKey(rec);
      let row: ByokRow | undefined;
      try {
        row = stmt.upsert.get(
          rec.id,
          rec.keyId,
          rec.provider,
          rec.sealed,
          rec.last4,
          rec.alwaysUse ? 1 : 0,
          rec.createdAt,
        );
      } catch (err) {
        if (err instanceof Database.SqliteError && err.code === 'SQLITE_CONSTRAINT_FOREIGNKEY')
          throw new InvalidArgumentError('rec.keyId', 'rec.keyId does not name a stored key', 'range');
        if (isSqliteUniqueViolation(err))
          throw new StoreError('conflict', 'A BYOK key with this id already exists', { cause: err });
        throw err;
      }
      if (row === undefined) throw new Error('INSERT … RETURNING returned no row');
      return toByokKeyRecord(row);
    },
    async list(keyId) {
      ensureOpen();
      assertKeyId(keyId, 'keyId');
      return stmt.list.all(keyId).map(toByokKeyRecord);
    },
    async get(keyId, provider) {
      ensureOpen();
      assertKeyId(keyId, 'keyId');
      assertByokProvider(provider);
      const row = stmt.get.get(keyId, provider);
      return row === undefined ? undefined : toByokKeyRecord(row);
    },
    async delete(keyId, id) {
      ensureOpen();
      assertKeyId(keyId, 'keyId');
      assertByokId(id);
      return stmt.delete.run(keyId, id).changes === 1;
    },
  };
}
