/**
 * Writes a mock report in the SEV-SNP layout (see `mock-format.ts` for what differs) and signs
 * it with the mock leaf's Ed25519 key.
 */
import { sha512 } from '@noble/hashes/sha2.js';
import { concatBytes, utf8 } from '../bytes.js';
import { MOCK_CHIP_DOMAIN, MOCK_POLICY, MOCK_REPORT_VERSION, MOCK_SIGNATURE_ALGO } from '../mock-format.js';
import { OFFSET, REPORT_SIZE, SIGNED_LENGTH } from '../report/layout.js';
import { assertBytes } from '../validate.js';

/** The mock CHIP_ID: SHA-512("saferouter-mock-chip" ‖ 0x00 ‖ root public key). */
export function mockChipId(rootPublicKey: Uint8Array): Uint8Array {
  return sha512(concatBytes(utf8(MOCK_CHIP_DOMAIN), new Uint8Array([0]), rootPublicKey));
}

export interface MockReportInput {
  reportData: Uint8Array;
  /** The 32-byte SafeRouter measurement (stored in the first 32 bytes of MEASUREMENT). */
  measurement: Uint8Array;
  chipId: Uint8Array;
  /** Random REPORT_ID (32 bytes), like the firmware's per-guest id. */
  reportId: Uint8Array;
  sign: (message: Uint8Array) => Uint8Array;
}

/**
 * A 1184-byte mock report.
 *
 * @throws {RangeError} when an input has the wrong length.
 */
export function buildMockReport(input: MockReportInput): Uint8Array {
  assertBytes(input.reportData, 'reportData', 64);
  assertBytes(input.measurement, 'measurement', 32);
  assertBytes(input.chipId, 'chipId', 64);
  assertBytes(input.reportId, 'reportId', 32);
  const report = new Uint8Array(REPORT_SIZE);
  const dv = new DataView(report.buffer);
  dv.setUint32(OFFSET.version, MOCK_REPORT_VERSION, true);
  dv.setBigUint64(OFFSET.policy, MOCK_POLICY, true);
  dv.setUint32(OFFSET.vmpl, 0, true);
  dv.setUint32(OFFSET.signatureAlgo, MOCK_SIGNATURE_ALGO, true);
  report.set(input.reportData, OFFSET.reportData);
  report.set(input.measurement, OFFSET.measurement);
  report.set(input.reportId, OFFSET.reportId);
  report.set(input.chipId, OFFSET.chipId);
  const signature = input.sign(report.subarray(0, SIGNED_LENGTH));
  assertBytes(signature, 'signature', 64);
  report.set(signature, OFFSET.signatureR);
  return report;
}
