/**
 * Boundary checks for the BYOK domain, shared by every backend so SQLite and Postgres accept and
 * refuse the same records. Messages name the field, never its value.
 */
import { InvalidArgumentError } from '@saferouter/errors';

import type { NewByokKey } from './byok-types.js';
import { assertKeyId } from './inputs.js';
import { assertBoolean, assertObject, assertString, assertTimestamp } from './validate.js';

/** A provider id as the catalog spells it (the same rule as `@saferouter/verify/byok-info`). */
const PROVIDER = /^[a-z0-9._-]{1,64}$/;
/** The longest sealed blob accepted: a sealed 4 KiB key is far shorter. */
export const BYOK_SEALED_MAX = 16 * 1024;

/**
 * @throws {InvalidArgumentError} (reason `type`) when `value` is not a string.
 * @throws {InvalidArgumentError} (reason `range`) when it is not 1–64 of `a-z 0-9 . _ -`.
 */
export function assertByokProvider(value: unknown, name = 'provider'): asserts value is string {
  if (typeof value !== 'string') throw new InvalidArgumentError(name, `${name} must be a string`, 'type');
  if (!PROVIDER.test(value))
    throw new InvalidArgumentError(name, `${name} must be 1 to 64 characters of a-z, 0-9, '.', '_' and '-'`, 'range');
}

/** @throws {InvalidArgumentError} when `value` is not a 1–64 character id. */
export function assertByokId(value: unknown, name = 'id'): asserts value is string {
  assertString(value, name, { min: 1, max: 64 });
}

/**
 * @throws {InvalidArgumentError} naming the first malformed field, e.g. `rec.last4`.
 */
export function assertNewByokKey(rec: unknown): asserts rec is NewByokKey {
  assertObject(rec, 'rec');
  assertByokId(rec['id'], 'rec.id');
  assertKeyId(rec['keyId'], 'rec.keyId');
  assertByokProvider(rec['provider'], 'rec.provider');
  assertString(rec['sealed'], 'rec.sealed', { min: 2, max: BYOK_SEALED_MAX });
  // At most 4 characters (code points): more would start to give the key away.
  const last4 = rec['last4'];
  assertString(last4, 'rec.last4', { min: 0, max: 8 });
  if ([...last4].length > 4)
    throw new InvalidArgumentError('rec.last4', 'rec.last4 must be at most 4 characters', 'range');
  assertBoolean(rec['alwaysUse'], 'rec.alwaysUse');
  assertTimestamp(rec['createdAt'], 'rec.createdAt');
}
