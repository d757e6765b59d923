/**
 * The verdict both verifiers return: its shape, how a list of checks becomes one, and its JSON
 * form. The verdict's `hardware` flag is computed here and only here: true only for a passing
 * SEV-SNP verdict.
 */
import { firstFailure, type Backend, type Check } from '../checks.js';
import type { Product, SigningKeyKind } from '../product.js';
import { reportToJson, type SnpReport } from '../report/parse-report.js';
import type { EvidenceResult } from './amd-evidence.js';

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

export const MOCK_SUMMARY =
  'MOCK / DEMO attestation: signed by a software key on the server itself. It proves nothing about hardware, isolation or what code runs; never treat it as confidential computing.';

/** Builds the verdict; `ok` needs every check run and passed. */
export function buildVerdict(
  backend: Backend | undefined,
  result: Omit<EvidenceResult, 'checks'> & { checks: Check[] },
): Verdict {
  const failed = firstFailure(result.checks);
  const ok = result.complete && failed === undefined && result.checks.length > 0;
  const hardware = ok && backend === 'sev-snp';
  let summary: string;
  if (!ok) {
    summary = `attestation REJECTED: ${failed === undefined ? 'incomplete checks' : `${failed.id}: ${failed.detail}`}`;
    if (backend === 'mock') summary += ` (${MOCK_SUMMARY})`;
  } else if (backend === 'mock') {
    summary = MOCK_SUMMARY;
  } else {
    summary = `AMD SEV-SNP hardware attestation verified (${result.product ?? '?'}, ${(result.signingKeyKind ?? '?').toUpperCase()}, report v${result.report?.version ?? '?'}, VMPL ${result.report?.vmpl ?? '?'}).`;
  }
  const verdict: Verdict = { ok, hardware, backend, summary, checks: result.checks };
  if (result.report !== undefined) verdict.report = result.report;
  if (result.product !== undefined) verdict.product = result.product;
  if (result.signingKeyKind !== undefined) verdict.signingKeyKind = result.signingKeyKind;
  return verdict;
}

/**
 * A JSON-safe copy of a verdict (report bytes as hex, 64-bit fields as hex strings).
 *
 * @example
 * console.log(JSON.stringify(verdictToJson(await verifyReport(bytes, { cert })), null, 2));
 */
export function verdictToJson(verdict: Verdict): Record<string, unknown> {
  const { report, ...rest } = verdict;
  return report === undefined ? { ...rest } : { ...rest, report: reportToJson(report) };
}
