/**
 * Verifies the report's own signature: ECDSA P-384 / SHA-384 over bytes 0x000–0x29F, with r and s
 * stored as 72-byte little-endian fields of which only the low 48 bytes may be non-zero. AMD's
 * firmware does not normalise s, so high-S signatures are valid here (lowS: false).
 */
import { p384 } from '@noble/curves/nist.js';
import { concatBytes, isAllZero } from '../bytes.js';
import type { SignatureResult } from '../x509/cert-signature.js';
import { SIGNED_LENGTH } from './layout.js';
import type { SnpReport } from './parse-report.js';

const SCALAR_LENGTH = 48;

/** Big-endian 48-byte scalar from a 72-byte little-endian field, or undefined if it overflows. */
function scalar(field: Uint8Array): Uint8Array | undefined {
  if (!isAllZero(field.subarray(SCALAR_LENGTH))) return undefined;
  return field.slice(0, SCALAR_LENGTH).reverse();
}

/**
 * Checks the report's ECDSA signature against an uncompressed P-384 point. Never throws.
 *
 * @example
 * verifyReportSignature(report, vcek.publicKey.point); // { ok: true }
 */
export function verifyReportSignature(report: SnpReport, publicKey: Uint8Array): SignatureResult {
  const r = scalar(report.signature.r);
  const s = scalar(report.signature.s);
  if (r === undefined || s === undefined)
    return { ok: false, reason: 'signature r or s has non-zero bytes above the low 48' };
  try {
    const ok = p384.verify(concatBytes(r, s), report.raw.subarray(0, SIGNED_LENGTH), publicKey, {
      lowS: false,
      prehash: true,
    });
    return ok
      ? { ok: true }
      : { ok: false, reason: 'ECDSA P-384 signature over bytes 0x000–0x29F does not verify with the leaf key' };
  } catch (error) {
    return {
      ok: false,
      reason: `ECDSA signature is malformed: ${error instanceof Error ? error.message : 'unknown error'}`,
    };
  }
}
