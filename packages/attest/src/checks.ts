/**
 * The vocabulary of a verdict: stable check ids, one check's result, and the verdict both
 * verifiers return. Ids are part of the public contract (logs, UIs and tests match on them).
 */
import type { Product, SigningKeyKind } from './product.js';
import type { SnpReport } from './report/parse-report.js';

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

export interface Verdict {
  /** Every check ran and passed. */
  ok: boolean;
  /** True only for a passing verdict on real AMD SEV-SNP evidence; never for the mock. */
  hardware: boolean;
  /** The backend the evidence was judged as (undefined when the bundle did not parse). */
  backend: Backend | undefined;
  /** One line for people: what was verified, or the first failed check. Mock verdicts say DEMO. */
  summary: string;
  checks: Check[];
  /** The parsed report, when it parsed. */
  report?: SnpReport;
  /** The AMD product the chain and report belong to, when established. */
  product?: Product;
  /** Which AMD key kind signed the report, when established. */
  signingKeyKind?: SigningKeyKind;
}

/**
 * The first failed check, if any.
 *
 * @example
 * firstFailure(verdict.checks)?.id; // 'policy.debug'
 */
export function firstFailure(checks: readonly Check[]): Check | undefined {
  return checks.find((c) => !c.ok);
}
