/**
 * The one set of boundary checks every store method runs before touching a database, so the
 * SQLite and Postgres implementations reject the same inputs with the same errors.
 *
 * Wrong type → `TypeError`, right type but out of range → `RangeError`; messages name the
 * argument but never echo its value, because the value may be a secret handed in by mistake.
 */

/** Length bounds for a string argument (inclusive). */
export interface StringBounds {
  min: number;
  max: number;
}

/**
 * @throws {TypeError} when `value` is not a string.
 * @throws {RangeError} when its length is outside `bounds`, or it contains a NUL character.
 */
export function assertString(value: unknown, name: string, bounds: StringBounds): asserts value is string {
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string`);
  // Postgres text cannot hold NUL; refusing it everywhere keeps SQLite and Postgres identical.
  if (value.includes('\u0000')) throw new RangeError(`${name} must not contain NUL characters`);
  if (value.length < bounds.min || value.length > bounds.max) {
    throw new RangeError(
      bounds.min === bounds.max
        ? `${name} must be ${bounds.min} characters long`
        : `${name} must be ${bounds.min} to ${bounds.max} characters long`,
    );
  }
}

/**
 * A millisecond Unix timestamp: a non-negative safe integer.
 *
 * @throws {TypeError} when `value` is not a number.
 * @throws {RangeError} when it is not a non-negative safe integer.
 */
export function assertTimestamp(value: unknown, name: string): asserts value is number {
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number (ms since epoch)`);
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative integer number of milliseconds`);
  }
}

/**
 * A count: a non-negative safe integer.
 *
 * @throws {TypeError} when `value` is not a number.
 * @throws {RangeError} when it is not a non-negative safe integer.
 */
export function assertCount(value: unknown, name: string): asserts value is number {
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number`);
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${name} must be a non-negative integer`);
}

/**
 * @throws {TypeError} when `value` is not a string.
 * @throws {RangeError} when it is not one of `allowed`.
 */
export function assertOneOf<T extends string>(
  value: unknown,
  name: string,
  allowed: readonly T[],
): asserts value is T {
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string`);
  if (!(allowed as readonly string[]).includes(value)) {
    throw new RangeError(`${name} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}`);
  }
}

/**
 * @throws {TypeError} when `value` is not a non-null object.
 */
export function assertObject(value: unknown, name: string): asserts value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) throw new TypeError(`${name} must be an object`);
}

/** Inclusive bounds for an integer argument. */
export interface IntegerBounds {
  min: number;
  max: number;
}

/**
 * A safe integer within `bounds`. Money and counts go through this, so a float, `NaN` or an
 * integer too large to survive the trip through a double never reaches SQL.
 *
 * @throws {TypeError} when `value` is not a number.
 * @throws {RangeError} when it is not a safe integer within `bounds`.
 */
export function assertInteger(value: unknown, name: string, bounds: IntegerBounds): asserts value is number {
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number`);
  if (!Number.isSafeInteger(value) || value < bounds.min || value > bounds.max) {
    throw new RangeError(`${name} must be an integer from ${bounds.min} to ${bounds.max}`);
  }
}

/**
 * @throws {TypeError} when `value` is not a boolean.
 */
export function assertBoolean(value: unknown, name: string): asserts value is boolean {
  if (typeof value !== 'boolean') throw new TypeError(`${name} must be a boolean`);
}
