/**
 * The BYOK domain: provider API keys a SafeRouter key brought, at most one per provider. The store
 * never sees a plaintext provider key: `sealed` is opaque ciphertext (the gateway keeps the key as
 * the client sealed it to the attested build, with what it is bound to: the gateway's byok.ts),
 * and `last4` is all that is shown of the key.
 */

/** A stored BYOK key. */
export interface ByokKeyRecord {
  /** Unique, e.g. `byok_…` (`timeOrderedId('byok')`). */
  id: string;
  /** The SafeRouter key that owns it (an `api_keys` id). */
  keyId: string;
  /** The catalog provider id it is for (1–64 of `a-z 0-9 . _ -`). */
  provider: string;
  /** The sealed key, as text (at most 16 KiB): ciphertext, never the key. */
  sealed: string;
  /** The last (at most 4) characters of the provider key, to recognise it by. */
  last4: string;
  /** Never fall back to the gateway's own key for this provider. */
  alwaysUse: boolean;
  /** Milliseconds since the Unix epoch. */
  createdAt: number;
}

/** What `put` takes: a whole record. */
export type NewByokKey = ByokKeyRecord;

export interface ByokStore {
  /**
   * Stores a key, replacing the owner's earlier key for the same provider (whose id then names
   * nothing): one statement, so two uploads racing leave exactly one of them.
   *
   * @example
   * await store.byok.put({ id: timeOrderedId('byok'), keyId, provider: 'openai', sealed, last4: 'x9Qa', alwaysUse: false, createdAt: Date.now() });
   * @throws {InvalidArgumentError} on a malformed field, or a `keyId` that names no stored key.
   * @throws {StoreError} `conflict` when another owner's or provider's key already has this id.
   */
  put(rec: NewByokKey): Promise<ByokKeyRecord>;
  /**
   * The owner's keys, by provider. Sealed keys included (ciphertext: what the gateway needs to
   * tell which build they are sealed to); the plaintext is never in the store.
   *
   * @throws {InvalidArgumentError} on a malformed key id.
   */
  list(keyId: string): Promise<ByokKeyRecord[]>;
  /**
   * The owner's key for one provider, or undefined.
   *
   * @throws {InvalidArgumentError} on a malformed key id or provider.
   */
  get(keyId: string, provider: string): Promise<ByokKeyRecord | undefined>;
  /**
   * Deletes the owner's key with this id; false when the owner has none with it (another owner's
   * id included).
   *
   * @throws {InvalidArgumentError} on a malformed key id or id.
   */
  delete(keyId: string, id: string): Promise<boolean>;
}
