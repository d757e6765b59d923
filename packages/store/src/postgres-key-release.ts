/**
 * The key-release domain on Postgres (see key-release-types.ts): the tables replicas meet in to
 * share one sealing key. Any number of replicas run these at once, so every "unless" is in the
 * statement itself (ON CONFLICT, a guarded UPDATE, DELETE … RETURNING), never a read then a write.
 */

import { StoreError } from './errors.js';
import {
  assertDeploymentKeyRecord,
  assertHex32,
  assertKeyGrantRecord,
  assertKeyHolderRecord,
  assertNewKeyRequest,
  assertPlatform,
  assertRefusal,
  assertRequestId,
  assertRequestLimit,
} from './key-release-inputs.js';
import {
  DEPLOYMENT_KEY_COLUMNS,
  KEY_GRANT_COLUMNS,
  KEY_HOLDER_COLUMNS,
  KEY_REQUEST_COLUMNS,
  toDeploymentKey,
  toKeyGrant,
  toKeyHolder,
  toKeyRequest,
  type DeploymentKeyRow,
  type KeyGrantRow,
  type KeyHolderRow,
  type KeyRequestRow,
} from './key-release-sql.js';
import type { KeyReleaseStore } from './key-release-types.js';
import { isPgForeignKeyViolation, isPgUniqueViolation, onlyRow, type PgSql } from './postgres-sql.js';
import { assertTimestamp } from './validate.js';

/**
 * @example
 * const keyRelease = createPostgresKeyReleaseStore(sql, ensureOpen);
 */
