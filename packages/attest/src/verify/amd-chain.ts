/**
 * The AMD chain rules: VCEK → ASK → ARK or VLEK → ASVK → ARK, each link RSASSA-PSS SHA-384 with
 * salt 48, ending at an ARK byte-identical to one pinned in this package (or to a root the caller
 * trusts instead). A supplied chain is used as given; only when none is supplied are the pinned
 * intermediates used.
 */
import { bytesEqual } from '../bytes.js';
import type { Check } from '../checks.js';
import { AMD_ROOTS } from '../amd-roots/index.js';
import { arkName, type Product, type SigningKeyKind } from '../product.js';
import { SIGNING_KEY_VCEK, SIGNING_KEY_VLEK } from '../report/layout.js';
import type { SnpReport } from '../report/parse-report.js';
import type { Certificate } from '../x509/certificate.js';
import { verifyCertificateSignature } from '../x509/cert-signature.js';
import { pemToDerList } from '../x509/pem.js';
import { checkValidity, fingerprint, tryParseCertificate } from './chain-checks.js';

export interface AmdChainInput {
  leaf: Certificate;
  /** Certificates after the leaf (DER), or undefined to use the pinned intermediates. */
  chain: readonly Uint8Array[] | undefined;
  product: Product;
  kind: SigningKeyKind;
  report: SnpReport;
  /** DER roots to trust instead of the pinned ARK. */
  trustedRoots: readonly Uint8Array[] | undefined;
  now: Date;
}

const pinnedCache = new Map<string, Certificate>();

function pinned(product: Product, which: 'ark' | 'ask' | 'asvk'): Certificate {
  const key = `${product}/${which}`;
  let cert = pinnedCache.get(key);
  if (cert === undefined) {
    const der = pemToDerList(AMD_ROOTS[product][which])[0];
    cert = der === undefined ? undefined : tryParseCertificate(der);
    if (cert === undefined) throw new Error(`pinned ${key} certificate does not parse`);
    pinnedCache.set(key, cert);
  }
  return cert;
}

const isSelfIssued = (c: Certificate): boolean => bytesEqual(c.subject.der, c.issuer.der);

