/**
 * The TLS key a certificate carries, as binding version 2 names it: SHA-256 over the DER
 * SubjectPublicKeyInfo (the value HPKP's `pin-sha256` hashed). One owner for the rule: the gateway
 * (for its own certificate) and the Node verifier (for the certificate its TLS connection
 * received) both ask this function. Browser-safe.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate, SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import { assertBytes } from '../validate.js';
import { parseBer } from './asn1.js';
import { pemToDerList } from './pem.js';

/**
 * SHA-256 of a certificate's DER SubjectPublicKeyInfo (32 bytes).
 *
 * @param certificate DER bytes, or PEM text (its first CERTIFICATE block: a chain's leaf).
 * @example
 * const tlsSpkiSha256 = certificateSpkiSha256(readFileSync(certPath, 'utf8'));
 * @throws {TypeError} when `certificate` is neither a Uint8Array nor a string.
 * @throws {RangeError} when it holds no certificate, or one that does not decode.
 */
export function certificateSpkiSha256(certificate: Uint8Array | string): Uint8Array {
  let der: Uint8Array;
  if (typeof certificate === 'string') {
    const first = pemToDerList(certificate)[0];
    if (first === undefined) throw new RangeError('certificate holds no PEM CERTIFICATE block');
    der = first;
  } else {
    assertBytes(certificate, 'certificate');
    der = certificate;
  }
  return hashSpki(parseBer(der, Certificate, 'Certificate').tbsCertificate.subjectPublicKeyInfo);
}

/**
 * SHA-256 of a DER SubjectPublicKeyInfo (what `exportKey('spki')` gives), computed the way
 * `certificateSpkiSha256` computes it for a certificate carrying that key.
 *
 * @example
 * const hash = spkiSha256(new Uint8Array(await crypto.subtle.exportKey('spki', publicKey)));
 * @throws {TypeError} when `spki` is not a Uint8Array.
 * @throws {RangeError} when it does not decode as a SubjectPublicKeyInfo.
 */
export function spkiSha256(spki: Uint8Array): Uint8Array {
  assertBytes(spki, 'spki');
  return hashSpki(parseBer(spki, SubjectPublicKeyInfo, 'SubjectPublicKeyInfo'));
}

/**
 * Re-encoded by asn1-schema: the DER of the key as the certificate carries it (for DER input,
 * its own bytes; a BER quirk elsewhere in a certificate does not change the hash).
 */
function hashSpki(info: SubjectPublicKeyInfo): Uint8Array {
  return sha256(new Uint8Array(AsnConvert.serialize(info)));
}
