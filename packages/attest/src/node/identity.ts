/**
 * The gateway's persistent identity: an ed25519 signing key and, next to it, an X25519 sealing
 * key, both made on first start under `<dataDir>/attest/` with mode 0600. Private keys never
 * leave this module; callers get public keys, `sign` and `sealingSharedSecret`.
 */
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { createPrivateKey, createPublicKey, diffieHellman, sign as nodeSign, type KeyObject } from 'node:crypto';
import { join } from 'node:path';
import { assertBytes, assertNonEmptyString } from '../validate.js';
import { loadOrCreateSecret, type Log } from './secure-files.js';

export const SIGNING_KEY_FILE = 'signing-ed25519.key';
export const SEALING_KEY_FILE = 'sealing-x25519.key';

export interface Identity {
  /** ed25519 public key (32 bytes). */
  readonly signingPublicKey: Uint8Array;
  /** X25519 public key (32 bytes). */
  readonly sealingPublicKey: Uint8Array;
  /** Where the key files live. */
  readonly files: { signing: string; sealing: string };
  /** ed25519 signature (64 bytes, RFC 8032) over `message`. */
  sign(message: Uint8Array): Uint8Array;
  /** X25519 shared secret with a peer's public key (32 bytes); feed it to a KDF, never use raw. */
  sealingSharedSecret(peerPublicKey: Uint8Array): Uint8Array;
}

/** The directory the package keeps its files in. */
export function attestDir(dataDir: string): string {
  return join(dataDir, 'attest');
}

/**
 * Loads the identity from `<dataDir>/attest/`, creating missing keys (mode 0600).
 *
 * @example
 * const id = await loadOrCreateIdentity('/var/lib/saferouter');
 * const sig = id.sign(new TextEncoder().encode('hello'));
 * @throws {TypeError | RangeError} when `dataDir` is not a non-empty string.
 * @throws {Error} when a key file exists with the wrong length.
 */
export async function loadOrCreateIdentity(dataDir: string, log?: Log): Promise<Identity> {
  assertNonEmptyString(dataDir, 'dataDir');
  const dir = attestDir(dataDir);
  const files = { signing: join(dir, SIGNING_KEY_FILE), sealing: join(dir, SEALING_KEY_FILE) };
  const { secret: signingSecret } = await loadOrCreateSecret(
    files.signing,
    32,
    () => ed25519.utils.randomSecretKey(),
    log,
  );
  const { secret: sealingSecret } = await loadOrCreateSecret(
    files.sealing,
    32,
    () => x25519.utils.randomSecretKey(),
    log,
  );
  const signingPublicKey = ed25519.getPublicKey(signingSecret);
  const sealingPublicKey = x25519.getPublicKey(sealingSecret);
  // Signing runs on the request path (a receipt per response): node:crypto's Ed25519 is several
  // times faster than a pure-JS one, and Ed25519 is deterministic, so the signatures are the same.
  const signingKey = ed25519PrivateKey(signingSecret);
  const sealingKey = x25519PrivateKey(sealingSecret);
  return {
    signingPublicKey,
    sealingPublicKey,
    files,
    sign(message: Uint8Array): Uint8Array {
      assertBytes(message, 'message');
      return new Uint8Array(nodeSign(null, message, signingKey));
    },
    sealingSharedSecret(peerPublicKey: Uint8Array): Uint8Array {
      assertBytes(peerPublicKey, 'peerPublicKey', 32);
      // node:crypto (OpenSSL), as for signing: EHBP runs one of these per sealed request.
      // As a JWK: importing one is ~8× faster than the same key as SPKI DER.
      const publicKey = createPublicKey({
        key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(peerPublicKey).toString('base64url') },
        format: 'jwk',
      });
      return new Uint8Array(diffieHellman({ privateKey: sealingKey, publicKey }));
    },
  };
}

/** PKCS#8 DER prefix of an Ed25519 private key (RFC 8410): the 32-byte seed follows it. */
const ED25519_PKCS8_PREFIX = Uint8Array.from([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
]);

/** PKCS#8 DER prefix of an X25519 private key (RFC 8410). */
const X25519_PKCS8_PREFIX = Uint8Array.from([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20,
]);

/** A node:crypto key object for an X25519 private key. */
function x25519PrivateKey(secret: Uint8Array): KeyObject {
  const der = new Uint8Array(X25519_PKCS8_PREFIX.length + 32);
  der.set(X25519_PKCS8_PREFIX);
  der.set(secret, X25519_PKCS8_PREFIX.length);
  return createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' });
}

/** A node:crypto key object for an Ed25519 seed. */
function ed25519PrivateKey(seed: Uint8Array): KeyObject {
  const der = new Uint8Array(ED25519_PKCS8_PREFIX.length + 32);
  der.set(ED25519_PKCS8_PREFIX);
  der.set(seed, ED25519_PKCS8_PREFIX.length);
  return createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' });
}