export function createPostgresKeyReleaseStore(sql: PgSql, ensureOpen: () => void): KeyReleaseStore {
  const keyColumns = sql.unsafe(DEPLOYMENT_KEY_COLUMNS);
  const holderColumns = sql.unsafe(KEY_HOLDER_COLUMNS);
  const requestColumns = sql.unsafe(KEY_REQUEST_COLUMNS);
  const grantColumns = sql.unsafe(KEY_GRANT_COLUMNS);
  const selectKey = (measurement: string, platform: string) =>
    sql<DeploymentKeyRow[]>`
      SELECT ${keyColumns} FROM deployment_keys WHERE measurement = ${measurement} AND platform = ${platform}`;

  return {
    async claimDeploymentKey(rec) {
      ensureOpen();
      assertDeploymentKeyRecord(rec);
      await sql`
        INSERT INTO deployment_keys (${keyColumns})
        VALUES (${rec.measurement}, ${rec.platform}, ${rec.publicKey}, ${rec.createdBy}, ${rec.createdAt})
        ON CONFLICT (measurement, platform) DO NOTHING`;
      // A second statement, so under READ COMMITTED it sees the row a replica committed first.
      return toDeploymentKey(onlyRow(await selectKey(rec.measurement, rec.platform), 'SELECT deployment_keys'));
    },
    async deploymentKey(measurement, platform) {
      ensureOpen();
      assertHex32(measurement, 'measurement');
      assertPlatform(platform);
      const row = (await selectKey(measurement, platform))[0];
      return row === undefined ? undefined : toDeploymentKey(row);
    },
    async announceHolder(rec) {
      ensureOpen();
      assertKeyHolderRecord(rec);
      await sql`
        INSERT INTO key_holders (${holderColumns})
        VALUES (${rec.measurement}, ${rec.platform}, ${rec.holder}, ${rec.label}, ${rec.seenAt})
        ON CONFLICT (measurement, platform, holder)
        DO UPDATE SET label = EXCLUDED.label, seen_at = EXCLUDED.seen_at`;
    },
    async holders(measurement, platform) {
      ensureOpen();
      assertHex32(measurement, 'measurement');
      assertPlatform(platform);
      const rows = await sql<KeyHolderRow[]>`
        SELECT ${holderColumns} FROM key_holders WHERE measurement = ${measurement} AND platform = ${platform}
         ORDER BY seen_at DESC, holder`;
      return rows.map(toKeyHolder);
    },
    async removeHolder(measurement, platform, holder) {
      ensureOpen();
      assertHex32(measurement, 'measurement');
      assertPlatform(platform);
      assertHex32(holder, 'holder');
      await sql`
        DELETE FROM key_holders WHERE measurement = ${measurement} AND platform = ${platform} AND holder = ${holder}`;
    },
    async insertRequest(rec) {
      ensureOpen();
      assertNewKeyRequest(rec);
      try {
        await sql`
          INSERT INTO key_requests (id, measurement, platform, requester, label, bundle, created_at, expires_at)
          VALUES (${rec.id}, ${rec.measurement}, ${rec.platform}, ${rec.requester}, ${rec.label}, ${rec.bundle},
                  ${rec.createdAt}, ${rec.expiresAt})`;
      } catch (err) {
        if (isPgUniqueViolation(err))
          throw new StoreError('conflict', 'A key request with this id already exists', { cause: err });
        throw err;
      }
    },
    async getRequest(id) {
      ensureOpen();
      assertRequestId(id);
      const rows = await sql<KeyRequestRow[]>`SELECT ${requestColumns} FROM key_requests WHERE id = ${id}`;
      const row = rows[0];
      return row === undefined ? undefined : toKeyRequest(row);
    },
    async pendingRequests(measurement, platform, now, limit) {
      ensureOpen();
      assertHex32(measurement, 'measurement');
      assertPlatform(platform);
      assertTimestamp(now, 'now');
      assertRequestLimit(limit);
      const rows = await sql<KeyRequestRow[]>`
        SELECT ${requestColumns} FROM key_requests r
         WHERE measurement = ${measurement} AND platform = ${platform} AND refusal IS NULL
           AND expires_at > ${now}
           AND NOT EXISTS (SELECT 1 FROM key_grants g WHERE g.request_id = r.id)
         ORDER BY created_at, id LIMIT ${limit}`;
      return rows.map(toKeyRequest);
    },
    async claimRequest(id, holder, at, staleBefore) {
      ensureOpen();
      assertRequestId(id);
      assertHex32(holder, 'holder');
      assertTimestamp(at, 'at');
      assertTimestamp(staleBefore, 'staleBefore');
      const result = await sql`
        UPDATE key_requests SET claimed_by = ${holder}, claimed_at = ${at}
         WHERE id = ${id} AND refusal IS NULL
           AND (claimed_by IS NULL OR claimed_by = ${holder} OR claimed_at < ${staleBefore})`;
      return result.count > 0;
    },
    async refuseRequest(id, reason) {
      ensureOpen();
      assertRequestId(id);
      assertRefusal(reason);
      await sql`UPDATE key_requests SET refusal = ${reason} WHERE id = ${id} AND refusal IS NULL`;
    },
    async insertGrant(rec) {
      ensureOpen();
      assertKeyGrantRecord(rec);
      try {
        const result = await sql`
          INSERT INTO key_grants (${grantColumns})
          SELECT ${rec.requestId}, ${rec.holder}, ${rec.enc}, ${rec.ciphertext}, ${rec.bundle}, ${rec.createdAt}::bigint
           WHERE EXISTS (SELECT 1 FROM key_requests WHERE id = ${rec.requestId})
          ON CONFLICT (request_id) DO NOTHING`;
        return result.count > 0;
      } catch (err) {
        // The request was deleted between the EXISTS and the insert.
        if (isPgForeignKeyViolation(err)) return false;
        throw err;
      }
    },
    async takeGrant(requestId) {
      ensureOpen();
      assertRequestId(requestId, 'requestId');
      const rows = await sql<KeyGrantRow[]>`
        DELETE FROM key_grants WHERE request_id = ${requestId} RETURNING ${grantColumns}`;
      const row = rows[0];
      return row === undefined ? undefined : toKeyGrant(row);
    },
    async deleteRequest(id) {
      ensureOpen();
      assertRequestId(id);
      await sql`DELETE FROM key_requests WHERE id = ${id}`;
    },
    async deleteExpired(now) {
      ensureOpen();
      assertTimestamp(now, 'now');
      const result = await sql`DELETE FROM key_requests WHERE expires_at <= ${now}`;
      return result.count;
    },
  };
}
