/**
 * Byte helpers shared by the verifier and the backends: hex and base64 codecs, concatenation,
 * comparison. Browser-safe on purpose (no `Buffer`), because the verifier runs in pages.
 */

const HEX_RE = /^(?:[0-9a-f]{2})*$/;
const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Lowercase hex of `bytes`.
 *
 * @example
 * toHex(new Uint8Array([0xab, 1])); // 'ab01'
 */
export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

/** True when `text` is lowercase hex of whole bytes. */
export function isHex(text: string): boolean {
  return HEX_RE.test(text);
}

/**
 * Decodes lowercase hex (the only spelling the wire format allows, so one value has one text).
 *
 * @example
 * fromHex('ab01'); // Uint8Array [0xab, 0x01]
 * @throws {TypeError} when `text` is not a string.
 * @throws {RangeError} when it is not lowercase hex of whole bytes.
 */
export function fromHex(text: string, name = 'hex'): Uint8Array {
  if (typeof text !== 'string') throw new TypeError(`${name} must be a string`);
  if (!isHex(text)) throw new RangeError(`${name} must be lowercase hex of whole bytes`);
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/**
 * Standard (padded) base64 of `bytes`.
 *
 * @example
 * toBase64(new Uint8Array([1, 2, 3])); // 'AQID'
 */
export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/** True when `text` is canonical padded base64 (no whitespace, no URL alphabet). */
export function isBase64(text: string): boolean {
  return BASE64_RE.test(text);
}

/**
 * Decodes padded standard base64.
 *
 * @example
 * fromBase64('AQID'); // Uint8Array [1, 2, 3]
 * @throws {TypeError} when `text` is not a string.
 * @throws {RangeError} when it is not padded standard base64.
 */
export function fromBase64(text: string, name = 'base64'): Uint8Array {
  if (typeof text !== 'string') throw new TypeError(`${name} must be a string`);
  if (!isBase64(text)) throw new RangeError(`${name} must be padded standard base64`);
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/** base64url without padding (JWK fields). */
export function toBase64Url(bytes: Uint8Array): string {
  return toBase64(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** One array holding `parts` back to back. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
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

/** Byte equality. Not constant-time: everything compared here is public. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** True when every byte is zero. */
export function isAllZero(bytes: Uint8Array): boolean {
  for (const b of bytes) if (b !== 0) return false;
  return true;
}

/** UTF-8 bytes of `text`. */
export function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** A copy whose buffer is exactly its bytes (WebCrypto wants an ArrayBuffer-backed view). */
export function exactCopy(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(new ArrayBuffer(bytes.length));
  out.set(bytes);
  return out;
}
