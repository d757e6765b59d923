/**
 * `verifyReport` / `assertReport`: judge a raw AMD SEV-SNP report and its VCEK or VLEK against
 * the pinned AMD roots. The first never throws on bad evidence; the second throws an
 * `AttestationError` naming the first failed check.
 */
import { AttestationError } from '../errors.js';
import { checkAmdEvidence } from './amd-evidence.js';
import { certificateDer, certificateList, validatePolicyOptions, type CertificateList } from './inputs.js';
import type { PolicyOptions } from './policy-checks.js';
import { buildVerdict, type Verdict } from './verdict.js';
import { firstFailure } from '../checks.js';

export interface VerifyReportOptions extends PolicyOptions {
  /** The VCEK or VLEK certificate: DER bytes, PEM bytes or PEM text. */
  cert: Uint8Array | string;
  /** ASK/ASVK (and optionally ARK) as PEM text or DER list. Default: the pinned AMD certificates. */
  chain?: CertificateList;
  /** Roots to trust instead of the pinned AMD ARKs (private test PKIs). Default: pinned ARKs. */
  trustedRoots?: CertificateList;
  /** The time certificates must be valid at. Default: now. */
  now?: Date;
}

/**
 * Verifies an SEV-SNP report: parse and version, product, chain to the pinned AMD root,
 * validity at `now`, report signature, TCB and chip binding, guest policy.
 *
 * @example
 * const verdict = await verifyReport(reportBytes, { cert: vcekDer });
 * if (!verdict.ok) console.error(verdict.summary);
 * @throws {TypeError | RangeError} only for malformed options (wrong types, maxVmpl > 3, …).
 */
export async function verifyReport(report: Uint8Array, options: VerifyReportOptions): Promise<Verdict> {
  validatePolicyOptions(options, 'options');
  const leaf = certificateDer(options.cert, 'options.cert');
  const chain = options.chain === undefined ? undefined : certificateList(options.chain, 'options.chain');
  const trustedRoots =
    options.trustedRoots === undefined ? undefined : certificateList(options.trustedRoots, 'options.trustedRoots');
  const result = await checkAmdEvidence(report, leaf, chain, {
    ...options,
    now: options.now ?? new Date(),
    trustedRoots,
  });
  return buildVerdict('sev-snp', result);
}

/**
 * `verifyReport`, throwing on failure.
 *
 * @example
 * const verdict = await assertReport(reportBytes, { cert: vcekDer, allowDebug: true });
 * @throws {AttestationError} naming the first failed check (e.g. 'policy.debug').
 */
export async function assertReport(report: Uint8Array, options: VerifyReportOptions): Promise<Verdict> {
  const verdict = await verifyReport(report, options);
  throwIfRejected(verdict);
  return verdict;
}

/** @throws {AttestationError} when `verdict.ok` is false. */
export function throwIfRejected(verdict: Verdict): void {
  if (verdict.ok) return;
  const failed = firstFailure(verdict.checks);
  throw new AttestationError(
    failed?.id ?? 'report.parse',
    failed?.detail ?? 'verification did not complete',
    verdict.checks,
  );
}
