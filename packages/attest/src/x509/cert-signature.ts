/**
 * Checks that one certificate was signed by another's key: RSASSA-PSS SHA-384 salt 48 through
 * WebCrypto (AMD's ARK/ASK/ASVK), or Ed25519 through @noble/curves (the mock CA). RSA keys are
 * imported as JWK from the parsed modulus and exponent, which every WebCrypto accepts whatever
 * OID the certificate used for the key.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { exactCopy, toBase64Url } from '../bytes.js';
import type { Certificate } from './certificate.js';

/** Result of one signature check; `reason` says why it did not verify. */
export type SignatureResult = { ok: true } | { ok: false; reason: string };

/**
 * Verifies `subject`'s signature with `issuer`'s public key. Never throws on bad data.
 *
 * @example
 * const r = await verifyCertificateSignature(ask, ark); // { ok: true }
 */
export async function verifyCertificateSignature(subject: Certificate, issuer: Certificate): Promise<SignatureResult> {
  const alg = subject.signatureAlgorithm;
  const key = issuer.publicKey;
  if (alg.kind === 'unsupported') return { ok: false, reason: alg.detail };
  if (alg.kind === 'rsa-pss-sha384') {
    if (key.kind !== 'rsa') return { ok: false, reason: `issuer key is ${key.kind}, the signature is RSASSA-PSS` };
    return verifyRsaPss(key.modulus, key.exponent, subject.signature, subject.tbs);
  }
  if (key.kind !== 'ed25519') return { ok: false, reason: `issuer key is ${key.kind}, the signature is Ed25519` };
  try {
    return ed25519.verify(subject.signature, subject.tbs, key.key)
      ? { ok: true }
      : { ok: false, reason: 'Ed25519 signature does not verify' };
  } catch {
    return { ok: false, reason: 'Ed25519 signature is malformed' };
  }
}

async function verifyRsaPss(
  modulus: Uint8Array,
  exponent: Uint8Array,
  signature: Uint8Array,
  data: Uint8Array,
): Promise<SignatureResult> {
  try {
    const subtle = globalThis.crypto.subtle;
    const key = await subtle.importKey(
      'jwk',
      { kty: 'RSA', n: toBase64Url(modulus), e: toBase64Url(exponent), ext: true },
      { name: 'RSA-PSS', hash: 'SHA-384' },
      false,
      ['verify'],
    );
    const ok = await subtle.verify({ name: 'RSA-PSS', saltLength: 48 }, key, exactCopy(signature), exactCopy(data));
    return ok ? { ok: true } : { ok: false, reason: 'RSASSA-PSS signature does not verify' };
  } catch (error) {
    return {
      ok: false,
      reason: `RSASSA-PSS verification failed: ${error instanceof Error ? error.message : 'unknown error'}`,
    };
  }
}
