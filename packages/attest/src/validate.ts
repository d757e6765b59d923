/**
 * Boundary checks for arguments the caller controls (not for attestation data, which the
 * verifiers judge and never throw on). Wrong type → `TypeError`; right type, wrong size →
 * `RangeError`. Messages name the argument and never echo its value.
 */

/** A plain (non-array) object. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * @throws {TypeError} when `value` is not a non-array object.
 */
export function checkObject(value: unknown, name: string): void {
  if (!isRecord(value)) throw new TypeError(`${name} must be an object`);
}

/**
 * @throws {TypeError} when `value` is not a `Uint8Array`.
 * @throws {RangeError} when `length` is given and differs.
 */
export function assertBytes(value: unknown, name: string, length?: number): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError(`${name} must be a Uint8Array`);
  if (length !== undefined && value.length !== length) {
    throw new RangeError(`${name} must be ${length} bytes, got ${value.length}`);
  }
}

/**
 * @throws {TypeError} when `value` is not a string.
 * @throws {RangeError} when it is empty.
 */
export function assertNonEmptyString(value: unknown, name: string): asserts value is string {
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string`);
  if (value.length === 0) throw new RangeError(`${name} must not be empty`);
}

/**
 * @throws {TypeError} when `value` is not a boolean (and not undefined).
 */
export function assertOptionalBoolean(value: unknown, name: string): void {
  if (value !== undefined && typeof value !== 'boolean') throw new TypeError(`${name} must be a boolean`);
}

/**
 * @throws {TypeError} when `value` is not a number (and not undefined).
 * @throws {RangeError} when it is not an integer within `min`–`max`.
 */
export function assertOptionalInteger(value: unknown, name: string, min: number, max: number): void {
  if (value === undefined) return;
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number`);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer from ${min} to ${max}`);
  }
}

/**
 * @throws {TypeError} when `value` is not a valid `Date` (and not undefined).
 */
export function assertOptionalDate(value: unknown, name: string): void {
  if (value === undefined) return;
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) throw new TypeError(`${name} must be a valid Date`);
}

/**
 * @throws {TypeError} when `value` is not a function (and not undefined).
 */
export function assertOptionalFunction(value: unknown, name: string): void {
  if (value !== undefined && typeof value !== 'function') throw new TypeError(`${name} must be a function`);
}
