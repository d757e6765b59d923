/**
 * Byte helpers for the browser-safe side: strict base64url (RFC 7515 §2: no padding, one
 * accepted spelling per byte string), lowercase hex checks and SHA-256 as hex. No `Buffer`, so
 * it runs in pages; the Node issuer uses `Buffer` directly for speed.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { toHex } from '@saferouter/attest';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const DECODE = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i;

/** 64 lowercase hex characters: a SHA-256 digest, an Ed25519 public key, a measurement. */
export const HEX32 = /^[0-9a-f]{64}$/;

/**
 * base64url without padding.
 *
 * @example
 * encodeBase64Url(new Uint8Array([0xfb, 0xff])); // '-_8'
 */
export function encodeBase64Url(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + ALPHABET[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]!;
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]!;
  }
  return out;
}

/**
 * Decodes unpadded base64url, or returns undefined when `text` is not its one canonical
 * spelling (padding, other characters, an impossible length, non-zero trailing bits).
 *
 * @example
 * decodeBase64Url('-_8'); // Uint8Array [0xfb, 0xff]
 */
export function decodeBase64Url(text: string): Uint8Array | undefined {
  if (text.length % 4 === 1) return undefined;
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let bits = 0;
  let acc = 0;
  let o = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const v = c < 128 ? DECODE[c]! : -1;
    if (v < 0) return undefined;
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  // Leftover bits must be zero, or two spellings would decode to the same bytes.
  if ((acc & ((1 << bits) - 1)) !== 0) return undefined;
  return out;
}

/** Lowercase hex of SHA-256(`bytes`). */
export function sha256Hex(bytes: Uint8Array): string {
  return toHex(sha256(bytes));
}

const encoder = new TextEncoder();

/** UTF-8 bytes of `text` (for the ASCII JWS and its signing input, the same as ASCII). */
export function utf8Bytes(text: string): Uint8Array {
  return encoder.encode(text);
}
