/**
 * The vocabulary of a verdict: stable check ids, one check's result and the backend names. Ids
 * are part of the public contract (logs, UIs and tests match on them). A leaf module: `errors.ts`
 * names check ids, and the report parser throws those errors, so the `Verdict` (which carries a
 * parsed report) lives in `verify/verdict.ts`, not here, to keep the imports acyclic.
 */

/**
 * Every check id, in the order the verifiers run them.
 *
 * @example
 * CHECK_IDS.includes('binding'); // true
 */
export const CHECK_IDS = [
  'schema',
  'backend',
  'nonce',
  'report.parse',
  'report.version',
  'product',
  'chain.ark',
  'chain.ask',
  'chain.leaf',
  'chain.validity',
  'report.signature',
  'tcb',
  'chip-id',
  'policy.debug',
  'policy.vmpl',
  'policy.min-tcb',
  'binding',
  'measurement',
] as const;

export type CheckId = (typeof CHECK_IDS)[number];

export interface Check {
  id: CheckId;
  ok: boolean;
  /** What this check proved, and what it does not prove. */
  detail: string;
}

export type Backend = 'mock' | 'sev-snp';

/**
 * The first failed check, if any.
 *
 * @example
 * firstFailure(verdict.checks)?.id; // 'policy.debug'
 */
export function firstFailure(checks: readonly Check[]): Check | undefined {
  return checks.find((c) => !c.ok);
}
