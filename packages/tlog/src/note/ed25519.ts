/**
 * Ed25519 note keys (c2sp.org/signed-note signature type 0x01): RFC 8032 signatures over the
 * note text, with @noble/ed25519. Its synchronous API needs a SHA-512 wired into `ed.hashes`;
 * we wire @noble/hashes' (the setup noble documents) on first use rather than at import, and
 * only when nothing is wired yet. That avoids WebCrypto's per-digest round trip, which made
 * signing a checkpoint ~40% slower, and works where WebCrypto is absent (non-secure contexts).
 * Verification uses the strict RFC 8032 rules (`zip215: false`), which match Go's
 * crypto/ed25519 on canonical encodings.
 */
import * as ed from '@noble/ed25519';
import { sha512 } from '@noble/hashes/sha2.js';
import { encodeBase64 } from '../encoding/base64.js';
import { assertBytes } from '../validate.js';
import { assertKeyName, computeKeyId, formatKeyId } from './key-id.js';
import { SIGNATURE_TYPE_ED25519, type KeyedSigner, type KeyedVerifier } from './signer.js';

export const ED25519_PUBLIC_KEY_SIZE = 32;
export const ED25519_SEED_SIZE = 32;
export const ED25519_SIGNATURE_SIZE = 64;

function wireSha512(): void {
  ed.hashes.sha512 ??= sha512;
}

/** Verifies an Ed25519 signature; false (never a throw) for malformed keys or signatures. */
export async function ed25519Verify(
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  if (signature.length !== ED25519_SIGNATURE_SIZE || publicKey.length !== ED25519_PUBLIC_KEY_SIZE) return false;
  wireSha512();
  try {
    return ed.verify(signature, message, publicKey, { zip215: false });
  } catch {
    return false;
  }
}

/** The 32-byte Ed25519 public key of a 32-byte seed (the RFC 8032 private key). */
export async function ed25519PublicKey(seed: Uint8Array): Promise<Uint8Array> {
  assertBytes(seed, 'seed', ED25519_SEED_SIZE);
  wireSha512();
  return ed.getPublicKey(seed);
}

/** Signs with a 32-byte seed. Deterministic (RFC 8032). */
export async function ed25519Sign(seed: Uint8Array, message: Uint8Array): Promise<Uint8Array> {
  wireSha512();
  return ed.sign(message, seed);
}

/** A fresh random 32-byte seed from the platform CSPRNG. */
export function randomSeed(): Uint8Array {
  return ed.utils.randomSecretKey();
}

/** `name+hexkeyid+base64(type ‖ publicKey)`. */
export function formatVerifierKeyString(name: string, type: number, publicKey: Uint8Array): string {
  const keyId = computeKeyId(name, type, publicKey);
  const material = new Uint8Array(publicKey.length + 1);
  material[0] = type;
  material.set(publicKey, 1);
  return `${name}+${formatKeyId(keyId)}+${encodeBase64(material)}`;
}

/**
 * @example
 * const verifier = createEd25519Verifier('example.com/log', publicKey);
 * @throws {TypeError} when an argument has the wrong type.
 * @throws {RangeError} when `name` is not a valid key name or `publicKey` not 32 bytes.
 */
export function createEd25519Verifier(name: string, publicKey: Uint8Array): KeyedVerifier {
  return createKeyedVerifier(
    name,
    SIGNATURE_TYPE_ED25519,
    publicKey,
    (key) => (text, signature) => ed25519Verify(key, text, signature),
  );
}

/**
 * A verifier for an Ed25519-based key type (0x01 notes, 0x04 cosignatures): validates the name and
 * key, derives the key ID and vkey string, and wraps `makeVerify(copyOfKey)`.
 *
 * @throws {TypeError} when an argument has the wrong type.
 * @throws {RangeError} when `name` is not a valid key name or `publicKey` not 32 bytes.
 */
export function createKeyedVerifier(
  name: string,
  type: number,
  publicKey: Uint8Array,
  makeVerify: (key: Uint8Array) => KeyedVerifier['verify'],
): KeyedVerifier {
  assertKeyName(name);
  assertBytes(publicKey, 'publicKey', ED25519_PUBLIC_KEY_SIZE);
  const key = publicKey.slice();
  return {
    name,
    keyId: computeKeyId(name, type, key),
    type,
    publicKey: key,
    vkey: formatVerifierKeyString(name, type, key),
    verify: makeVerify(key),
  };
}

/**
 * @example
 * const signer = await createEd25519Signer('example.com/log', seed);
 * const note = await signNote('hello\n', [signer]);
 * @throws {TypeError} when an argument has the wrong type.
 * @throws {RangeError} when `name` is not a valid key name or `seed` not 32 bytes.
 */
export async function createEd25519Signer(name: string, seed: Uint8Array): Promise<KeyedSigner> {
  assertKeyName(name);
  assertBytes(seed, 'seed', ED25519_SEED_SIZE);
  const secret = seed.slice();
  const verifier = createEd25519Verifier(name, await ed25519PublicKey(secret));
  return {
    name,
    keyId: verifier.keyId,
    type: SIGNATURE_TYPE_ED25519,
    publicKey: verifier.publicKey,
    verifier,
    sign: (text) => ed25519Sign(secret, text),
  };
}
