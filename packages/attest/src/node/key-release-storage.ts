/**
 * What key release (key-release.ts) needs from the database the replicas share. A leaf module of
 * types: `@saferouter/store`'s `store.keyRelease` implements it on Postgres (and SQLite), and a
 * test can implement it in memory. Nothing in it is secret, and nothing in it is trusted: the
 * protocol checks every bundle and grant it reads.
 *
 * Hex is lowercase; measurements, public keys and holder/requester ids (ed25519 signing keys)
 * are 32 bytes (64 hex). Times are milliseconds since the Unix epoch.
 */

/** A build's deployment key on a platform; the first replica to claim it made it. */
export interface DeploymentKeyRow {
  measurement: string;
  platform: string;
  /** X25519 public key. */
  publicKey: string;
  createdBy: string;
  createdAt: number;
}

/** A replica holding the key, as it last announced itself. */
export interface KeyHolderRow {
  measurement: string;
  platform: string;
  holder: string;
  /** For people: host and process. */
  label: string;
  seenAt: number;
}

/** A replica asking for the key. */
export interface KeyRequestRow {
  id: string;
  measurement: string;
  platform: string;
  requester: string;
  label: string;
  /** The requester's `AttestationBundle`, as JSON text. */
  bundle: string;
  createdAt: number;
  expiresAt: number;
  /** Why a holder refused it; null while pending or granted. */
  refusal: string | null;
}

/** A holder's answer: the key HPKE-sealed to the requester, with the holder's bundle. */
export interface KeyGrantRow {
  requestId: string;
  holder: string;
  /** base64url */
  enc: string;
  /** base64url */
  ciphertext: string;
  /** The holder's `AttestationBundle`, as JSON text. */
  bundle: string;
  createdAt: number;
}

/** The storage calls key release makes (see `KeyReleaseStore` in @saferouter/store for each one's contract). */
export interface KeyReleaseStorage {
  /** Inserts unless one exists; returns the row there afterwards (the first claim wins). */
  claimDeploymentKey(rec: DeploymentKeyRow): Promise<DeploymentKeyRow>;
  announceHolder(rec: KeyHolderRow): Promise<void>;
  /** Most recently seen first. */
  holders(measurement: string, platform: string): Promise<KeyHolderRow[]>;
  removeHolder(measurement: string, platform: string, holder: string): Promise<void>;
  insertRequest(rec: Omit<KeyRequestRow, 'refusal'>): Promise<void>;
  getRequest(id: string): Promise<KeyRequestRow | undefined>;
  /** Neither refused nor granted, `expiresAt > now`, oldest first, at most `limit`. */
  pendingRequests(measurement: string, platform: string, now: number, limit: number): Promise<KeyRequestRow[]>;
  /** True when the request is now `holder`'s (unclaimed, its own, or claimed before `staleBefore`). */
  claimRequest(id: string, holder: string, at: number, staleBefore: number): Promise<boolean>;
  /** The first refusal stays. */
  refuseRequest(id: string, reason: string): Promise<void>;
  /** False when the request already has a grant or is gone. */
  insertGrant(rec: KeyGrantRow): Promise<boolean>;
  /** Deletes and returns the grant: read once. */
  takeGrant(requestId: string): Promise<KeyGrantRow | undefined>;
  /** Deletes the request and its grant. */
  deleteRequest(id: string): Promise<void>;
  /** Deletes requests expired at or before `now` (and their grants); returns how many. */
  deleteExpired(now: number): Promise<number>;
}
