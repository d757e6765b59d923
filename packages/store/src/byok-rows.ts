/**
 * The `byok_keys` row and its mapping to `ByokKeyRecord`, shared by both backends (SQLite stores
 * `always_use` as 0/1, Postgres as a boolean).
 */

import type { ByokKeyRecord } from './byok-types.js';
import { safeInt } from './rows.js';

export interface ByokRow {
  id: string;
  key_id: string;
  provider: string;
  sealed: string;
  last4: string;
  always_use: boolean | number;
  created_at: number;
}

export const BYOK_COLUMNS = 'id, key_id, provider, sealed, last4, always_use, created_at';

export function toByokKeyRecord(row: ByokRow): ByokKeyRecord {
  return {
    id: row.id,
    keyId: row.key_id,
    provider: row.provider,
    sealed: row.sealed,
    last4: row.last4,
    alwaysUse: row.always_use === true || row.always_use === 1,
    createdAt: safeInt(row.created_at, 'byok_keys.created_at'),
  };
}

/** The upsert both engines run: a new key for (owner, provider) replaces the old one, id and all. */
export function byokUpsertSql(placeholders: readonly string[]): string {
  return `INSERT INTO byok_keys (${BYOK_COLUMNS}) VALUES (${placeholders.join(', ')})
    ON CONFLICT (key_id, provider) DO UPDATE SET id = excluded.id, sealed = excluded.sealed, last4 = excluded.last4,
      always_use = excluded.always_use, created_at = excluded.created_at
    RETURNING ${BYOK_COLUMNS}`;
}
