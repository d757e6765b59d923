/**
 * The checks that tie a VCEK/VLEK (or mock leaf) to the report it signed: its TCB extensions
 * must equal REPORTED_TCB, and a VCEK's hardware id must equal CHIP_ID. Without them a valid
 * signature could come from a key certified for other firmware or another chip.
 */
import { bytesEqual, toHex } from '../bytes.js';
import type { Check } from '../checks.js';
import type { Product, SigningKeyKind } from '../product.js';
import type { SnpReport } from '../report/parse-report.js';
import { decodeTcb, formatTcb, type TcbParts } from '../report/tcb.js';
import type { Certificate } from '../x509/certificate.js';
import { derSmallInteger, derString } from '../x509/asn1.js';
import { OID } from '../x509/oids.js';

const TURIN_HWID_LENGTH = 8;

function integerExtension(leaf: Certificate, oid: string): number | undefined {
  const ext = leaf.extensions.get(oid);
  if (ext === undefined) return undefined;
  try {
    return derSmallInteger(ext.value, oid);
  } catch {
    return undefined;
  }
}

/** The string in an extension whose value is a DER string (product name, CSP id). */
export function stringExtension(leaf: Certificate, oid: string): string | undefined {
  const ext = leaf.extensions.get(oid);
  if (ext === undefined) return undefined;
  try {
    return derString(ext.value, oid);
  } catch {
    return undefined;
  }
}

/**
 * TCB extensions 1.3.6.1.4.1.3704.1.3.{1,2,3,8} (and .9, FMC, on Turin) against REPORTED_TCB.
 * `label` prefixes the detail (e.g. 'MOCK: ').
 */
export function checkTcbBinding(report: SnpReport, leaf: Certificate, product: Product | undefined, label = ''): Check {
  const reported = decodeTcb(report.reportedTcb, product);
  const fromCert: Record<string, number | undefined> = {
    bootloader: integerExtension(leaf, OID.amdBlSpl),
    tee: integerExtension(leaf, OID.amdTeeSpl),
    snp: integerExtension(leaf, OID.amdSnpSpl),
    microcode: integerExtension(leaf, OID.amdUcodeSpl),
  };
  if (product === 'Turin') fromCert.fmc = integerExtension(leaf, OID.amdFmcSpl);
  const missing = Object.entries(fromCert)
    .filter(([, v]) => v === undefined)
    .map(([k]) => k);
  if (missing.length > 0) {
    return {
      id: 'tcb',
      ok: false,
      detail: `${label}the certificate lacks TCB extension(s) ${missing.join(', ')}; the report's TCB cannot be tied to the key`,
    };
  }
  const mismatched = (Object.keys(fromCert) as (keyof TcbParts)[]).filter((k) => fromCert[k] !== reported[k]);
  const certTcb = fromCert as unknown as TcbParts;
  if (mismatched.length > 0) {
    return {
      id: 'tcb',
      ok: false,
      detail: `${label}REPORTED_TCB (${formatTcb(reported)}) differs from the certificate's TCB (${formatTcb(certTcb)}) in ${mismatched.join(', ')}: the key was not issued for the firmware the report claims`,
    };
  }
  return {
    id: 'tcb',
    ok: true,
    detail: `${label}REPORTED_TCB (${formatTcb(reported)}) equals the certificate's SPL extensions, so the signing key belongs to that firmware level. Does not prove the level is current or free of known flaws (set minTcb).`,
  };
}

/** hwid (1.3.6.1.4.1.3704.1.4) against CHIP_ID for a VCEK; a VLEK carries a CSP id instead. */
export function checkChipBinding(
  report: SnpReport,
  leaf: Certificate,
  kind: SigningKeyKind,
  product: Product | undefined,
  label = '',
): Check {
  const hwid = leaf.extensions.get(OID.amdHwid)?.value;
  if (kind === 'vlek') {
    const csp = stringExtension(leaf, OID.amdCspId);
    if (hwid !== undefined || csp === undefined) {
      return {
        id: 'chip-id',
        ok: false,
        detail: `${label}a VLEK must carry a CSP id (1.3.6.1.4.1.3704.1.5) and no hardware id`,
      };
    }
    return {
      id: 'chip-id',
      ok: true,
      detail: `${label}VLEK issued to cloud provider '${csp}': the key is shared across that provider's ${product ?? ''} hosts, so the report is not bound to one chip (CHIP_ID is not checked). Proves the provider's AMD-certified host signed it, not which machine.`,
    };
  }
  if (hwid === undefined)
    return {
      id: 'chip-id',
      ok: false,
      detail: `${label}the VCEK lacks the hardware id extension (1.3.6.1.4.1.3704.1.4)`,
    };
  const expected =
    product === 'Turin' && hwid.length === TURIN_HWID_LENGTH
      ? report.chipId.subarray(0, TURIN_HWID_LENGTH)
      : report.chipId;
  if (!bytesEqual(hwid, expected)) {
    return {
      id: 'chip-id',
      ok: false,
      detail: `${label}CHIP_ID ${toHex(report.chipId).slice(0, 16)}… differs from the certificate's hardware id ${toHex(hwid).slice(0, 16)}…: the key belongs to another chip${report.maskChipKey ? ' (the report masks its chip id)' : ''}`,
    };
  }
  return {
    id: 'chip-id',
    ok: true,
    detail: `${label}CHIP_ID equals the certificate's hardware id (${toHex(hwid).slice(0, 16)}…): the key is this chip's. Does not identify the host operator or its location.`,
  };
}
