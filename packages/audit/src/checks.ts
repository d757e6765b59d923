/**
 * The result shape of every `verifyX()` here: named checks in a fixed order, each passed, failed
 * or skipped (an input was not given, or an earlier failure left nothing to check) with a detail
 * that says why, plus `issues` (the details of the failures). `verifyX()` never throws on bad
 * data; its `assertX()` twin turns the first failure into an `AuditError` (errors.ts).
 */
export type CheckStatus = 'pass' | 'fail' | 'skip';

/** One named check, e.g. `{ id: 'signature', status: 'pass', detail: 'Ed25519 signature verifies' }`. */
export interface Check {
  readonly id: string;
  readonly status: CheckStatus;
  readonly detail: string;
}

export interface Verification {
  /** True when no check failed (and nothing else, such as a pending sample, stands in the way). */
  readonly ok: boolean;
  readonly checks: readonly Check[];
  /** The detail of every failed check, in order (plus any other reason `ok` is false). */
  readonly issues: readonly string[];
}

/** Collects checks while a verifier runs. */
export class CheckList {
  readonly #checks: Check[] = [];
  readonly #extraIssues: string[] = [];

  pass(id: string, detail: string): void {
    this.#checks.push({ id, status: 'pass', detail });
  }

  fail(id: string, detail: string): void {
    this.#checks.push({ id, status: 'fail', detail });
  }

  skip(id: string, detail: string): void {
    this.#checks.push({ id, status: 'skip', detail });
  }

  /** Makes the result not ok without failing a check (e.g. a sample still pending). */
  issue(text: string): void {
    this.#extraIssues.push(text);
  }

  result(): Verification {
    const checks = [...this.#checks];
    const issues = [...checks.filter((c) => c.status === 'fail').map((c) => c.detail), ...this.#extraIssues];
    return { ok: checks.length > 0 && issues.length === 0, checks, issues };
  }
}

/** The message of anything thrown, for a check's detail. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
