/**
 * The report_data binding: the 64 bytes a quote asks the hardware (or the mock) to sign, tying
 * the client's nonce to this server's keys and measurement.
 *
 * report_data = SHA-512( utf8("saferouter-attest-v1") ‖ 0x00 ‖ nonce(32) ‖ signingKey(32)
 *                        ‖ sealingKey(32) ‖ measurement(32) )
 */
import { sha512 } from '@noble/hashes/sha2.js';
import { concatBytes, utf8 } from './bytes.js';
import { assertBytes, checkObject } from './validate.js';

/** Domain-separation label, versioned so a future layout cannot collide with this one. */
export const BINDING_DOMAIN = 'saferouter-attest-v1';
export const NONCE_LENGTH = 32;
export const REPORT_DATA_LENGTH = 64;
export const ED25519_PUBLIC_KEY_LENGTH = 32;
export const X25519_PUBLIC_KEY_LENGTH = 32;

export interface BindingInput {
  /** The client's fresh nonce (32 bytes). */
  nonce: Uint8Array;
  /** The gateway's ed25519 public key (32 bytes). */
  signingKey: Uint8Array;
  /** The gateway's X25519 public key (32 bytes). */
  sealingKey: Uint8Array;
  /** The gateway's measurement (32 bytes, see `computeMeasurement`). */
  measurement: Uint8Array;
}

/**
 * The 64-byte report_data for a quote.
 *
 * @example
 * const reportData = computeReportData({ nonce, signingKey, sealingKey, measurement });
 * @throws {TypeError} when an input is not a Uint8Array.
 * @throws {RangeError} when an input is not 32 bytes.
 */
export function computeReportData(input: BindingInput): Uint8Array {
  checkObject(input, 'input');
  assertBytes(input.nonce, 'nonce', NONCE_LENGTH);
  assertBytes(input.signingKey, 'signingKey', ED25519_PUBLIC_KEY_LENGTH);
  assertBytes(input.sealingKey, 'sealingKey', X25519_PUBLIC_KEY_LENGTH);
  assertBytes(input.measurement, 'measurement', 32);
  return sha512(
    concatBytes(
      utf8(BINDING_DOMAIN),
      new Uint8Array([0]),
      input.nonce,
      input.signingKey,
      input.sealingKey,
      input.measurement,
    ),
  );
}
