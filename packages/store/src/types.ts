/**
 * The storage interface the gateway programs against. It is asynchronous even though SQLite is
 * not, so a Postgres implementation can sit behind it unchanged, and it is split by domain
 * (`store.keys`, `store.meta`; later `store.ledger`, `store.activity`, …) so each domain can be
 * tested and grown on its own. Every implementation must pass `describeStoreConformance()`.
 */

import type { BillingStore } from './billing-types.js';
import type { ActivityStore } from './activity-types.js';
import type { AuditStore } from './audit-types.js';
import type { ByokStore } from './byok-types.js';
import type { KeyReleaseStore } from './key-release-types.js';
import type { TlogStores } from './tlog-types.js';

/** What a key may do: `user` keys call the API, `admin` keys also manage keys. */
export type KeyRole = 'user' | 'admin';

/** Every valid {@link KeyRole}, for validation and schema checks. */
export const KEY_ROLES: readonly KeyRole[] = ['user', 'admin'];

/** A stored API key. Only the hash of the secret is kept; the secret itself never is. */
export interface KeyRecord {
  /** Public identifier, e.g. `key_0123456789abcdef`. */
  id: string;
  /** Human label chosen by the owner. */
  name: string;
  /** The first characters of the secret plus `…`, shown in lists so owners recognise a key. */
  prefix: string;
  /** Lowercase hex SHA-256 of the secret (see `hashApiKey`). Unique across keys. */
  hash: string;
  /** Milliseconds since the Unix epoch. */
  createdAt: number;
  /** Latest time the key was used, or `null` if never. Never moves backwards. */
  lastUsedAt: number | null;
  /** When the key was revoked, or `null` while it is active. */
  revokedAt: number | null;
  /** Requests made with this key. */
  requestCount: number;
  role: KeyRole;
  /** Optional per-key limits; null means unlimited. */
  limits: KeyLimits;
}

/** Per-key admission limits, enforced in Redis when configured, else in memory. */
export interface KeyLimits {
  /** Requests per minute. */
  rpm: number | null;
  /** Requests in flight at once. */
  concurrency: number | null;
}

/** The fields a caller supplies when creating a key; usage fields start empty. */
export type NewKeyRecord = Pick<KeyRecord, 'id' | 'name' | 'prefix' | 'hash' | 'role' | 'createdAt'> & {
  limits?: KeyLimits | undefined;
};

/** API keys: the gateway's authentication table. */
export interface KeyStore {
  /**
   * Stores a new key with `lastUsedAt`/`revokedAt` null and `requestCount` 0.
   *
   * @throws {StoreError} `conflict` when the id or the hash already exists.
   * @throws {TypeError | RangeError} on malformed fields (e.g. a hash that is not 64 hex chars).
   */
  insert(rec: NewKeyRecord): Promise<KeyRecord>;
  /** The key with this hash, revoked or not (the caller decides how to answer a revoked key). */
  findByHash(hash: string): Promise<KeyRecord | undefined>;
  get(id: string): Promise<KeyRecord | undefined>;
  /** All keys, revoked included, oldest first (ties broken by id). */
  list(): Promise<KeyRecord[]>;
  /** Sets the name; `undefined` when no key has this id. */
  rename(id: string, name: string): Promise<KeyRecord | undefined>;
  /** Sets the limits; `undefined` when no key has this id. */
  setLimits(id: string, limits: KeyLimits): Promise<KeyRecord | undefined>;
  /**
   * Marks the key revoked at `at`. Revoking again keeps the first `revokedAt`.
   * `undefined` when no key has this id.
   */
  revoke(id: string, at: number): Promise<KeyRecord | undefined>;
  /**
   * Records usage: adds `requests` (default 1) to `requestCount` and raises `lastUsedAt` to `at`
   * (never lowers it, so batched or out-of-order touches are safe). Unknown ids are ignored.
   */
  touch(id: string, at: number, requests?: number): Promise<void>;
}

/** A small key/value table for singletons such as the admin key hash. */
export interface MetaStore {
  get(key: string): Promise<string | undefined>;
  /** Creates or overwrites. */
  set(key: string, value: string): Promise<void>;
  /**
   * Stores `value` unless the key already holds one, and returns what the key holds afterwards:
   * the first writer wins, so replicas starting at once on one database agree (a generated
   * deployment secret, say).
   */
  setIfAbsent(key: string, value: string): Promise<string>;
}

/** Which backend a store runs on. */
export type StoreKind = 'sqlite' | 'postgres';

/** Everything the gateway persists, by domain. */
export interface Store {
  readonly kind: StoreKind;
  readonly keys: KeyStore;
  readonly meta: MetaStore;
  readonly billing: BillingStore;
  readonly activity: ActivityStore;
  /** Transparency logs (C2SP tlog-tiles storage), by name. */
  readonly tlog: TlogStores;
  /** Signed receipts and the samples committed to the audit log. */
  readonly audit: AuditStore;
  /** Provider keys brought by API keys (BYOK), sealed. */
  readonly byok: ByokStore;
  /** Sharing the sealing key between replicas (attested key release; used on Postgres). */
  readonly keyRelease: KeyReleaseStore;
  /**
   * One round trip to the database (`SELECT 1`), for a readiness probe. Rejects when the database
   * cannot be reached, and with `StoreError` code `closed` after `close()`.
   */
  ping(): Promise<void>;
  /**
   * Releases the connection. Idempotent; any other call afterwards rejects with
   * `StoreError` code `closed`.
   */
  close(): Promise<void>;
}
