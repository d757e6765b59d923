/**
 * Key names and key IDs (c2sp.org/signed-note): a name is non-empty UTF-8 with no spaces and no
 * `+`; the key ID is the first four bytes, big-endian, of
 * SHA-256(name ‖ 0x0A ‖ signature type ‖ public key).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, utf8Encode } from '../encoding/bytes.js';
import { assertBytes, assertIntegerInRange, assertString } from '../validate.js';

/** Longest key name accepted; the spec sets none, this keeps notes and logs bounded. */
export const MAX_KEY_NAME_LENGTH = 256;

// Unicode White_Space (JS \s plus U+0085, which Go's unicode.IsSpace also counts) and '+'.
const FORBIDDEN = /[\s\u0085+]/u;

function hasControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * @example
 * isValidKeyName('example.com/log'); // true
 * isValidKeyName('two words');       // false
 */
export function isValidKeyName(name: unknown): name is string {
  return (
    typeof name === 'string' &&
    name.length > 0 &&
    name.length <= MAX_KEY_NAME_LENGTH &&
    !FORBIDDEN.test(name) &&
    !hasControl(name) &&
    !LONE_SURROGATE.test(name)
  );
}

/**
 * @throws {TypeError} when `name` is not a string.
 * @throws {RangeError} when it is empty, too long, or holds a space, `+` or control character.
 */
export function assertKeyName(name: unknown, argument = 'name'): asserts name is string {
  assertString(name, argument);
  if (!isValidKeyName(name))
    throw new RangeError(
      `${argument} must be 1 to ${MAX_KEY_NAME_LENGTH} characters with no spaces, '+' or control characters`,
    );
}

/**
 * @example
 * computeKeyId('PeterNeumann', SIGNATURE_TYPE_ED25519, publicKey); // 0xc74f20a3
 * @throws {TypeError} when an argument has the wrong type.
 * @throws {RangeError} when `name` is not a valid key name or `type` not a byte.
 */
export function computeKeyId(name: string, type: number, publicKey: Uint8Array): number {
  assertKeyName(name);
  assertIntegerInRange(type, 'type', 0, 255);
  assertBytes(publicKey, 'publicKey');
  const digest = sha256(concatBytes(utf8Encode(name), new Uint8Array([0x0a, type]), publicKey));
  return ((digest[0]! << 24) | (digest[1]! << 16) | (digest[2]! << 8) | digest[3]!) >>> 0;
}

/**
 * Eight lowercase hex digits, as in verifier keys.
 *
 * @example
 * formatKeyId(0xc74f20a3); // 'c74f20a3'
 */
export function formatKeyId(keyId: number): string {
  return keyId.toString(16).padStart(8, '0');
}
