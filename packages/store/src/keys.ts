/**
 * API key secrets: generation, hashing, a cheap format check and constant-time comparison.
 * Only node:crypto is used. A plaintext secret is returned exactly once, by `generateApiKey()`;
 * nothing in this package stores it, logs it or puts it into an error message.
 */

import { hash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Every SafeRouter API key starts with this. */
export const API_KEY_PREFIX = 'sk-sr-';

/** 32 random bytes are 43 base64url characters (unpadded). */
const SECRET_BODY_LENGTH = 43;

/** Total length of a secret: prefix plus body. */
export const API_KEY_LENGTH = API_KEY_PREFIX.length + SECRET_BODY_LENGTH;

/** How many leading secret characters a key's display prefix reveals. */
export const DISPLAY_PREFIX_LENGTH = 12;

const API_KEY_PATTERN = /^sk-sr-[A-Za-z0-9_-]{43}$/;
const HEX_PATTERN = /^(?:[0-9a-fA-F]{2})*$/;

/** A freshly generated key. `secret` must be shown to its owner once and then dropped. */
export interface GeneratedApiKey {
  /** `sk-sr-` + 43 base64url chars (256 random bits). */
  secret: string;
  /** `key_` + 16 hex chars; public, used in URLs and logs. */
  id: string;
  /** First 12 chars of the secret + `…`; public, shown in key lists. */
  prefix: string;
  /** `hashApiKey(secret)`; what the store keeps. */
  hash: string;
}

/**
 * Creates a new random API key.
 *
 * The 12-character display prefix reveals 6 random characters (36 bits), which leaves 220 bits
 * unknown, so showing it does not weaken the key in any practical sense.
 *
 * @example
 * const { secret, id, prefix, hash } = generateApiKey();
 * await store.keys.insert({ id, name: 'laptop', prefix, hash, role: 'user', createdAt: Date.now() });
 * // hand `secret` to the user once; never persist it
 */
export function generateApiKey(): GeneratedApiKey {
  const secret = API_KEY_PREFIX + randomBytes(32).toString('base64url');
  return {
    secret,
    id: `key_${randomBytes(8).toString('hex')}`,
    prefix: `${secret.slice(0, DISPLAY_PREFIX_LENGTH)}…`,
    hash: hashApiKey(secret),
  };
}

/**
 * Lowercase hex SHA-256 of the UTF-8 secret: the value stored and looked up.
 *
 * A fast hash is right here, unlike for passwords: the secret carries 256 random bits, so
 * there is nothing to brute-force or look up in a dictionary, and a slow KDF (scrypt, argon2)
 * would only add latency to every authenticated request. It also makes the hash deterministic,
 * which lets the store find a key by hash with an index instead of testing each key.
 *
 * @example
 * const rec = await store.keys.findByHash(hashApiKey(bearerToken));
 * @throws {TypeError} when `secret` is not a string.
 */
export function hashApiKey(secret: string): string {
  if (typeof secret !== 'string') throw new TypeError('secret must be a string');
  // The one-shot `hash()` is about 3x cheaper than createHash().update().digest(), and this runs
  // on every authenticated request.
  return hash('sha256', secret, 'hex');
}

/**
 * True when `s` looks like a SafeRouter key: `sk-sr-` then 43 base64url characters. A syntax
 * check only, so the gateway can reject garbage before hashing or querying; it says nothing
 * about whether the key exists. Accepts any value and never throws.
 *
 * @example
 * if (!isApiKeyFormat(token)) throw unauthorized('Malformed API key');
 */
export function isApiKeyFormat(s: unknown): s is string {
  return typeof s === 'string' && s.length === API_KEY_LENGTH && API_KEY_PATTERN.test(s);
}

/**
 * Compares two hex digests in time independent of where they differ. Case-insensitive, since
 * both spell the same bytes. Returns false, without throwing, when the lengths differ, when
 * either is not valid hex, or when either is empty (an empty digest is always a bug upstream,
 * and `'' === ''` must not authenticate anyone). Length is not secret: all our digests are 64.
 *
 * @example
 * const ok = constantTimeEqualHex(hashApiKey(token), await store.meta.get('admin_key_hash') ?? '');
 * @throws {TypeError} when `a` or `b` is not a string.
 */
export function constantTimeEqualHex(a: string, b: string): boolean {
  if (typeof a !== 'string') throw new TypeError('a must be a string');
  if (typeof b !== 'string') throw new TypeError('b must be a string');
  if (a.length !== b.length || a.length === 0) return false;
  // Buffer.from(hex) stops silently at the first bad character, so 'zz' and 'yy' would both
  // decode to nothing and compare equal; reject anything that is not whole hex bytes first.
  if (!HEX_PATTERN.test(a) || !HEX_PATTERN.test(b)) return false;
  return timingSafeEqual(Buffer.from(a, 'hex'), Buffer.from(b, 'hex'));
}
