/**
 * The SEV-SNP evidence pipeline shared by `verifyReport` and `verifyBundle`: parse the report,
 * establish the product, walk the AMD chain, verify the report signature, tie the key to the
 * report's TCB and chip, and apply the guest policy. Collects every check it can run; never
 * throws on bad data.
 */
import type { Check } from '../checks.js';
import { productFromCpuid, productFromIssuerName, type Product, type SigningKeyKind } from '../product.js';
import { SIGNATURE_ALGO_ECDSA_P384_SHA384 } from '../report/layout.js';
import { tryParseReport, type SnpReport } from '../report/parse-report.js';
import { verifyReportSignature } from '../report/report-signature.js';
import { checkAmdChain } from './amd-chain.js';
import { tryParseCertificate } from './chain-checks.js';
import { checkChipBinding, checkTcbBinding } from './leaf-binding.js';
import { policyChecks, type PolicyOptions } from './policy-checks.js';

export interface EvidenceOptions extends PolicyOptions {
  now: Date;
  trustedRoots: readonly Uint8Array[] | undefined;
}

export interface EvidenceResult {
  checks: Check[];
  /** True when every check of the pipeline ran (a stop early leaves it false). */
  complete: boolean;
  report?: SnpReport;
  product?: Product;
  signingKeyKind?: SigningKeyKind;
}

/** Report parse and version checks, shared with the mock pipeline. */
export function parseChecks(bytes: unknown, label = ''): { checks: Check[]; report?: SnpReport } {
  const parsed = tryParseReport(bytes);
  if (!parsed.ok) {
    const checks: Check[] =
      parsed.check === 'report.version'
        ? [{ id: 'report.parse', ok: true, detail: `${label}report is 1184 bytes` }]
        : [];
    checks.push({ id: parsed.check, ok: false, detail: `${label}${parsed.detail}` });
    return { checks };
  }
  return {
    report: parsed.report,
    checks: [
      {
        id: 'report.parse',
        ok: true,
        detail: `${label}report is 1184 bytes in the SEV-SNP ATTESTATION_REPORT layout; parsing alone proves nothing about who made it`,
      },
      {
        id: 'report.version',
        ok: true,
        detail: `${label}report version ${parsed.report.version} is a layout this verifier knows`,
      },
    ],
  };
}

/** Runs the AMD SEV-SNP checks over a report and its leaf (VCEK/VLEK) certificate. */
export async function checkAmdEvidence(
  reportBytes: unknown,
  leafDer: Uint8Array,
  chain: readonly Uint8Array[] | undefined,
  options: EvidenceOptions,
): Promise<EvidenceResult> {
  const { checks, report } = parseChecks(reportBytes);
  if (report === undefined) return { checks, complete: false };
  const leaf = tryParseCertificate(leafDer);
  if (leaf === undefined) {
    checks.push({
      id: 'chain.leaf',
      ok: false,
      detail: 'the VCEK/VLEK certificate is not a well-formed X.509 v3 certificate (DER or PEM)',
    });
    return { checks, complete: false, report };
  }

  const fromIssuer = productFromIssuerName(leaf.issuer.commonName);
  const fromCpuid = report.cpuid === undefined ? undefined : productFromCpuid(report.cpuid.family, report.cpuid.model);
  if (fromIssuer === undefined) {
    checks.push({
      id: 'product',
      ok: false,
      detail: `the leaf's issuer '${leaf.issuer.commonName ?? '?'}' is not an AMD SEV intermediate (SEV-<product> or SEV-VLEK-<product>)`,
    });
    return { checks, complete: false, report };
  }
  const { product, kind } = fromIssuer;
  if (fromCpuid !== undefined && fromCpuid !== product) {
    checks.push({
      id: 'product',
      ok: false,
      detail: `the certificate is for ${product} but the report's CPUID (family ${hex(report.cpuid?.family)}, model ${hex(report.cpuid?.model)}) is ${fromCpuid}`,
    });
    return { checks, complete: false, report, product };
  }
  const cpuidNote =
    report.cpuid === undefined
      ? 'report version 2 has no CPUID fields'
      : fromCpuid === undefined
        ? `CPUID family ${hex(report.cpuid.family)} model ${hex(report.cpuid.model)} is not a known part`
        : `agrees with the report's CPUID (family ${hex(report.cpuid.family)}, model ${hex(report.cpuid.model)})`;
  checks.push({
    id: 'product',
    ok: true,
    detail: `${product}, from the leaf's issuer '${leaf.issuer.commonName ?? ''}' (${cpuidNote}). Selects the pinned roots and the TCB layout; proves nothing until the chain verifies.`,
  });

  checks.push(
    ...(await checkAmdChain({
      leaf,
      chain,
      product,
      kind,
      report,
      trustedRoots: options.trustedRoots,
      now: options.now,
    })),
  );
  checks.push(
    signatureCheck(report, leaf.publicKey.kind === 'ec-p384' ? leaf.publicKey.point : undefined, product, kind),
  );
  checks.push(checkTcbBinding(report, leaf, product));
  checks.push(checkChipBinding(report, leaf, kind, product));
  checks.push(...policyChecks(report, product, options));
  return { checks, complete: true, report, product, signingKeyKind: kind };
}

function signatureCheck(
  report: SnpReport,
  point: Uint8Array | undefined,
  product: Product,
  kind: SigningKeyKind,
): Check {
  if (report.signatureAlgo !== SIGNATURE_ALGO_ECDSA_P384_SHA384) {
    return {
      id: 'report.signature',
      ok: false,
      detail: `SIGNATURE_ALGO is ${report.signatureAlgo}, not 1 (ECDSA P-384 with SHA-384): not an AMD-signed report`,
    };
  }
  if (point === undefined)
    return { id: 'report.signature', ok: false, detail: 'the leaf certificate has no P-384 key to verify with' };
  const result = verifyReportSignature(report, point);
  if (!result.ok) return { id: 'report.signature', ok: false, detail: result.reason };
  return {
    id: 'report.signature',
    ok: true,
    detail: `ECDSA P-384/SHA-384 over bytes 0x000–0x29F verifies with the ${kind.toUpperCase()} key (high-S accepted). With the chain: an AMD ${product} secure processor produced these bytes for a guest. It does not say which code the guest runs unless you also check MEASUREMENT.`,
  };
}

function hex(n: number | undefined): string {
  return n === undefined ? '?' : `${n.toString(16).padStart(2, '0')}h`;
}
