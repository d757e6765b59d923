/**
 * The report_data binding: the 64 bytes a quote asks the hardware (or the mock) to sign, tying
 * the client's nonce to this server's keys and measurement, and (version 2) to the key its TLS
 * certificate carries, so a client can tell that TLS ends inside the attested build.
 *
 * v1: report_data = SHA-512( utf8("saferouter-attest-v1") ‖ 0x00 ‖ nonce(32) ‖ signingKey(32)
 *                            ‖ sealingKey(32) ‖ measurement(32) )
 * v2: report_data = SHA-512( utf8("saferouter-attest-v2") ‖ 0x00 ‖ nonce(32) ‖ signingKey(32)
 *                            ‖ sealingKey(32) ‖ measurement(32) ‖ tlsSpkiSha256(32) )
 */
import { sha512 } from '@noble/hashes/sha2.js';
import { concatBytes, utf8 } from './bytes.js';
import { assertBytes, checkObject } from './validate.js';

/** Domain-separation label of binding version 1, versioned so a later layout cannot collide with it. */
export const BINDING_DOMAIN = 'saferouter-attest-v1';
/** Domain-separation label of binding version 2 (adds the TLS certificate's SPKI hash). */
export const BINDING_DOMAIN_V2 = 'saferouter-attest-v2';
export const NONCE_LENGTH = 32;
export const REPORT_DATA_LENGTH = 64;
export const ED25519_PUBLIC_KEY_LENGTH = 32;
export const X25519_PUBLIC_KEY_LENGTH = 32;
/** SHA-256 of a DER SubjectPublicKeyInfo. */
export const TLS_SPKI_SHA256_LENGTH = 32;

export interface BindingInput {
  /** The client's fresh nonce (32 bytes). */
  nonce: Uint8Array;
  /** The gateway's ed25519 public key (32 bytes). */
  signingKey: Uint8Array;
  /** The gateway's X25519 public key (32 bytes). */
  sealingKey: Uint8Array;
  /** The gateway's measurement (32 bytes, see `computeMeasurement`). */
  measurement: Uint8Array;
  /**
   * SHA-256 of the DER SubjectPublicKeyInfo of the gateway's TLS certificate (32 bytes, see
   * `certificateSpkiSha256`). Present: the version-2 layout; absent: version 1.
   */
  tlsSpkiSha256?: Uint8Array | undefined;
}

/**
 * The 64-byte report_data for a quote: version 2 when `tlsSpkiSha256` is given, else version 1.
 *
 * @example
 * const v1 = computeReportData({ nonce, signingKey, sealingKey, measurement });
 * const v2 = computeReportData({ nonce, signingKey, sealingKey, measurement, tlsSpkiSha256 });
 * @throws {TypeError} when an input is not a Uint8Array.
 * @throws {RangeError} when an input is not 32 bytes.
 */
export function computeReportData(input: BindingInput): Uint8Array {
  checkObject(input, 'input');
  assertBytes(input.nonce, 'nonce', NONCE_LENGTH);
  assertBytes(input.signingKey, 'signingKey', ED25519_PUBLIC_KEY_LENGTH);
  assertBytes(input.sealingKey, 'sealingKey', X25519_PUBLIC_KEY_LENGTH);
  assertBytes(input.measurement, 'measurement', 32);
  const tls = input.tlsSpkiSha256;
  if (tls !== undefined) assertBytes(tls, 'tlsSpkiSha256', TLS_SPKI_SHA256_LENGTH);
  return sha512(
    concatBytes(
      utf8(tls === undefined ? BINDING_DOMAIN : BINDING_DOMAIN_V2),
      new Uint8Array([0]),
      input.nonce,
      input.signingKey,
      input.sealingKey,
      input.measurement,
      ...(tls === undefined ? [] : [tls]),
    ),
  );
}
