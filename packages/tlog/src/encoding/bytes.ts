/**
 * Small byte helpers shared by the package: strict UTF-8 both ways (a lone surrogate or an
 * invalid sequence is an error, never a silent U+FFFD), equality, concatenation and hex.
 * Built on TextEncoder/TextDecoder, which browsers and Node both provide.
 */
import { TlogError } from '../errors.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * @example
 * utf8Encode('— '); // Uint8Array [0xe2, 0x80, 0x94, 0x20]
 * @throws {TlogError} `malformed` when the string holds a lone surrogate (not encodable as UTF-8).
 */
export function utf8Encode(text: string): Uint8Array {
  if (LONE_SURROGATE.test(text)) throw new TlogError('malformed', 'text is not valid Unicode (lone surrogate)');
  return encoder.encode(text);
}

/**
 * @throws {TlogError} `malformed` when `bytes` is not valid UTF-8.
 */
export function utf8Decode(bytes: Uint8Array): string {
  try {
    return decoder.decode(bytes);
  } catch (error) {
    throw new TlogError('malformed', 'bytes are not valid UTF-8', { cause: error });
  }
}

/** Constant-length comparison; the inputs here are public hashes, so timing does not matter. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}
