/**
 * The boundary checks every billing entry point runs before doing arithmetic, so a bad argument
 * fails loudly with the argument's name instead of turning into a wrong charge.
 *
 * Every failure is an `InvalidArgumentError` (`@saferouter/errors`): a 400 in the one error
 * family, `reason: 'type'` for a wrong type and `'range'` for a right type with a wrong value.
 * Messages name the argument and never echo its value.
 */
import { InvalidArgumentError } from '@saferouter/errors';

/** A plain (non-array) object, as far as property access is concerned. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * @throws {InvalidArgumentError} (reason `type`) when `value` is not a non-array object.
 */
export function assertObject(value: unknown, name: string): asserts value is Record<string, unknown> {
  if (!isRecord(value)) throw new InvalidArgumentError(name, `${name} must be an object`, 'type');
}

/**
 * `assertObject` without narrowing, for parameters already typed (an options bag whose fields are
 * all optional would otherwise narrow to `Record<string, unknown>` and lose its field types).
 *
 * @throws {InvalidArgumentError} (reason `type`) when `value` is not a non-array object.
 */
export function checkObject(value: unknown, name: string): void {
  if (!isRecord(value)) throw new InvalidArgumentError(name, `${name} must be an object`, 'type');
}

/**
 * A count of tokens or micro-dollars: a non-negative safe integer. Integers only, because every
 * amount that reaches money math must be exact.
 *
 * @throws {InvalidArgumentError} (reason `type`) when `value` is not a number.
 * @throws {InvalidArgumentError} (reason `range`) when it is not a non-negative safe integer.
 */
export function assertCount(value: unknown, name: string): asserts value is number {
  if (typeof value !== 'number') throw new InvalidArgumentError(name, `${name} must be a number`, 'type');
  if (!Number.isSafeInteger(value) || value < 0)
    throw new InvalidArgumentError(name, `${name} must be a non-negative safe integer`, 'range');
}

/**
 * A positive safe integer (a duration, a limit that must allow something).
 *
 * @throws {InvalidArgumentError} (reason `type`) when `value` is not a number.
 * @throws {InvalidArgumentError} (reason `range`) when it is not a positive safe integer.
 */
export function assertPositiveInteger(value: unknown, name: string): asserts value is number {
  if (typeof value !== 'number') throw new InvalidArgumentError(name, `${name} must be a number`, 'type');
  if (!Number.isSafeInteger(value) || value <= 0)
    throw new InvalidArgumentError(name, `${name} must be a positive safe integer`, 'range');
}

/**
 * @throws {InvalidArgumentError} (reason `type`) when `value` is not a string.
 * @throws {InvalidArgumentError} (reason `range`) when its length is outside `min`–`max` (inclusive).
 */
export function assertString(value: unknown, name: string, min: number, max: number): asserts value is string {
  if (typeof value !== 'string') throw new InvalidArgumentError(name, `${name} must be a string`, 'type');
  if (value.length < min || value.length > max)
    throw new InvalidArgumentError(name, `${name} must be ${min} to ${max} characters long`, 'range');
}

/**
 * Checks without narrowing, so a callback keeps the signature its option declared.
 *
 * @throws {InvalidArgumentError} (reason `type`) when `value` is not a function.
 */
export function assertFunction(value: unknown, name: string): void {
  if (typeof value !== 'function') throw new InvalidArgumentError(name, `${name} must be a function`, 'type');
}

/** Key ids follow the store's rule (1–64 characters), so billing rejects what the store would. */
export function assertKeyId(value: unknown, name = 'keyId'): asserts value is string {
  assertString(value, name, 1, 64);
}
