/**
 * EHBP's wire constants (the Encrypted HTTP Body Protocol, SPEC.md of
 * tinfoilsh/encrypted-http-body-protocol): headers, the key discovery path and media type, the
 * HPKE suite (X25519 / HKDF-SHA256 / AES-256-GCM), the labels and sizes of the response key
 * derivation, and the problem type of a key-configuration mismatch.
 */
export const ENCAPSULATED_KEY_HEADER = 'Ehbp-Encapsulated-Key';
export const RESPONSE_NONCE_HEADER = 'Ehbp-Response-Nonce';
export const KEYS_PATH = '/.well-known/hpke-keys';
export const KEYS_MEDIA_TYPE = 'application/ohttp-keys';
export const PROBLEM_MEDIA_TYPE = 'application/problem+json';
export const KEY_CONFIG_PROBLEM_TYPE = 'urn:ietf:params:ehbp:error:key-config';

/** HPKE identifiers (RFC 9180 §7). */
export const KEM_X25519_HKDF_SHA256 = 0x0020;
export const KDF_HKDF_SHA256 = 0x0001;
export const AEAD_AES_256_GCM = 0x0002;

export const REQUEST_INFO = 'ehbp request';
export const EXPORT_LABEL = 'ehbp response';
/** Nk of AES-256-GCM, the exported secret's length. */
export const KEY_LENGTH = 32;
/** Nn of AES-256-GCM. */
export const NONCE_LENGTH = 12;
/** max(Nn, Nk): the response nonce's length. */
export const RESPONSE_NONCE_LENGTH = 32;
/** X25519's encapsulated key (Nenc) and public key (Npk). */
export const ENC_LENGTH = 32;
/** AES-GCM's tag. */
export const TAG_LENGTH = 16;
