/**
 * The key-release domain: what replicas on one database need to share one X25519 sealing key per
 * build (`@saferouter/attest/node`'s key-release.ts runs the protocol; this is only its storage).
 * Nothing secret is stored here: a deployment key row holds the public key, a request holds the
 * requester's attestation bundle, and a grant holds the private key HPKE-sealed to a key only the
 * attested requester holds, with the holder's bundle beside it. The database is not trusted with
 * anything the protocol does not check.
 *
 * Hex is lowercase; `measurement`, `publicKey`, `createdBy`, `holder` and `requester` are 32 bytes
 * (64 hex). `platform` names where the key may live ('mock', or 'sev-snp:<launch>:<policy>').
 */

/** The one deployment key of a build on a platform: the first replica to claim it made it. */
export interface DeploymentKeyRecord {
  /** The app measurement (64 hex). */
  measurement: string;
  /** 1–200 of `a-z 0-9 : -`. */
  platform: string;
  /** The X25519 public key every holder serves (64 hex). */
  publicKey: string;
  /** The ed25519 signing key of the replica that claimed it (64 hex). */
  createdBy: string;
  /** Milliseconds since the Unix epoch. */
  createdAt: number;
}

/** A replica holding a build's deployment key, as it last announced itself. */
export interface KeyHolderRecord {
  measurement: string;
  platform: string;
  /** Its ed25519 signing key (64 hex). */
  holder: string;
  /** For people: host and process (0–200 characters). */
  label: string;
  /** When it last announced itself (ms). */
  seenAt: number;
}

/** A replica asking for the deployment key. */
export interface KeyRequestRecord {
  /** 1–64 of `A-Z a-z 0-9 _ -`. */
  id: string;
  measurement: string;
  platform: string;
  /** The requester's ed25519 signing key (64 hex). */
  requester: string;
  /** 0–200 characters. */
  label: string;
  /** The requester's attestation bundle, as JSON text (2–65536 characters). */
  bundle: string;
  createdAt: number;
  /** After this, holders ignore it and anyone may delete it. */
  expiresAt: number;
  /** Why a holder refused it (1–1000 characters); null while it is pending or granted. */
  refusal: string | null;
}

/** What `insertRequest` takes. */
export type NewKeyRequest = Omit<KeyRequestRecord, 'refusal'>;

/** A holder's answer: the deployment private key, HPKE-sealed to the requester. */
export interface KeyGrantRecord {
  /** The request it answers (one grant per request). */
  requestId: string;
  /** The holder's ed25519 signing key (64 hex). */
  holder: string;
  /** HPKE encapsulated key, base64url (1–256 characters). */
  enc: string;
  /** HPKE ciphertext, base64url (1–1024 characters). */
  ciphertext: string;
  /** The holder's attestation bundle, as JSON text: its nonce binds this grant. */
  bundle: string;
  createdAt: number;
}

export interface KeyReleaseStore {
  /**
   * Stores `rec` unless the build already has a key on this platform, and returns the row there
   * afterwards: the first claim wins, so replicas starting at once agree on one key.
   *
   * @throws {InvalidArgumentError} on a malformed field.
   */
  claimDeploymentKey(rec: DeploymentKeyRecord): Promise<DeploymentKeyRecord>;
  /** The build's deployment key on this platform, or undefined. */
  deploymentKey(measurement: string, platform: string): Promise<DeploymentKeyRecord | undefined>;
  /** Records (or refreshes) a holder: label and seenAt are overwritten. */
  announceHolder(rec: KeyHolderRecord): Promise<void>;
  /** The build's holders on this platform, most recently seen first. */
  holders(measurement: string, platform: string): Promise<KeyHolderRecord[]>;
  /** Forgets a holder (it stopped). Unknown holders are ignored. */
  removeHolder(measurement: string, platform: string, holder: string): Promise<void>;
  /**
   * Stores a new request with no refusal.
   *
   * @throws {StoreError} `conflict` when a request with this id exists.
   */
  insertRequest(rec: NewKeyRequest): Promise<void>;
  getRequest(id: string): Promise<KeyRequestRecord | undefined>;
  /**
   * The build's requests on this platform that are neither refused nor granted and not expired
   * at `now` (`expiresAt > now`), oldest first, at most `limit` (1–100).
   */
  pendingRequests(measurement: string, platform: string, now: number, limit: number): Promise<KeyRequestRecord[]>;
  /**
   * Takes a request for `holder` at `at`, unless another holder took it after `staleBefore`:
   * true when it is now this holder's, so two holders rarely both answer it.
   */
  claimRequest(id: string, holder: string, at: number, staleBefore: number): Promise<boolean>;
  /** Records why the request is refused. The first refusal stays; unknown ids are ignored. */
  refuseRequest(id: string, reason: string): Promise<void>;
  /** Stores the grant unless the request has one or is gone (then false). */
  insertGrant(rec: KeyGrantRecord): Promise<boolean>;
  /** Deletes and returns the request's grant: a grant is read once. */
  takeGrant(requestId: string): Promise<KeyGrantRecord | undefined>;
  /** Deletes the request and its grant. */
  deleteRequest(id: string): Promise<void>;
  /** Deletes the requests that expired at or before `now`, and their grants; returns how many. */
  deleteExpired(now: number): Promise<number>;
}
