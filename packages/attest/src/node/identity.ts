/**
 * The gateway's persistent identity: an ed25519 signing key and, next to it, an X25519 sealing
 * key, made on first start under `<dataDir>/attest/` and stored sealed (AES-256-GCM under a KEK
 * only this build can derive, see sealing.ts) in files of mode 0600. A new build cannot unseal
 * them and gets fresh keys (sealed-files.ts). Private keys never leave this module; callers get
 * public keys, `sign` and `sealingSharedSecret`. Replicas that share one sealing key (key
 * release, key-release.ts) swap it in with `adoptSealingKey` before serving, and a holder hands
 * it over with `withSealingKey`, the one way out, for that purpose only.
 */
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { createPrivateKey, createPublicKey, diffieHellman, sign as nodeSign, type KeyObject } from 'node:crypto';
import { join } from 'node:path';
import { assertBytes, assertNonEmptyString, assertOptionalFunction, checkObject } from '../validate.js';
import { loadOrCreateSealed, type SealedFile } from './sealed-files.js';
import type { KeySealer } from './sealing.js';
import { attestDir, type Log } from './secure-files.js';

export { attestDir };

/** The sealed ed25519 seed (a sealed-blob JSON document). */
export const SIGNING_KEY_FILE = 'signing-ed25519.key.sealed';
/** The sealed X25519 scalar (a sealed-blob JSON document). */
export const SEALING_KEY_FILE = 'sealing-x25519.key.sealed';
/** Plaintext key files of versions before sealing: sealed on first start, then removed. */
export const LEGACY_KEY_FILES = { signing: 'signing-ed25519.key', sealing: 'sealing-x25519.key' } as const;
/** What each key is sealed for (the blob's `context`, part of its AAD). */
export const IDENTITY_SEAL_CONTEXTS = {
  signing: 'identity.signing-ed25519',
  sealing: 'identity.sealing-x25519',
} as const;

export interface Identity {
  /** ed25519 public key (32 bytes). */
  readonly signingPublicKey: Uint8Array;
  /** X25519 public key (32 bytes): the local key, or the deployment's once adopted. */
  readonly sealingPublicKey: Uint8Array;
  /** Where the sealed key files live. */
  readonly files: { signing: string; sealing: string };
  /** How this start got its keys: made, loaded, migrated from plaintext, or replaced for a new build. */
  readonly origin: { signing: SealedFile['origin']; sealing: SealedFile['origin'] };
  /** ed25519 signature (64 bytes, RFC 8032) over `message`. */
  sign(message: Uint8Array): Uint8Array;
  /** X25519 shared secret with a peer's public key (32 bytes); feed it to a KDF, never use raw. */
  sealingSharedSecret(peerPublicKey: Uint8Array): Uint8Array;
  /**
   * Serves `secret` (a 32-byte X25519 scalar: the deployment's shared sealing key, released to
   * this replica) as the sealing key from now on, in place of the local one; `secret` is zeroed.
   * Call it before anything is served: public keys read earlier stay the old ones.
   *
   * @throws {TypeError | RangeError} when `secret` is not 32 bytes.
   */
  adoptSealingKey(secret: Uint8Array): void;
  /**
   * Calls `use` with a copy of the sealing private key (32 bytes), zeroed when `use` returns:
   * only to wrap it for an attested replica of this build (key release). Never log or store it.
   */
  withSealingKey<T>(use: (secret: Uint8Array) => T): T;
}

export interface IdentityOptions {
  /** Seals the keys at rest (`createKeySealer`, or `attestor.sealer`). */
  sealer: KeySealer;
  log?: Log | undefined;
}

function check32(secret: Uint8Array, path: string): void {
  if (secret.length !== 32)
    throw new Error(`${path} holds ${secret.length} bytes, expected 32: refusing to use a corrupt key file`);
}

