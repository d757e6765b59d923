/**
 * The byte-level pieces of key release (key-release.ts), in one place so both sides of the
 * protocol compute them the same way:
 *
 *   request nonce = SHA-256( UTF-8("saferouter-key-request-v1") ‖ 0x00 ‖ UTF-8(request id) ‖ 0x00
 *                            ‖ created_at as u64 big-endian ms )
 *   grant nonce   = SHA-256( UTF-8("saferouter-key-grant-v1") ‖ 0x00 ‖ UTF-8(request id) ‖ 0x00
 *                            ‖ enc (32 bytes) ‖ ciphertext )
 *   HPKE info     = UTF-8("saferouter-key-release-v1") ‖ 0x00 ‖ app measurement (32 bytes)
 *                   ‖ UTF-8(request id)
 *
 * The key is wrapped with HPKE base mode (RFC 9180; DHKEM(X25519, HKDF-SHA256), HKDF-SHA256,
 * AES-256-GCM: EHBP's suite, on node:crypto) to the requester's transport key, and a platform is
 * the string a verified bundle reduces to: 'mock', or 'sev-snp:<launch MEASUREMENT hex>:<POLICY
 * 16 hex>', so replicas only ever share a key with VMs launched from the same image under the
 * same policy.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { setupRecipient, setupSender } from '@saferouter/ehbp/server';
import { concatBytes, toHex, utf8 } from '../bytes.js';
import type { Verdict } from '../verify/verdict.js';
import { assertBytes, assertNonEmptyString } from '../validate.js';

export const KEY_REQUEST_DOMAIN = 'saferouter-key-request-v1';
export const KEY_GRANT_DOMAIN = 'saferouter-key-grant-v1';
export const KEY_RELEASE_INFO = 'saferouter-key-release-v1';
/** The platform of every mock replica. */
export const MOCK_PLATFORM = 'mock';

const ZERO = Uint8Array.of(0);

function u64be(value: number): Uint8Array {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError('createdAt must be a non-negative integer');
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(value));
  return out;
}

/**
 * The nonce a requester's bundle answers: it binds the request row, so a bundle copied into
 * another row, or an old row, does not verify.
 *
 * @throws {TypeError | RangeError} for an empty id or a negative or fractional time.
 */
export function keyRequestNonce(requestId: string, createdAt: number): Uint8Array {
  assertNonEmptyString(requestId, 'requestId');
  return sha256(concatBytes(utf8(KEY_REQUEST_DOMAIN), ZERO, utf8(requestId), ZERO, u64be(createdAt)));
}

/**
 * The nonce a holder's bundle answers: it binds the grant (which request, which ciphertext), so
 * a grant not made by an attested holder of this build does not verify.
 *
 * @throws {TypeError | RangeError} for an empty id or an `enc` that is not 32 bytes.
 */
export function keyGrantNonce(requestId: string, enc: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  assertNonEmptyString(requestId, 'requestId');
  assertBytes(enc, 'enc', 32);
  assertBytes(ciphertext, 'ciphertext');
  return sha256(concatBytes(utf8(KEY_GRANT_DOMAIN), ZERO, utf8(requestId), ZERO, enc, ciphertext));
}

/** The HPKE info: the wrapped key opens only for this build and this request. */
export function keyReleaseInfo(measurement: Uint8Array, requestId: string): Uint8Array {
  assertBytes(measurement, 'measurement', 32);
  assertNonEmptyString(requestId, 'requestId');
  return concatBytes(utf8(KEY_RELEASE_INFO), ZERO, measurement, utf8(requestId));
}

/**
 * Where a verified bundle says its VM runs: 'mock', or 'sev-snp:<launch>:<policy>' from the
 * report. Undefined for a verdict that did not pass.
 */
export function platformOf(verdict: Verdict): string | undefined {
  if (!verdict.ok) return undefined;
  if (verdict.backend === 'mock') return MOCK_PLATFORM;
  if (!verdict.hardware || verdict.report === undefined) return undefined;
  return `sev-snp:${toHex(verdict.report.measurement)}:${verdict.report.policy.toString(16).padStart(16, '0')}`;
}

/** HPKE-seals the 32-byte key to `recipientPublicKey` (the requester's transport key). */
export function wrapKey(
  secret: Uint8Array,
  recipientPublicKey: Uint8Array,
  info: Uint8Array,
): { enc: Uint8Array; ciphertext: Uint8Array } {
  assertBytes(secret, 'secret', 32);
  assertBytes(recipientPublicKey, 'recipientPublicKey', 32);
  const { enc, context } = setupSender(recipientPublicKey, info);
  return { enc, ciphertext: context.seal(secret) };
}

/**
 * Opens a wrapped key with the transport key (`dh`: X25519 with its private half).
 *
 * @throws {Error} when it does not open (another recipient, another build or request, tampered).
 */
export function unwrapKey(
  dh: (peer: Uint8Array) => Uint8Array,
  recipientPublicKey: Uint8Array,
  enc: Uint8Array,
  ciphertext: Uint8Array,
  info: Uint8Array,
): Uint8Array {
  return setupRecipient(dh, recipientPublicKey, enc, info).open(ciphertext);
}
