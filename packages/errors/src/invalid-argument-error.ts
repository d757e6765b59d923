/**
 * A bad argument, found by a package's boundary checks (the store's, billing's). It is a
 * `SafeRouterError` with status 400 that names the argument, so a value that slips past the
 * gateway's own request validation still reaches the client as a 400 naming the field, never as a
 * 500. Messages name the argument and never echo its value: the value may be a secret.
 *
 * `reason` keeps the old distinction callers may care about: `type` where a `TypeError` used to
 * be thrown (wrong type), `range` where a `RangeError` was (right type, wrong size or value).
 */
import { SafeRouterError } from './safe-router-error.js';

export type InvalidArgumentReason = 'type' | 'range';

const marker = Symbol.for('saferouter.error.invalid-argument');

export class InvalidArgumentError extends SafeRouterError {
  readonly [marker] = true;
  /** The argument's name as the checking function knows it, e.g. `input.maxOutputTokens`. */
  readonly argument: string;
  readonly reason: InvalidArgumentReason;

  /**
   * @param argument the argument's name; the message should start with it.
   * @example throw new InvalidArgumentError('input.keyId', 'input.keyId must be a string', 'type');
   */
  constructor(argument: string, message: string, reason: InvalidArgumentReason) {
    super({ message, statusCode: 400, type: 'invalid_request_error', code: 'invalid_value', param: argument });
    this.name = 'InvalidArgumentError';
    this.argument = argument;
    this.reason = reason;
  }

  static override isInstance(error: unknown): error is InvalidArgumentError {
    return typeof error === 'object' && error !== null && (error as { [marker]?: unknown })[marker] === true;
  }
}

/** Shorthand for a wrong-type argument. @example throw typeError('options.clock', 'must be a function') */
export function typeError(argument: string, problem: string): InvalidArgumentError {
  return new InvalidArgumentError(argument, `${argument} ${problem}`, 'type');
}

/** Shorthand for an out-of-range argument. @example throw rangeError('limit', 'must be 1 to 500') */
export function rangeError(argument: string, problem: string): InvalidArgumentError {
  return new InvalidArgumentError(argument, `${argument} ${problem}`, 'range');
}
