/**
 * Standard base64 (RFC 4648 §4, with padding), strict in both directions: decoding rejects any
 * character outside the alphabet, missing or extra padding and non-zero trailing bits, so every
 * byte string has exactly one accepted encoding. Signed notes, keys and checkpoints rely on that:
 * two spellings of one signature must not both pass. No `atob`/`Buffer`, so it runs everywhere.
 */
import { TlogError } from '../errors.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const DECODE = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i;

/**
 * @example
 * encodeBase64(new Uint8Array([1, 2, 3])); // 'AQID'
 * @throws {TypeError} when `bytes` is not a Uint8Array.
 */
export function encodeBase64(bytes: Uint8Array): string {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('bytes must be a Uint8Array');
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + ALPHABET[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + '==';
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + '=';
  }
  return out;
}

function sextet(text: string, i: number): number {
  const c = text.charCodeAt(i);
  const v = c < 128 ? DECODE[c]! : -1;
  if (v < 0) throw new TlogError('malformed', 'invalid base64: unexpected character');
  return v;
}

/**
 * @example
 * decodeBase64('AQID'); // Uint8Array [1, 2, 3]
 * @throws {TypeError} when `text` is not a string.
 * @throws {TlogError} `malformed` when it is not canonical padded standard base64.
 */
export function decodeBase64(text: string): Uint8Array {
  if (typeof text !== 'string') throw new TypeError('text must be a string');
  if (text.length % 4 !== 0) throw new TlogError('malformed', 'invalid base64: length is not a multiple of 4');
  const pad = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((text.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    const last = i + 4 === text.length;
    const a = sextet(text, i);
    const b = sextet(text, i + 1);
    if (last && pad === 2) {
      if ((b & 15) !== 0) throw new TlogError('malformed', 'invalid base64: non-zero trailing bits');
      out[o++] = (a << 2) | (b >> 4);
      break;
    }
    const c = sextet(text, i + 2);
    if (last && pad === 1) {
      if ((c & 3) !== 0) throw new TlogError('malformed', 'invalid base64: non-zero trailing bits');
      out[o++] = (a << 2) | (b >> 4);
      out[o++] = ((b & 15) << 4) | (c >> 2);
      break;
    }
    const d = sextet(text, i + 3);
    out[o++] = (a << 2) | (b >> 4);
    out[o++] = ((b & 15) << 4) | (c >> 2);
    out[o++] = ((c & 3) << 6) | d;
  }
  return out;
}
