/**
 * The key-release domain on SQLite (see key-release-types.ts). Only Postgres deployments run
 * key release; this keeps the two engines one schema and one conformance suite. One writer, so
 * each "unless" is a single statement's WHERE clause.
 */

import type Database from 'better-sqlite3';
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
import { isSqliteUniqueViolation } from './sqlite-keys.js';
import { assertTimestamp } from './validate.js';

/**
 * @example
 * const keyRelease = createSqliteKeyReleaseStore(db, ensureOpen);
 */
export function createSqliteKeyReleaseStore(db: Database.Database, ensureOpen: () => void): KeyReleaseStore {
  const stmt = {
    claimKey: db.prepare<[string, string, string, string, number]>(
      `INSERT INTO deployment_keys (${DEPLOYMENT_KEY_COLUMNS}) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (measurement, platform) DO NOTHING`,
    ),
    key: db.prepare<[string, string], DeploymentKeyRow>(
      `SELECT ${DEPLOYMENT_KEY_COLUMNS} FROM deployment_keys WHERE measurement = ? AND platform = ?`,
    ),
    announce: db.prepare<[string, string, string, string, number]>(
      `INSERT INTO key_holders (${KEY_HOLDER_COLUMNS}) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (measurement, platform, holder) DO UPDATE SET label = excluded.label, seen_at = excluded.seen_at`,
    ),
    holders: db.prepare<[string, string], KeyHolderRow>(
      `SELECT ${KEY_HOLDER_COLUMNS} FROM key_holders WHERE measurement = ? AND platform = ?
       ORDER BY seen_at DESC, holder`,
    ),
    removeHolder: db.prepare<[string, string, string]>(
      'DELETE FROM key_holders WHERE measurement = ? AND platform = ? AND holder = ?',
    ),
    insertRequest: db.prepare<[string, string, string, string, string, string, number, number]>(
      `INSERT INTO key_requests (id, measurement, platform, requester, label, bundle, created_at, expires_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    request: db.prepare<[string], KeyRequestRow>(`SELECT ${KEY_REQUEST_COLUMNS} FROM key_requests WHERE id = ?`),
    pending: db.prepare<[string, string, number, number], KeyRequestRow>(
      `SELECT ${KEY_REQUEST_COLUMNS} FROM key_requests r
        WHERE measurement = ? AND platform = ? AND refusal IS NULL AND expires_at > ?
          AND NOT EXISTS (SELECT 1 FROM key_grants g WHERE g.request_id = r.id)
        ORDER BY created_at, id LIMIT ?`,
    ),
    claimRequest: db.prepare<[string, number, string, string, number]>(
      `UPDATE key_requests SET claimed_by = ?, claimed_at = ?
        WHERE id = ? AND refusal IS NULL AND (claimed_by IS NULL OR claimed_by = ? OR claimed_at < ?)`,
    ),
    refuse: db.prepare<[string, string]>('UPDATE key_requests SET refusal = ? WHERE id = ? AND refusal IS NULL'),
    insertGrant: db.prepare<[string, string, string, string, string, number, string]>(
      `INSERT INTO key_grants (${KEY_GRANT_COLUMNS})
       SELECT ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM key_requests WHERE id = ?)
       ON CONFLICT (request_id) DO NOTHING`,
    ),
    takeGrant: db.prepare<[string], KeyGrantRow>(
      `DELETE FROM key_grants WHERE request_id = ? RETURNING ${KEY_GRANT_COLUMNS}`,
    ),
    deleteRequest: db.prepare<[string]>('DELETE FROM key_requests WHERE id = ?'),
    deleteExpired: db.prepare<[number]>('DELETE FROM key_requests WHERE expires_at <= ?'),
  };

  return {
    async claimDeploymentKey(rec) {
      ensureOpen();
      assertDeploymentKeyRecord(rec);
      stmt.claimKey.run(rec.measurement, rec.platform, rec.publicKey, rec.createdBy, rec.createdAt);
      return toDeploymentKey(stmt.key.get(rec.measurement, rec.platform) as DeploymentKeyRow);
    },
    async deploymentKey(measurement, platform) {
      ensureOpen();
      assertHex32(measurement, 'measurement');
      assertPlatform(platform);
      const row = stmt.key.get(measurement, platform);
      return row === undefined ? undefined : toDeploymentKey(row);
    },
    async announceHolder(rec) {
      ensureOpen();
      assertKeyHolderRecord(rec);
      stmt.announce.run(rec.measurement, rec.platform, rec.holder, rec.label, rec.seenAt);
    },
    async holders(measurement, platform) {
      ensureOpen();
      assertHex32(measurement, 'measurement');
      assertPlatform(platform);
      return stmt.holders.all(measurement, platform).map(toKeyHolder);
    },
    async removeHolder(measurement, platform, holder) {
      ensureOpen();
      assertHex32(measurement, 'measurement');
      assertPlatform(platform);
      assertHex32(holder, 'holder');
      stmt.removeHolder.run(measurement, platform, holder);
    },
    async insertRequest(rec) {
      ensureOpen();
      assertNewKeyRequest(rec);
      try {
        stmt.insertRequest.run(
          rec.id,
          rec.measurement,
          rec.platform,
          rec.requester,
          rec.label,
          rec.bundle,
          rec.createdAt,
          rec.expiresAt,
        );
      } catch (err) {
        if (isSqliteUniqueViolation(err))
          throw new StoreError('conflict', 'A key request with this id already exists', { cause: err });
        throw err;
      }
    },
    async getRequest(id) {
      ensureOpen();
      assertRequestId(id);
      const row = stmt.request.get(id);
      return row === undefined ? undefined : toKeyRequest(row);
    },
    async pendingRequests(measurement, platform, now, limit) {
      ensureOpen();
      assertHex32(measurement, 'measurement');
      assertPlatform(platform);
      assertTimestamp(now, 'now');
      assertRequestLimit(limit);
      return stmt.pending.all(measurement, platform, now, limit).map(toKeyRequest);
    },
    async claimRequest(id, holder, at, staleBefore) {
      ensureOpen();
      assertRequestId(id);
      assertHex32(holder, 'holder');
      assertTimestamp(at, 'at');
      assertTimestamp(staleBefore, 'staleBefore');
      return stmt.claimRequest.run(holder, at, id, holder, staleBefore).changes > 0;
    },
    async refuseRequest(id, reason) {
      ensureOpen();
      assertRequestId(id);
      assertRefusal(reason);
      stmt.refuse.run(reason, id);
    },
    async insertGrant(rec) {
      ensureOpen();
      assertKeyGrantRecord(rec);
      const { requestId, holder, enc, ciphertext, bundle, createdAt } = rec;
      return stmt.insertGrant.run(requestId, holder, enc, ciphertext, bundle, createdAt, requestId).changes > 0;
    },
    async takeGrant(requestId) {
      ensureOpen();
      assertRequestId(requestId, 'requestId');
      const row = stmt.takeGrant.get(requestId);
      return row === undefined ? undefined : toKeyGrant(row);
    },
    async deleteRequest(id) {
      ensureOpen();
      assertRequestId(id);
      stmt.deleteRequest.run(id);
    },
    async deleteExpired(now) {
      ensureOpen();
      assertTimestamp(now, 'now');
      return stmt.deleteExpired.run(now).changes;
    },
  };
}
