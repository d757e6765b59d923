/**
 * The boundary checks every public entry point runs before touching its arguments, so a bad
 * argument fails loudly with the argument's name. Wrong type → `TypeError`; right type but wrong
 * size or range → `RangeError`. Messages name the argument and never echo its value.
 */

/** A plain (non-array) object, as far as property access is concerned. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Checks without narrowing, so an options bag keeps its declared field types.
 *
 * @throws {TypeError} when `value` is not a non-array object.
 */
export function checkObject(value: unknown, name: string): void {
  if (!isRecord(value)) throw new TypeError(`${name} must be an object`);
}

/**
 * @throws {TypeError} when `value` is not a Uint8Array.
 * @throws {RangeError} when `length` is given and the array has another length.
 */
export function assertBytes(value: unknown, name: string, length?: number): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError(`${name} must be a Uint8Array`);
  if (length !== undefined && value.length !== length) throw new RangeError(`${name} must be ${length} bytes long`);
}

/**
 * @throws {TypeError} when `value` is not a number.
 * @throws {RangeError} when it is not a non-negative safe integer.
 */
export function assertCount(value: unknown, name: string): asserts value is number {
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number`);
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${name} must be a non-negative safe integer`);
}

/**
 * An integer in `min`–`max` (inclusive).
 *
 * @throws {TypeError} when `value` is not a number.
 * @throws {RangeError} when it is not an integer in range.
 */
export function assertIntegerInRange(value: unknown, name: string, min: number, max: number): asserts value is number {
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number`);
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer from ${min} to ${max}`);
  }
}

/**
 * @throws {TypeError} when `value` is not a string.
 * @throws {RangeError} when its length is outside `min`–`max` (inclusive).
 */
export function assertString(
  value: unknown,
  name: string,
  min = 0,
  max = Number.MAX_SAFE_INTEGER,
): asserts value is string {
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string`);
  if (value.length < min || value.length > max)
    throw new RangeError(`${name} must be ${min} to ${max} characters long`);
}

/**
 * @throws {TypeError} when `value` is not an array.
 * @throws {RangeError} when it has more than `max` elements.
 */
export function assertArray(
  value: unknown,
  name: string,
  max = Number.MAX_SAFE_INTEGER,
): asserts value is readonly unknown[] {
  if (!Array.isArray(value)) throw new TypeError(`${name} must be an array`);
  if (value.length > max) throw new RangeError(`${name} must have at most ${max} elements`);
}

/**
 * Checks without narrowing, so a callback keeps the signature its option declared.
 *
 * @throws {TypeError} when `value` is not a function.
 */
export function assertFunction(value: unknown, name: string): void {
  if (typeof value !== 'function') throw new TypeError(`${name} must be a function`);
}
