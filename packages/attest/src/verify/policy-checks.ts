/**
 * Guest-policy checks on a report that already verified: DEBUG refused unless allowed, and the
 * optional VMPL ceiling and minimum TCB. Each check says when it was not enforced.
 */
import type { Check } from '../checks.js';
import type { Product } from '../product.js';
import type { SnpReport } from '../report/parse-report.js';
import { decodeTcb, formatTcb, tcbBelow, type TcbParts } from '../report/tcb.js';

export interface PolicyOptions {
  /** Accept reports whose guest policy allows debugging (DEBUG, bit 19). Default false. */
  allowDebug?: boolean;
  /** Every named component of REPORTED_TCB must be at least this. Default: not enforced. */
  minTcb?: Partial<TcbParts>;
  /** Highest VMPL accepted (0 is the most privileged). Default: not enforced. */
  maxVmpl?: number;
}

/** 'policy.debug', 'policy.vmpl' and 'policy.min-tcb', in that order. */
export function policyChecks(
  report: SnpReport,
  product: Product | undefined,
  options: PolicyOptions,
  label = '',
): Check[] {
  const checks: Check[] = [];
  if (!report.policyFlags.debug) {
    checks.push({
      id: 'policy.debug',
      ok: true,
      detail: `${label}guest policy forbids debugging (POLICY bit 19 clear): the host cannot use debug commands to read or change guest memory`,
    });
  } else if (options.allowDebug === true) {
    checks.push({
      id: 'policy.debug',
      ok: true,
      detail: `${label}DEBUG is set (POLICY bit 19) and accepted because allowDebug was given: the host can read and change guest memory, so nothing in this guest is confidential`,
    });
  } else {
    checks.push({
      id: 'policy.debug',
      ok: false,
      detail: `${label}DEBUG is set (POLICY bit 19): the host can read and change guest memory, so nothing in this guest is confidential. Refused; pass allowDebug (CLI: --allow-debug) to accept it for testing`,
    });
  }
  if (options.maxVmpl === undefined) {
    checks.push({
      id: 'policy.vmpl',
      ok: true,
      detail: `${label}VMPL ${report.vmpl}; not enforced (no maxVmpl given)`,
    });
  } else {
    const ok = report.vmpl <= options.maxVmpl;
    checks.push({
      id: 'policy.vmpl',
      ok,
      detail: ok
        ? `${label}VMPL ${report.vmpl} ≤ ${options.maxVmpl}: the report came from a privilege level you accept`
        : `${label}VMPL ${report.vmpl} > ${options.maxVmpl}: the report came from a less privileged level than required`,
    });
  }
  const reported = decodeTcb(report.reportedTcb, product);
  if (options.minTcb === undefined) {
    checks.push({
      id: 'policy.min-tcb',
      ok: true,
      detail: `${label}REPORTED_TCB ${formatTcb(reported)}; no minimum enforced (no minTcb given)`,
    });
  } else {
    const below = tcbBelow(reported, options.minTcb);
    checks.push({
      id: 'policy.min-tcb',
      ok: below.length === 0,
      detail:
        below.length === 0
          ? `${label}REPORTED_TCB ${formatTcb(reported)} meets the minimum`
          : `${label}REPORTED_TCB ${formatTcb(reported)} is below the minimum: ${below.join(', ')}`,
    });
  }
  return checks;
}
