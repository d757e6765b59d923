/**
 * The one error type the `assert*` verifiers throw: it names the first failed check so callers
 * branch on `check`, never on message text. Recognise it with `AttestationError.isInstance()`,
 * which also works across duplicated copies of this package.
 */
import type { Check, CheckId } from './checks.js';

const marker = Symbol.for('saferouter.attest.error');

/**
 * @example
 * try { await assertBundle(bundle, { nonce }); }
 * catch (e) { if (AttestationError.isInstance(e) && e.check === 'binding') retry(); }
 */
export class AttestationError extends Error {
  readonly [marker] = true;
  /** Id of the first failed check. */
  readonly check: CheckId;
  /** Every check that ran, in order. */
  readonly checks: readonly Check[];

  constructor(check: CheckId, message: string, checks: readonly Check[] = []) {
    super(`attestation check '${check}' failed: ${message}`);
    this.name = 'AttestationError';
    this.check = check;
    this.checks = checks;
  }

  static isInstance(error: unknown): error is AttestationError {
    return typeof error === 'object' && error !== null && (error as { [marker]?: unknown })[marker] === true;
  }
}