/**
 * Loads the identity from `<dataDir>/attest/`, creating missing keys (sealed, mode 0600),
 * sealing plaintext key files an older version left (and removing them), and replacing keys
 * another build sealed (the old files kept as `….old`, with a warning).
 *
 * @example
 * const sealer = await createKeySealer({ backend: 'mock', measurement, dataDir });
 * const id = await loadOrCreateIdentity(dataDir, { sealer });
 * const sig = id.sign(new TextEncoder().encode('hello'));
 * @throws {TypeError | RangeError} when `dataDir` is not a non-empty string or `sealer` is missing.
 * @throws {Error} when a key file fails authentication (tampered, another chip, another mock
 *   secret) or holds a key of the wrong length.
 */
export async function loadOrCreateIdentity(dataDir: string, options: IdentityOptions): Promise<Identity> {
  assertNonEmptyString(dataDir, 'dataDir');
  checkObject(options, 'options');
  checkObject(options.sealer, 'options.sealer');
  assertOptionalFunction(options.log, 'options.log');
  const { sealer, log } = options;
  const dir = attestDir(dataDir);
  const files = { signing: join(dir, SIGNING_KEY_FILE), sealing: join(dir, SEALING_KEY_FILE) };
  const replacedNote = 'the identity changes with the build; this start is recorded as usual';
  const signing = await loadOrCreateSealed({
    path: files.signing,
    legacyPath: join(dir, LEGACY_KEY_FILES.signing),
    context: IDENTITY_SEAL_CONTEXTS.signing,
    sealer,
    generate: () => ed25519.utils.randomSecretKey(),
    check: check32,
    replacedNote,
    log,
  });
  const sealing = await loadOrCreateSealed({
    path: files.sealing,
    legacyPath: join(dir, LEGACY_KEY_FILES.sealing),
    context: IDENTITY_SEAL_CONTEXTS.sealing,
    sealer,
    generate: () => x25519.utils.randomSecretKey(),
    check: check32,
    replacedNote,
    log,
  });
  const signingSecret = signing.secret;
  const sealingSecret = sealing.secret;
  const signingPublicKey = ed25519.getPublicKey(signingSecret);
  let sealingPublicKey = x25519.getPublicKey(sealingSecret);
  // Signing runs on the request path (a receipt per response): node:crypto's Ed25519 is several
  // times faster than a pure-JS one, and Ed25519 is deterministic, so the signatures are the same.
  const signingKey = ed25519PrivateKey(signingSecret);
  let sealingKey = x25519PrivateKey(sealingSecret);
  // The key objects hold their own copies (OpenSSL memory); drop ours.
  signingSecret.fill(0);
  sealingSecret.fill(0);
  return {
    signingPublicKey,
    get sealingPublicKey() {
      return sealingPublicKey;
    },
    files,
    origin: { signing: signing.origin, sealing: sealing.origin },
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
    adoptSealingKey(secret: Uint8Array): void {
      assertBytes(secret, 'secret', 32);
      try {
        const publicKey = x25519.getPublicKey(secret);
        sealingKey = x25519PrivateKey(secret.slice());
        sealingPublicKey = publicKey;
      } finally {
        secret.fill(0);
      }
    },
    withSealingKey<T>(use: (secret: Uint8Array) => T): T {
      const d = sealingKey.export({ format: 'jwk' }).d;
      const secret = new Uint8Array(Buffer.from(d ?? '', 'base64url'));
      try {
        if (secret.length !== 32) throw new Error('the sealing key did not export as 32 bytes');
        return use(secret);
      } finally {
        secret.fill(0);
      }
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
  return pkcs8Key(der);
}

/** A node:crypto key object for an Ed25519 seed. */
function ed25519PrivateKey(seed: Uint8Array): KeyObject {
  const der = new Uint8Array(ED25519_PKCS8_PREFIX.length + 32);
  der.set(ED25519_PKCS8_PREFIX);
  der.set(seed, ED25519_PKCS8_PREFIX.length);
  return pkcs8Key(der);
}

/** A private key object from PKCS#8 DER, zeroing the DER afterwards. */
function pkcs8Key(der: Uint8Array): KeyObject {
  const buffer = Buffer.from(der);
  try {
    return createPrivateKey({ key: buffer, format: 'der', type: 'pkcs8' });
  } finally {
    buffer.fill(0);
    der.fill(0);
  }
}
