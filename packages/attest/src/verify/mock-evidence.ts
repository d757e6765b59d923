/**
 * The mock (demo) evidence pipeline: the same report layout, TCB, chip and policy checks as the
 * SEV-SNP one, with the chain and signature steps swapped for the mock CA's Ed25519 ones. Every
 * detail starts with "MOCK:" because none of it says anything about hardware.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { bytesEqual, isAllZero } from '../bytes.js';
import type { Check } from '../checks.js';
import { MOCK_INTERMEDIATE_NAME, MOCK_LEAF_NAME, MOCK_ROOT_NAME, MOCK_SIGNATURE_ALGO } from '../mock-format.js';
import { OFFSET, SIGNED_LENGTH, SIGNING_KEY_VCEK } from '../report/layout.js';
import type { SnpReport } from '../report/parse-report.js';
import type { Certificate } from '../x509/certificate.js';
import { verifyCertificateSignature } from '../x509/cert-signature.js';
import { parseChecks, type EvidenceOptions, type EvidenceResult } from './amd-evidence.js';
import { checkValidity, fingerprint, tryParseCertificate } from './chain-checks.js';
import { checkChipBinding, checkTcbBinding } from './leaf-binding.js';
import { policyChecks } from './policy-checks.js';

export const MOCK_LABEL = 'MOCK: ';
const L = MOCK_LABEL;

export interface MockEvidenceOptions extends EvidenceOptions {
  /** DER mock roots to pin; when undefined any self-consistent mock root is accepted. */
  mockRoots: readonly Uint8Array[] | undefined;
}

/** Runs the mock checks over a report and its [leaf, intermediate, root] chain. */
export async function checkMockEvidence(
  reportBytes: unknown,
  chainDers: readonly Uint8Array[],
  options: MockEvidenceOptions,
): Promise<EvidenceResult> {
  const { checks, report } = parseChecks(reportBytes, L);
  if (report === undefined) return { checks, complete: false };
  if (chainDers.length !== 3) {
    checks.push({
      id: 'chain.leaf',
      ok: false,
      detail: `${L}the mock chain must be exactly leaf, intermediate, root (got ${chainDers.length})`,
    });
    return { checks, complete: false, report };
  }
  const [leaf, intermediate, root] = chainDers.map((der) => tryParseCertificate(der));
  if (leaf === undefined || intermediate === undefined || root === undefined) {
    const id = leaf === undefined ? 'chain.leaf' : intermediate === undefined ? 'chain.ask' : 'chain.ark';
    checks.push({ id, ok: false, detail: `${L}a chain certificate is not a well-formed X.509 v3 certificate` });
    return { checks, complete: false, report };
  }
  checks.push(await rootCheck(root, options.mockRoots));
  checks.push(await linkCheck('chain.ask', intermediate, root, MOCK_INTERMEDIATE_NAME, true));
  const leafLink = await linkCheck('chain.leaf', leaf, intermediate, MOCK_LEAF_NAME, false);
  checks.push(
    leafLink.ok && report.signingKey !== SIGNING_KEY_VCEK
      ? {
          id: 'chain.leaf',
          ok: false,
          detail: `${L}the report's SIGNING_KEY is ${report.signingKey}; the mock leaf plays the VCEK role (0)`,
        }
      : leafLink,
  );
  checks.push(
    checkValidity(
      [
        { role: 'mock leaf', cert: leaf },
        { role: 'mock intermediate', cert: intermediate },
        { role: 'mock root', cert: root },
      ],
      options.now,
      L,
    ),
  );
  checks.push(signatureCheck(report, leaf));
  checks.push(checkTcbBinding(report, leaf, undefined, L));
  checks.push(checkChipBinding(report, leaf, 'vcek', undefined, L));
  checks.push(...policyChecks(report, undefined, options, L));
  return { checks, complete: true, report };
}

