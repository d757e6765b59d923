/**
 * The two small interfaces a signed note needs, apart from any algorithm: a signer produces the
 * signature bytes for a note text, a verifier checks them. A key is identified by its name and
 * 32-bit key ID (c2sp.org/signed-note); `type` is the signature type byte that went into the ID.
 * Ed25519 note keys (0x01) and Ed25519 witness cosignatures (0x04) implement both.
 */

/** c2sp.org/signed-note signature type 0x01: Ed25519 over the note text. */
export const SIGNATURE_TYPE_ED25519 = 0x01;
/** c2sp.org/tlog-cosignature `cosignature/v1`: timestamped Ed25519 witness cosignatures. */
export const SIGNATURE_TYPE_COSIGNATURE_V1 = 0x04;

export interface NoteVerifier {
  /** Key name, as on signature lines. */
  readonly name: string;
  /** The uint32 key ID that prefixes this key's signatures. */
  readonly keyId: number;
  /** Signature type byte (0x01 Ed25519, 0x04 cosignature/v1, …). */
  readonly type: number;
  /** True when `signature` (without the 4-byte key ID) is valid for the note text. Never throws. */
  verify(text: Uint8Array, signature: Uint8Array): Promise<boolean>;
}

export interface NoteSigner {
  readonly name: string;
  readonly keyId: number;
  readonly type: number;
  /** The signature bytes for the note text (without the 4-byte key ID). */
  sign(text: Uint8Array): Promise<Uint8Array>;
}

/** A verifier that also knows its public key and its c2sp verifier-key string. */
export interface KeyedVerifier extends NoteVerifier {
  readonly publicKey: Uint8Array;
  /** `name+hexkeyid+base64(type ‖ publicKey)`. */
  readonly vkey: string;
}

/** A signer that can hand out its own verifier (and so its public key). */
export interface KeyedSigner extends NoteSigner {
  readonly publicKey: Uint8Array;
  readonly verifier: KeyedVerifier;
}
