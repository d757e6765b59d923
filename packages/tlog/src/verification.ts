/**
 * The result shape of every `verifyX()` in the package: a list of named checks, each passed or
 * failed with a human-readable detail, plus `issues` (the details of the failed ones). `verifyX()`
 * never throws on bad data; its `assertX()` twin throws a `TlogError` instead.
 */
import { TlogError, type TlogErrorCode } from './errors.js';

/** One named check, e.g. `{ id: 'checkpoint.signature', ok: true, detail: 'signed by example.com/log' }`. */
export interface Check {
  readonly id: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface Verification {
  /** True when every check passed (and at least one ran). */
  readonly ok: boolean;
  readonly checks: readonly Check[];
  /** The `detail` of every failed check, in order. */
  readonly issues: readonly string[];
}

/** Collects checks while a verifier runs; `result()` freezes them into a `Verification`. */
export class CheckList {
  readonly #checks: Check[] = [];
  #firstError: unknown;

  pass(id: string, detail: string): void {
    this.#checks.push({ id, ok: true, detail });
  }

  fail(id: string, detail: string): void {
    this.#checks.push({ id, ok: false, detail });
  }

  /** Records the outcome of `run`: a pass with its detail, or a failure with the error's message. */
  async record<T>(id: string, run: () => Promise<T> | T, detail: (value: T) => string): Promise<T | undefined> {
    try {
      const value = await run();
      this.pass(id, detail(value));
      return value;
    } catch (error) {
      this.#firstError ??= error;
      this.fail(id, errorMessage(error));
      return undefined;
    }
  }

  /** The first error `record` caught, for `assertX()` twins to rethrow. */
  get firstError(): unknown {
    return this.#firstError;
  }

  get failed(): boolean {
    return this.#checks.some((c) => !c.ok);
  }

  result(): Verification {
    const checks = [...this.#checks];
    return {
      ok: checks.length > 0 && checks.every((c) => c.ok),
      checks,
      issues: checks.filter((c) => !c.ok).map((c) => c.detail),
    };
  }
}

/**
 * What an `assertX()` twin throws for a failed verification: the first caught error when it was a
 * `TlogError`, otherwise a `TlogError` with `code` listing the issues.
 */
export function failure(result: Verification, firstError: unknown, code: TlogErrorCode): TlogError {
  if (TlogError.isInstance(firstError)) return firstError;
  return new TlogError(
    code,
    result.issues.join('; ') || 'verification failed',
    firstError === undefined ? undefined : { cause: firstError },
  );
}

/** The message of anything thrown, for a check's detail. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
