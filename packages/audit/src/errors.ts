/**
 * The one error type the package throws for bad data: a malformed entry or record, or a receipt
 * or sample that fails verification (`assertReceipt`, `assertSample`). Callers branch on `code`
 * and, for failed verifications, on `check` (the id of the first failed check), never on message
 * text. Bad arguments stay `TypeError` / `RangeError`, as everywhere in the project.
 * `AuditError.isInstance()` recognises errors from duplicated copies of this package too.
 */
import type { Check, Verification } from './checks.js';

const marker = Symbol.for('saferouter.audit.error');

/**
 * - `malformed`: bytes or text that do not follow their format (entry, record, sample field).
 * - `verification`: a receipt or sample failed a check; `check` names the first failed one.
 */
export type AuditErrorCode = 'malformed' | 'verification';

export class AuditError extends Error {
  readonly [marker] = true;
  readonly code: AuditErrorCode;
  /** Id of the first failed check, for `verification` errors. */
  readonly check: string | undefined;
  /** Every check that ran, in order (empty for `malformed`). */
  readonly checks: readonly Check[];

  /**
   * @example
   * throw new AuditError('malformed', 'audit entry: v must be 1');
   */
  constructor(code: AuditErrorCode, message: string, options: { check?: string; checks?: readonly Check[] } = {}) {
    super(message);
    this.name = 'AuditError';
    this.code = code;
    this.check = options.check;
    this.checks = options.checks ?? [];
  }

  /**
   * @example
   * try { await assertReceipt(jws, { signingKey }); }
   * catch (e) { if (AuditError.isInstance(e) && e.check === 'signature') reject(); }
   */
  static isInstance(error: unknown): error is AuditError {
    return typeof error === 'object' && error !== null && (error as { [marker]?: unknown })[marker] === true;
  }
}

/**
 * What an `assertX()` twin throws for a result that is not ok; `otherwise` names the check to
 * blame when none failed (a pending sample's skipped `inclusion`).
 */
export function verificationError(what: string, result: Verification, otherwise: string): AuditError {
  const failed = result.checks.find((c) => c.status === 'fail');
  return new AuditError('verification', `${what}: ${result.issues.join('; ') || 'verification failed'}`, {
    check: failed?.id ?? otherwise,
    checks: result.checks,
  });
}
