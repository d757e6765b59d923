/**
 * The one set of boundary checks every store method runs before touching a database, so the
 * SQLite and Postgres implementations reject the same inputs with the same errors.
 *
 * Every failure is an `InvalidArgumentError` (`@saferouter/errors`): a 400 in the one error
 * family, `reason: 'type'` for a wrong type and `'range'` for a right type with a wrong value.
 * Messages name the argument but never echo its value: it may be a secret handed in by mistake.
 */
import { InvalidArgumentError } from '@saferouter/errors';

/** Length bounds for a string argument (inclusive). */
export interface StringBounds {
  min: number;
  max: number;
}

/**
 * @throws {InvalidArgumentError} (reason `type`) when `value` is not a string.
 * @throws {InvalidArgumentError} (reason `range`) when its length is outside `bounds`, or it contains a NUL character.
 */
export function assertString(value: unknown, name: string, bounds: StringBounds): asserts value is string {
  if (typeof value !== 'string') throw new InvalidArgumentError(name, `${name} must be a string`, 'type');
  // Postgres text cannot hold NUL; refusing it everywhere keeps SQLite and Postgres identical.
  if (value.includes('\u0000'))
    throw new InvalidArgumentError(name, `${name} must not contain NUL characters`, 'range');
  if (value.length < bounds.min || value.length > bounds.max) {
    throw new InvalidArgumentError(
      name,
      bounds.min === bounds.max
        ? `${name} must be ${bounds.min} characters long`
        : `${name} must be ${bounds.min} to ${bounds.max} characters long`,
      'range',
    );
  }
}

/**
 * A millisecond Unix timestamp: a non-negative safe integer.
 *
 * @throws {InvalidArgumentError} (reason `type`) when `value` is not a number.
 * @throws {InvalidArgumentError} (reason `range`) when it is not a non-negative safe integer.
 */
export function assertTimestamp(value: unknown, name: string): asserts value is number {
  if (typeof value !== 'number')
    throw new InvalidArgumentError(name, `${name} must be a number (ms since epoch)`, 'type');
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new InvalidArgumentError(name, `${name} must be a non-negative integer number of milliseconds`, 'range');
  }
}

/**
 * A count: a non-negative safe integer.
 *
 * @throws {InvalidArgumentError} (reason `type`) when `value` is not a number.
 * @throws {InvalidArgumentError} (reason `range`) when it is not a non-negative safe integer.
 */
export function assertCount(value: unknown, name: string): asserts value is number {
  if (typeof value !== 'number') throw new InvalidArgumentError(name, `${name} must be a number`, 'type');
  if (!Number.isSafeInteger(value) || value < 0)
    throw new InvalidArgumentError(name, `${name} must be a non-negative integer`, 'range');
}

/**
 * @throws {InvalidArgumentError} (reason `type`) when `value` is not a string.
 * @throws {InvalidArgumentError} (reason `range`) when it is not one of `allowed`.
 */
export function assertOneOf<T extends string>(value: unknown, name: string, allowed: readonly T[]): asserts value is T {
  if (typeof value !== 'string') throw new InvalidArgumentError(name, `${name} must be a string`, 'type');
  if (!(allowed as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(name, `${name} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}`, 'range');
  }
}

/**
 * @throws {InvalidArgumentError} (reason `type`) when `value` is not a non-null object.
 */
export function assertObject(value: unknown, name: string): asserts value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null)
    throw new InvalidArgumentError(name, `${name} must be an object`, 'type');
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
 * @throws {InvalidArgumentError} (reason `type`) when `value` is not a number.
 * @throws {InvalidArgumentError} (reason `range`) when it is not a safe integer within `bounds`.
 */
export function assertInteger(value: unknown, name: string, bounds: IntegerBounds): asserts value is number {
  if (typeof value !== 'number') throw new InvalidArgumentError(name, `${name} must be a number`, 'type');
  if (!Number.isSafeInteger(value) || value < bounds.min || value > bounds.max) {
    throw new InvalidArgumentError(name, `${name} must be an integer from ${bounds.min} to ${bounds.max}`, 'range');
  }
}

/**
 * @throws {InvalidArgumentError} (reason `type`) when `value` is not a boolean.
 */
export function assertBoolean(value: unknown, name: string): asserts value is boolean {
  if (typeof value !== 'boolean') throw new InvalidArgumentError(name, `${name} must be a boolean`, 'type');
}
