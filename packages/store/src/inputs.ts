/**
 * Field rules for the key and meta domains, shared by every store implementation so SQLite and
 * Postgres accept and reject exactly the same arguments (the conformance suite checks this).
 */
import { InvalidArgumentError } from '@saferouter/errors';

import { KEY_ROLES, type KeyLimits, type NewKeyRecord } from './types.js';
import { assertInteger, assertObject, assertOneOf, assertString, assertTimestamp } from './validate.js';

/** Lowercase hex SHA-256, as produced by `hashApiKey`. */
const HASH_PATTERN = /^[0-9a-f]{64}$/;

/**
 * The longest display prefix accepted. Far shorter than a secret (49 chars), so a secret passed
 * as `prefix` by mistake is rejected instead of stored.
 */
const MAX_PREFIX_LENGTH = 24;

/**
 * @throws {InvalidArgumentError} when `id` is not a 1–64 character string.
 */
export function assertKeyId(id: unknown, name = 'id'): asserts id is string {
  assertString(id, name, { min: 1, max: 64 });
}

/**
 * @throws {InvalidArgumentError} when `value` is not a 1–200 character string.
 */
export function assertKeyName(value: unknown, name = 'name'): asserts value is string {
  assertString(value, name, { min: 1, max: 200 });
}

/**
 * A hash must be 64 lowercase hex characters. Checking the shape is also what stops a
 * plaintext secret, passed where its hash belongs, from ever reaching the database.
 *
 * @throws {InvalidArgumentError} (reason `type`) when `hash` is not a string.
 * @throws {InvalidArgumentError} (reason `range`) when it is not 64 lowercase hex characters.
 */
export function assertKeyHash(hash: unknown, name = 'hash'): asserts hash is string {
  if (typeof hash !== 'string') throw new InvalidArgumentError(name, `${name} must be a string`, 'type');
  if (!HASH_PATTERN.test(hash))
    throw new InvalidArgumentError(name, `${name} must be 64 lowercase hex characters (SHA-256)`, 'range');
}

/**
 * @throws {InvalidArgumentError} on any malformed field.
 */
export function assertNewKeyRecord(rec: unknown): asserts rec is NewKeyRecord {
  assertObject(rec, 'rec');
  assertKeyId(rec['id'], 'rec.id');
  assertKeyName(rec['name'], 'rec.name');
  assertString(rec['prefix'], 'rec.prefix', { min: 1, max: MAX_PREFIX_LENGTH });
  assertKeyHash(rec['hash'], 'rec.hash');
  assertOneOf(rec['role'], 'rec.role', KEY_ROLES);
  assertTimestamp(rec['createdAt'], 'rec.createdAt');
  if (rec['limits'] !== undefined) assertKeyLimits(rec['limits'], 'rec.limits');
}

/** No limits: what a key gets when none are given. */
export const NO_LIMITS: Readonly<KeyLimits> = Object.freeze({ rpm: null, concurrency: null });

/** The largest limit accepted; the columns are 32-bit in Postgres, and nobody needs more. */
const MAX_LIMIT = 2_147_483_647;

/**
 * Each limit is `null` (unlimited) or a positive integer. Zero is refused rather than read as
 * "blocked": a key that may not call is a revoked key, and revocation already says so.
 *
 * @throws {InvalidArgumentError} (reason `type`) when `limits` is not an object or a field is neither a number nor null.
 * @throws {InvalidArgumentError} (reason `range`) when a field is not an integer from 1 to 2^31 - 1.
 */
export function assertKeyLimits(limits: unknown, name = 'limits'): asserts limits is KeyLimits {
  assertObject(limits, name);
  for (const field of ['rpm', 'concurrency'] as const) {
    const value = limits[field];
    if (value === null) continue;
    if (typeof value !== 'number')
      throw new InvalidArgumentError(`${name}.${field}`, `${name}.${field} must be a number or null`, 'type');
    assertInteger(value, `${name}.${field}`, { min: 1, max: MAX_LIMIT });
  }
}

/**
 * @throws {InvalidArgumentError} when `key` is not a 1–128 character string.
 */
export function assertMetaKey(key: unknown): asserts key is string {
  assertString(key, 'key', { min: 1, max: 128 });
}

/**
 * Values are free-form but bounded: meta holds small singletons, not blobs.
 *
 * @throws {InvalidArgumentError} when `value` is not a string of at most 64 KiB characters.
 */
export function assertMetaValue(value: unknown): asserts value is string {
  assertString(value, 'value', { min: 0, max: 65_536 });
}
