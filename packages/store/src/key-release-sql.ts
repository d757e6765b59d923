/**
 * What the SQLite and Postgres key-release stores share: the column lists they select, in one
 * order, and how a row becomes a record (timestamps checked as safe integers).
 */
import type { DeploymentKeyRecord, KeyGrantRecord, KeyHolderRecord, KeyRequestRecord } from './key-release-types.js';
import { safeInt } from './rows.js';

export const DEPLOYMENT_KEY_COLUMNS = 'measurement, platform, public_key, created_by, created_at';
export const KEY_HOLDER_COLUMNS = 'measurement, platform, holder, label, seen_at';
export const KEY_REQUEST_COLUMNS =
  'id, measurement, platform, requester, label, bundle, created_at, expires_at, refusal';
export const KEY_GRANT_COLUMNS = 'request_id, holder, enc, ciphertext, bundle, created_at';

export interface DeploymentKeyRow {
  measurement: string;
  platform: string;
  public_key: string;
  created_by: string;
  created_at: number;
}

export interface KeyHolderRow {
  measurement: string;
  platform: string;
  holder: string;
  label: string;
  seen_at: number;
}

export interface KeyRequestRow {
  id: string;
  measurement: string;
  platform: string;
  requester: string;
  label: string;
  bundle: string;
  created_at: number;
  expires_at: number;
  refusal: string | null;
}

export interface KeyGrantRow {
  request_id: string;
  holder: string;
  enc: string;
  ciphertext: string;
  bundle: string;
  created_at: number;
}

export function toDeploymentKey(row: DeploymentKeyRow): DeploymentKeyRecord {
  return {
    measurement: row.measurement,
    platform: row.platform,
    publicKey: row.public_key,
    createdBy: row.created_by,
    createdAt: safeInt(row.created_at, 'deployment_keys.created_at'),
  };
}

export function toKeyHolder(row: KeyHolderRow): KeyHolderRecord {
  return {
    measurement: row.measurement,
    platform: row.platform,
    holder: row.holder,
    label: row.label,
    seenAt: safeInt(row.seen_at, 'key_holders.seen_at'),
  };
}

export function toKeyRequest(row: KeyRequestRow): KeyRequestRecord {
  return {
    id: row.id,
    measurement: row.measurement,
    platform: row.platform,
    requester: row.requester,
    label: row.label,
    bundle: row.bundle,
    createdAt: safeInt(row.created_at, 'key_requests.created_at'),
    expiresAt: safeInt(row.expires_at, 'key_requests.expires_at'),
    refusal: row.refusal,
  };
}

export function toKeyGrant(row: KeyGrantRow): KeyGrantRecord {
  return {
    requestId: row.request_id,
    holder: row.holder,
    enc: row.enc,
    ciphertext: row.ciphertext,
    bundle: row.bundle,
    createdAt: safeInt(row.created_at, 'key_grants.created_at'),
  };
}
