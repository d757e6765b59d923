/**
 * Normalises the certificate inputs callers hand the verifiers (DER bytes, PEM bytes, PEM text)
 * and validates option types at the boundary. Malformed certificate *content* is not an error
 * here: it becomes a failed check later.
 */
import { fromBase64 } from '../bytes.js';
import { looksLikePem } from '../x509/pem.js';
import {
  assertOptionalBoolean,
  assertOptionalDate,
  assertOptionalInteger,
  checkObject,
  isRecord,
} from '../validate.js';
import type { PolicyOptions } from './policy-checks.js';

/** A certificate list as PEM text, or as DER byte arrays. */
export type CertificateList = string | readonly Uint8Array[];

const EMPTY = new Uint8Array(0);

/**
 * DER of a single certificate given as DER bytes, PEM bytes or PEM text (the first block).
 *
 * @throws {TypeError} when `value` is neither a string nor a Uint8Array.
 */
export function certificateDer(value: unknown, name: string): Uint8Array {
  if (typeof value === 'string') return safePem(value)[0] ?? EMPTY;
  if (value instanceof Uint8Array)
    return looksLikePem(value) ? (safePem(new TextDecoder().decode(value))[0] ?? EMPTY) : value;
  throw new TypeError(`${name} must be a Uint8Array (DER or PEM) or a PEM string`);
}

/**
 * DER list from PEM text or a DER array.
 *
 * @throws {TypeError} when `value` is neither a string nor an array of Uint8Array.
 */
export function certificateList(value: unknown, name: string): Uint8Array[] {
  if (typeof value === 'string') return safePem(value);
  if (Array.isArray(value) && value.every((v) => v instanceof Uint8Array)) return [...(value as Uint8Array[])];
  throw new TypeError(`${name} must be PEM text or an array of DER Uint8Arrays`);
}

/** PEM blocks, with undecodable ones turned into empty (unparseable) certificates. */
function safePem(text: string): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const m of text.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)) {
    try {
      out.push(fromBase64((m[1] ?? '').replace(/\s+/g, ''), 'PEM body'));
    } catch {
      out.push(EMPTY);
    }
  }
  return out;
}

/**
 * Checks the policy options shared by both verifiers.
 *
 * @throws {TypeError} for options of the wrong type.
 * @throws {RangeError} for maxVmpl outside 0–3 or TCB parts outside 0–255.
 */
export function validatePolicyOptions(options: PolicyOptions & { now?: Date }, name: string): void {
  checkObject(options, name);
  assertOptionalBoolean(options.allowDebug, `${name}.allowDebug`);
  assertOptionalInteger(options.maxVmpl, `${name}.maxVmpl`, 0, 3);
  assertOptionalDate(options.now, `${name}.now`);
  if (options.minTcb !== undefined) {
    if (!isRecord(options.minTcb)) throw new TypeError(`${name}.minTcb must be an object`);
    for (const [key, v] of Object.entries(options.minTcb)) {
      if (!['bootloader', 'tee', 'snp', 'microcode', 'fmc'].includes(key))
        throw new RangeError(`${name}.minTcb.${key} is not a TCB component`);
      assertOptionalInteger(v, `${name}.minTcb.${key}`, 0, 255);
    }
  }
}
