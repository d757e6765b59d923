/**
 * Parses an SEV-SNP attestation report (versions 2, 3 and 5) into named fields. Parsing proves
 * nothing by itself: the signature, chain and policy checks decide what the fields are worth.
 */
import { toHex } from '../bytes.js';
import { AttestationError } from '../errors.js';
import {
  OFFSET,
  POLICY_DEBUG_BIT,
  POLICY_MIGRATE_MA_BIT,
  POLICY_SINGLE_SOCKET_BIT,
  POLICY_SMT_BIT,
  REPORT_SIZE,
  SIGNATURE_COMPONENT_LENGTH,
  SUPPORTED_VERSIONS,
} from './layout.js';

export interface FirmwareVersion {
  build: number;
  minor: number;
  major: number;
}

export interface SnpReport {
  /** The exact report bytes (1184). */
  raw: Uint8Array;
  version: number;
  guestSvn: number;
  policy: bigint;
  /** Decoded POLICY bits the verifier reasons about. */
  policyFlags: {
    abiMinor: number;
    abiMajor: number;
    smt: boolean;
    migrateMa: boolean;
    debug: boolean;
    singleSocket: boolean;
  };
  familyId: Uint8Array;
  imageId: Uint8Array;
  vmpl: number;
  signatureAlgo: number;
  /** Raw 8-byte TCB_VERSION values; decode with `decodeTcb(raw, product)`. */
  currentTcb: Uint8Array;
  platformInfo: bigint;
  signerInfo: number;
  authorKeyEn: boolean;
  maskChipKey: boolean;
  /** SIGNING_KEY: 0 VCEK, 1 VLEK, 7 none. */
  signingKey: number;
  reportData: Uint8Array;
  measurement: Uint8Array;
  hostData: Uint8Array;
  idKeyDigest: Uint8Array;
  authorKeyDigest: Uint8Array;
  reportId: Uint8Array;
  reportIdMa: Uint8Array;
  reportedTcb: Uint8Array;
  /** CPUID family/model/stepping, version ≥ 3 only. */
  cpuid?: { family: number; model: number; stepping: number };
  chipId: Uint8Array;
  committedTcb: Uint8Array;
  currentVersion: FirmwareVersion;
  committedVersion: FirmwareVersion;
  launchTcb: Uint8Array;
  /** Version ≥ 5 only. */
  launchMitVector?: bigint;
  /** Version ≥ 5 only. */
  currentMitVector?: bigint;
  /** Signature components as stored: 72 bytes each, little-endian. */
  signature: { r: Uint8Array; s: Uint8Array };
}

export type ParseResult =
  { ok: true; report: SnpReport } | { ok: false; check: 'report.parse' | 'report.version'; detail: string };

/**
 * Parses without throwing; the failure names the check ('report.parse' or 'report.version').
 *
 * @example
 * const r = tryParseReport(bytes);
 * if (r.ok) console.log(r.report.vmpl);
 */
