/**
 * `verifyBundle` / `assertBundle`: judge an `AttestationBundle` as a client would. Schema, then
 * backend consistency, nonce, the backend's evidence checks, the report_data binding and the
 * measurement. Never throws on bad bundles; `assertBundle` throws naming the first failed check.
 */
import { fromBase64 } from '../bytes.js';
import { NONCE_LENGTH } from '../binding.js';
import type { Check } from '../checks.js';
import { safeParseBundle } from '../bundle/schema.js';
import { assertBytes, assertOptionalBoolean } from '../validate.js';
import { pemToDerList } from '../x509/pem.js';
import { checkAmdEvidence } from './amd-evidence.js';
import { backendCheck, bindingCheck, measurementCheck, nonceCheck } from './bundle-checks.js';
import { certificateList, validatePolicyOptions, type CertificateList } from './inputs.js';
import { checkMockEvidence } from './mock-evidence.js';
import type { PolicyOptions } from './policy-checks.js';
import { buildVerdict, type Verdict } from './verdict.js';
import { throwIfRejected } from './verify-report.js';

export interface VerifyBundleOptions extends PolicyOptions {
  /** The 32-byte nonce you sent with the quote request. */
  nonce: Uint8Array;
  /** The measurement you expect (see `computeMeasurement`). Default: not compared. */
  expectedMeasurement?: Uint8Array;
  /** SEV-SNP only: the 48-byte launch MEASUREMENT of the VM image you expect. Default: not compared. */
  expectedLaunchMeasurement?: Uint8Array;
  /** Reject mock bundles (the 'backend' check fails). Default false: mock verifies, hardware: false. */
  requireHardware?: boolean;
  /** Mock roots to pin (PEM or DER list). Default: whichever self-consistent mock root the bundle carries. */
  mockRoots?: CertificateList;
  /** Roots to trust instead of the pinned AMD ARKs. Default: pinned ARKs. */
  trustedRoots?: CertificateList;
  /** The time certificates must be valid at. Default: now. */
  now?: Date;
}

/**
 * Verifies a bundle end to end.
 *
 * @example
 * const nonce = crypto.getRandomValues(new Uint8Array(32));
 * const bundle = await (await fetch(`/attest?nonce=${toHex(nonce)}`)).json();
 * const verdict = await verifyBundle(bundle, { nonce, expectedMeasurement });
 * verdict.hardware; // true only for verified SEV-SNP evidence
 * @throws {TypeError | RangeError} only for malformed options (e.g. a nonce that is not 32 bytes).
 */
export async function verifyBundle(bundle: unknown, options: VerifyBundleOptions): Promise<Verdict> {
  validatePolicyOptions(options, 'options');
  assertBytes(options.nonce, 'options.nonce', NONCE_LENGTH);
  if (options.expectedMeasurement !== undefined)
    assertBytes(options.expectedMeasurement, 'options.expectedMeasurement', 32);
  if (options.expectedLaunchMeasurement !== undefined)
    assertBytes(options.expectedLaunchMeasurement, 'options.expectedLaunchMeasurement', 48);
  assertOptionalBoolean(options.requireHardware, 'options.requireHardware');
  const trustedRoots =
    options.trustedRoots === undefined ? undefined : certificateList(options.trustedRoots, 'options.trustedRoots');
  const mockRoots =
    options.mockRoots === undefined ? undefined : certificateList(options.mockRoots, 'options.mockRoots');

  const parsed = safeParseBundle(bundle);
  if (!parsed.ok) {
    return buildVerdict(undefined, {
      checks: [
        { id: 'schema', ok: false, detail: `not an AttestationBundle (version 1 or 2): ${parsed.issues.join('; ')}` },
      ],
      complete: false,
    });
  }
  const b = parsed.bundle;
  const mock = b.backend === 'mock';
  const chain = b.certChain.map((pem) => pemToDerList(pem)[0] ?? new Uint8Array(0));
  const checks: Check[] = [
    { id: 'schema', ok: true, detail: `the bundle is a well-formed AttestationBundle v${b.version} (shape only)` },
  ];
  const backend = backendCheck(b, chain[0], options.requireHardware === true);
  checks.push(backend);
  if (!backend.ok) return buildVerdict(b.backend, { checks, complete: false });
  checks.push(nonceCheck(b, options.nonce));

  const now = options.now ?? new Date();
  const reportBytes = fromBase64(b.report);
  const evidence = mock
    ? await checkMockEvidence(reportBytes, chain, { ...options, now, trustedRoots: undefined, mockRoots })
    : await checkAmdEvidence(
        reportBytes,
        chain[0] ?? new Uint8Array(0),
        chain.length > 1 ? chain.slice(1) : undefined,
        { ...options, now, trustedRoots },
      );
  checks.push(...evidence.checks);
  if (evidence.report !== undefined) {
    checks.push(bindingCheck(b, evidence.report, options.nonce, mock));
    checks.push(
      measurementCheck(b, evidence.report, mock, options.expectedMeasurement, options.expectedLaunchMeasurement),
    );
  }
  return buildVerdict(b.backend, { ...evidence, checks });
}

/**
 * `verifyBundle`, throwing on failure.
 *
 * @example
 * await assertBundle(bundle, { nonce, expectedMeasurement, requireHardware: true });
 * @throws {AttestationError} naming the first failed check (e.g. 'binding', 'backend').
 */
export async function assertBundle(bundle: unknown, options: VerifyBundleOptions): Promise<Verdict> {
  const verdict = await verifyBundle(bundle, options);
  throwIfRejected(verdict);
  return verdict;
}
