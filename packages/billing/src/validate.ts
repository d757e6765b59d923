/**
 * The boundary checks every billing entry point runs before doing arithmetic, so a bad argument
 * fails loudly with the argument's name instead of turning into a wrong charge.
 *
 * Wrong type → `TypeError`; right type but out of range → `RangeError`. Messages name the
 * argument and never echo its value.
 */

/** A plain (non-array) object, as far as property access is concerned. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * @throws {TypeError} when `value` is not a non-array object.
 */
export function assertObject(value: unknown, name: string): asserts value is Record<string, unknown> {
  if (!isRecord(value)) throw new TypeError(`${name} must be an object`);
}

/**
 * `assertObject` without narrowing, for parameters already typed (an options bag whose fields are
 * all optional would otherwise narrow to `Record<string, unknown>` and lose its field types).
 *
 * @throws {TypeError} when `value` is not a non-array object.
 */
export function checkObject(value: unknown, name: string): void {
  if (!isRecord(value)) throw new TypeError(`${name} must be an object`);
}

/**
 * A count of tokens or micro-dollars: a non-negative safe integer. Integers only, because every
 * amount that reaches money math must be exact.
 *
 * @throws {TypeError} when `value` is not a number.
 * @throws {RangeError} when it is not a non-negative safe integer.
 */
export function assertCount(value: unknown, name: string): asserts value is number {
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number`);
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${name} must be a non-negative safe integer`);
}

/**
 * A positive safe integer (a duration, a limit that must allow something).
 *
 * @throws {TypeError} when `value` is not a number.
 * @throws {RangeError} when it is not a positive safe integer.
 */
export function assertPositiveInteger(value: unknown, name: string): asserts value is number {
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number`);
  if (!Number.isSafeInteger(value) || value <= 0) throw new RangeError(`${name} must be a positive safe integer`);
}

/**
 * @throws {TypeError} when `value` is not a string.
 * @throws {RangeError} when its length is outside `min`–`max` (inclusive).
 */
export function assertString(value: unknown, name: string, min: number, max: number): asserts value is string {
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string`);
  if (value.length < min || value.length > max) throw new RangeError(`${name} must be ${min} to ${max} characters long`);
}

/**
 * Checks without narrowing, so a callback keeps the signature its option declared.
 *
 * @throws {TypeError} when `value` is not a function.
 */
export function assertFunction(value: unknown, name: string): void {
  if (typeof value !== 'function') throw new TypeError(`${name} must be a function`);
}

/** Key ids follow the store's rule (1–64 characters), so billing rejects what the store would. */
export function assertKeyId(value: unknown, name = 'keyId'): asserts value is string {
  assertString(value, name, 1, 64);
}