export function tryParseReport(bytes: unknown): ParseResult {
  if (!(bytes instanceof Uint8Array)) return { ok: false, check: 'report.parse', detail: 'report is not a byte array' };
  if (bytes.length !== REPORT_SIZE) {
    return {
      ok: false,
      check: 'report.parse',
      detail: `report is ${bytes.length} bytes; an SEV-SNP report is exactly ${REPORT_SIZE}`,
    };
  }
  const raw = bytes.slice();
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const u32 = (o: number): number => dv.getUint32(o, true);
  const u64 = (o: number): bigint => dv.getBigUint64(o, true);
  const u8 = (o: number): number => raw[o] as number;
  const field = (o: number, n: number): Uint8Array => raw.slice(o, o + n);
  const version = u32(OFFSET.version);
  if (!SUPPORTED_VERSIONS.includes(version)) {
    return {
      ok: false,
      check: 'report.version',
      detail: `report version ${version} is not supported (known: ${SUPPORTED_VERSIONS.join(', ')})`,
    };
  }
  const policy = u64(OFFSET.policy);
  const bit = (n: bigint): boolean => ((policy >> n) & 1n) === 1n;
  const signerInfo = u32(OFFSET.signerInfo);
  const report: SnpReport = {
    raw,
    version,
    guestSvn: u32(OFFSET.guestSvn),
    policy,
    policyFlags: {
      abiMinor: Number(policy & 0xffn),
      abiMajor: Number((policy >> 8n) & 0xffn),
      smt: bit(POLICY_SMT_BIT),
      migrateMa: bit(POLICY_MIGRATE_MA_BIT),
      debug: bit(POLICY_DEBUG_BIT),
      singleSocket: bit(POLICY_SINGLE_SOCKET_BIT),
    },
    familyId: field(OFFSET.familyId, 16),
    imageId: field(OFFSET.imageId, 16),
    vmpl: u32(OFFSET.vmpl),
    signatureAlgo: u32(OFFSET.signatureAlgo),
    currentTcb: field(OFFSET.currentTcb, 8),
    platformInfo: u64(OFFSET.platformInfo),
    signerInfo,
    authorKeyEn: (signerInfo & 1) === 1,
    maskChipKey: (signerInfo & 2) === 2,
    signingKey: (signerInfo >> 2) & 7,
    reportData: field(OFFSET.reportData, 64),
    measurement: field(OFFSET.measurement, 48),
    hostData: field(OFFSET.hostData, 32),
    idKeyDigest: field(OFFSET.idKeyDigest, 48),
    authorKeyDigest: field(OFFSET.authorKeyDigest, 48),
    reportId: field(OFFSET.reportId, 32),
    reportIdMa: field(OFFSET.reportIdMa, 32),
    reportedTcb: field(OFFSET.reportedTcb, 8),
    chipId: field(OFFSET.chipId, 64),
    committedTcb: field(OFFSET.committedTcb, 8),
    currentVersion: { build: u8(OFFSET.currentBuild), minor: u8(OFFSET.currentMinor), major: u8(OFFSET.currentMajor) },
    committedVersion: {
      build: u8(OFFSET.committedBuild),
      minor: u8(OFFSET.committedMinor),
      major: u8(OFFSET.committedMajor),
    },
    launchTcb: field(OFFSET.launchTcb, 8),
    signature: {
      r: field(OFFSET.signatureR, SIGNATURE_COMPONENT_LENGTH),
      s: field(OFFSET.signatureS, SIGNATURE_COMPONENT_LENGTH),
    },
  };
  if (version >= 3)
    report.cpuid = { family: u8(OFFSET.cpuidFamId), model: u8(OFFSET.cpuidModId), stepping: u8(OFFSET.cpuidStep) };
  if (version >= 5) {
    report.launchMitVector = u64(OFFSET.launchMitVector);
    report.currentMitVector = u64(OFFSET.currentMitVector);
  }
  return { ok: true, report };
}

/**
 * Parses an SEV-SNP report.
 *
 * @example
 * const report = parseReport(await readFile('report.bin'));
 * @throws {AttestationError} with check 'report.parse' (wrong size, not bytes) or
 *   'report.version' (unknown version).
 */
export function parseReport(bytes: Uint8Array): SnpReport {
  const result = tryParseReport(bytes);
  if (!result.ok) throw new AttestationError(result.check, result.detail);
  return result.report;
}

/**
 * A JSON-safe view of a report: bytes as hex, 64-bit fields as hex strings.
 *
 * @example
 * JSON.stringify(reportToJson(parseReport(bytes)));
 */
export function reportToJson(report: SnpReport): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(report)) {
    if (key === 'raw') continue;
    out[key] = jsonValue(value);
  }
  return out;
}

function jsonValue(value: unknown): unknown {
  if (value instanceof Uint8Array) return toHex(value);
  if (typeof value === 'bigint') return `0x${value.toString(16)}`;
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonValue(v)]));
  }
  return value;
}
