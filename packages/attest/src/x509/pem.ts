/**
 * PEM ⇄ DER for certificates. Browser-safe.
 */
import { fromBase64, toBase64 } from '../bytes.js';

const BLOCK_RE = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g;

/**
 * Every CERTIFICATE block in `text`, in order, as DER.
 *
 * @example
 * const [ask, ark] = pemToDerList(AMD_ROOTS.Milan.ask + AMD_ROOTS.Milan.ark);
 * @throws {TypeError} when `text` is not a string.
 * @throws {RangeError} when a block's body is not base64.
 */
export function pemToDerList(text: string): Uint8Array[] {
  if (typeof text !== 'string') throw new TypeError('pem must be a string');
  const out: Uint8Array[] = [];
  for (const match of text.matchAll(BLOCK_RE)) {
    out.push(fromBase64((match[1] ?? '').replace(/\s+/g, ''), 'PEM body'));
  }
  return out;
}

/**
 * One PEM CERTIFICATE block (64-column body, trailing newline).
 *
 * @example
 * bundle.certChain.push(derToPem(vcekDer));
 */
export function derToPem(der: Uint8Array): string {
  const body = toBase64(der)
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n$/, '');
  return `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`;
}

/** True when `bytes` look like PEM text rather than DER (DER certificates start with 0x30). */
export function looksLikePem(bytes: Uint8Array): boolean {
  return new TextDecoder().decode(bytes.subarray(0, 64)).includes('-----BEGIN');
}