/** 'chain.ark', 'chain.ask', 'chain.leaf' and 'chain.validity', in that order. */
export async function checkAmdChain(input: AmdChainInput): Promise<Check[]> {
  const { leaf, product, kind, report } = input;
  const checks: Check[] = [];
  const supplied: Certificate[] = [];
  for (const [i, der] of (input.chain ?? []).entries()) {
    const cert = tryParseCertificate(der);
    if (cert === undefined)
      return [
        { id: 'chain.ask', ok: false, detail: `chain certificate #${i + 1} is not a well-formed X.509 v3 certificate` },
      ];
    supplied.push(cert);
  }
  const wantArk = arkName(product);
  const ark = supplied.find((c) => isSelfIssued(c) && c.subject.commonName === wantArk) ?? pinned(product, 'ark');
  const anchors = input.trustedRoots ?? [pinned(product, 'ark').der];
  const arkSelf = await verifyCertificateSignature(ark, ark);
  if (!anchors.some((der) => bytesEqual(der, ark.der))) {
    checks.push({
      id: 'chain.ark',
      ok: false,
      detail: `root '${ark.subject.commonName ?? '?'}' (${fingerprint(ark)}) is not the AMD ${product} root pinned in this package: the chain may be self-made`,
    });
  } else if (!arkSelf.ok || !ark.isCa) {
    checks.push({
      id: 'chain.ark',
      ok: false,
      detail: `root '${ark.subject.commonName ?? '?'}' is not a valid self-signed CA: ${arkSelf.ok ? 'not a CA' : arkSelf.reason}`,
    });
  } else {
    checks.push({
      id: 'chain.ark',
      ok: true,
      detail: `${wantArk} (${fingerprint(ark)}) is ${input.trustedRoots === undefined ? 'the AMD root pinned in this package' : 'a root you chose to trust'} and verifies its own RSASSA-PSS signature. Proves the chain ends at ${input.trustedRoots === undefined ? "AMD's published root" : 'that root'}; not that AMD's keys are uncompromised.`,
    });
  }

  const intermediate =
    input.chain === undefined
      ? pinned(product, kind === 'vcek' ? 'ask' : 'asvk')
      : supplied.find((c) => c !== ark && bytesEqual(c.subject.der, leaf.issuer.der));
  const role = kind === 'vcek' ? 'ASK' : 'ASVK';
  if (intermediate === undefined) {
    const names =
      supplied
        .filter((c) => c !== ark)
        .map((c) => `'${c.subject.commonName ?? '?'}'`)
        .join(', ') || 'none';
    checks.push({
      id: 'chain.ask',
      ok: false,
      detail: `the supplied chain has no ${role} named '${leaf.issuer.commonName ?? '?'}' (the leaf's issuer); it has ${names}`,
    });
    checks.push({ id: 'chain.leaf', ok: false, detail: `not verified: no ${role} to check the leaf's signature with` });
    checks.push(
      checkValidity(
        [
          { role: 'leaf', cert: leaf },
          { role: 'ARK', cert: ark },
        ],
        input.now,
      ),
    );
    return checks;
  }
  const askSig = await verifyCertificateSignature(intermediate, ark);
  if (!bytesEqual(intermediate.issuer.der, ark.subject.der)) {
    checks.push({
      id: 'chain.ask',
      ok: false,
      detail: `${role} '${intermediate.subject.commonName ?? '?'}' names issuer '${intermediate.issuer.commonName ?? '?'}', not '${wantArk}'`,
    });
  } else if (!askSig.ok) {
    checks.push({
      id: 'chain.ask',
      ok: false,
      detail: `${role} '${intermediate.subject.commonName ?? '?'}' (${fingerprint(intermediate)}) is not signed by ${wantArk}: ${askSig.reason}`,
    });
  } else if (!intermediate.isCa) {
    checks.push({
      id: 'chain.ask',
      ok: false,
      detail: `${role} '${intermediate.subject.commonName ?? '?'}' is not a CA certificate`,
    });
  } else {
    checks.push({
      id: 'chain.ask',
      ok: true,
      detail: `${role} '${intermediate.subject.commonName ?? '?'}' is signed by ${wantArk} (RSASSA-PSS SHA-384, salt 48). Proves AMD issued this intermediate; revocation is not checked.`,
    });
  }

  checks.push(await checkLeaf(leaf, intermediate, kind, report, role));
  checks.push(
    checkValidity(
      [
        { role: kind.toUpperCase(), cert: leaf },
        { role, cert: intermediate },
        { role: 'ARK', cert: ark },
      ],
      input.now,
    ),
  );
  return checks;
}

async function checkLeaf(
  leaf: Certificate,
  intermediate: Certificate,
  kind: SigningKeyKind,
  report: SnpReport,
  role: string,
): Promise<Check> {
  const name = kind === 'vcek' ? 'SEV-VCEK' : 'SEV-VLEK';
  const sig = await verifyCertificateSignature(leaf, intermediate);
  if (!sig.ok)
    return {
      id: 'chain.leaf',
      ok: false,
      detail: `${name} certificate is not signed by ${role} '${intermediate.subject.commonName ?? '?'}': ${sig.reason}`,
    };
  if (leaf.subject.commonName !== name) {
    return {
      id: 'chain.leaf',
      ok: false,
      detail: `leaf is '${leaf.subject.commonName ?? '?'}' but its issuer issues ${name} certificates`,
    };
  }
  if (leaf.publicKey.kind !== 'ec-p384')
    return { id: 'chain.leaf', ok: false, detail: `${name} key is ${leaf.publicKey.kind}, not ECDSA P-384` };
  const expected = kind === 'vcek' ? SIGNING_KEY_VCEK : SIGNING_KEY_VLEK;
  if (report.signingKey !== expected) {
    const said =
      report.signingKey === SIGNING_KEY_VCEK
        ? 'VCEK'
        : report.signingKey === SIGNING_KEY_VLEK
          ? 'VLEK'
          : `key ${report.signingKey}`;
    return {
      id: 'chain.leaf',
      ok: false,
      detail: `the report says it is signed by a ${said} (SIGNING_KEY), but the certificate is a ${kind.toUpperCase()}: wrong certificate for this report`,
    };
  }
  return {
    id: 'chain.leaf',
    ok: true,
    detail: `${name} (${fingerprint(leaf)}) is a P-384 key signed by ${role} '${intermediate.subject.commonName ?? '?'}', the kind the report names. Proves AMD certified this key; its TCB and chip are checked separately.`,
  };
}