async function rootCheck(root: Certificate, pins: readonly Uint8Array[] | undefined): Promise<Check> {
  const self = await verifyCertificateSignature(root, root);
  if (
    !bytesEqual(root.subject.der, root.issuer.der) ||
    root.subject.commonName !== MOCK_ROOT_NAME ||
    root.publicKey.kind !== 'ed25519' ||
    !root.isCa
  ) {
    return {
      id: 'chain.ark',
      ok: false,
      detail: `${L}the root '${root.subject.commonName ?? '?'}' is not a self-issued Ed25519 mock root CA`,
    };
  }
  if (!self.ok)
    return { id: 'chain.ark', ok: false, detail: `${L}the mock root's self-signature does not verify: ${self.reason}` };
  if (pins !== undefined && !pins.some((der) => bytesEqual(der, root.der))) {
    return { id: 'chain.ark', ok: false, detail: `${L}the mock root (${fingerprint(root)}) is not one you pinned` };
  }
  const pinned =
    pins === undefined
      ? 'not pinned, so any server could have made it'
      : 'matches the mock root you pinned (same server key as before)';
  return {
    id: 'chain.ark',
    ok: true,
    detail: `${L}self-signed Ed25519 demo root (${fingerprint(root)}), ${pinned}. It is a key in the server's data directory: it proves nothing about hardware.`,
  };
}

async function linkCheck(
  id: 'chain.ask' | 'chain.leaf',
  cert: Certificate,
  issuer: Certificate,
  name: string,
  ca: boolean,
): Promise<Check> {
  const sig = await verifyCertificateSignature(cert, issuer);
  if (!bytesEqual(cert.issuer.der, issuer.subject.der))
    return {
      id,
      ok: false,
      detail: `${L}'${cert.subject.commonName ?? '?'}' is not issued by '${issuer.subject.commonName ?? '?'}'`,
    };
  if (!sig.ok)
    return {
      id,
      ok: false,
      detail: `${L}'${cert.subject.commonName ?? '?'}' is not signed by '${issuer.subject.commonName ?? '?'}': ${sig.reason}`,
    };
  if (cert.subject.commonName !== name || cert.publicKey.kind !== 'ed25519' || cert.isCa !== ca) {
    return {
      id,
      ok: false,
      detail: `${L}'${cert.subject.commonName ?? '?'}' is not a mock ${ca ? 'intermediate CA' : 'leaf'} with an Ed25519 key`,
    };
  }
  return {
    id,
    ok: true,
    detail: `${L}'${name}' is signed by '${issuer.subject.commonName ?? ''}' (Ed25519). Proves only that the mock CA issued it.`,
  };
}

function signatureCheck(report: SnpReport, leaf: Certificate): Check {
  if (report.signatureAlgo !== MOCK_SIGNATURE_ALGO) {
    return {
      id: 'report.signature',
      ok: false,
      detail: `${L}SIGNATURE_ALGO is ${report.signatureAlgo}, not the mock marker 0x0ed25519`,
    };
  }
  if (leaf.publicKey.kind !== 'ed25519')
    return { id: 'report.signature', ok: false, detail: `${L}the leaf has no Ed25519 key` };
  const area = report.raw.subarray(OFFSET.signatureR);
  let ok = false;
  try {
    ok =
      isAllZero(area.subarray(64)) &&
      ed25519.verify(area.subarray(0, 64), report.raw.subarray(0, SIGNED_LENGTH), leaf.publicKey.key);
  } catch {
    ok = false;
  }
  return ok
    ? {
        id: 'report.signature',
        ok: true,
        detail: `${L}Ed25519 signature over bytes 0x000–0x29F verifies with the mock leaf key. Proves the server's software wrote this report; no secure processor was involved.`,
      }
    : {
        id: 'report.signature',
        ok: false,
        detail: `${L}the Ed25519 signature over bytes 0x000–0x29F does not verify with the mock leaf key`,
      };
}
