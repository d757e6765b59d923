/**
 * Report parsing (v2, v3, v5) on the shared vectors, and the size/version failures.
 */
import { describe, expect, it } from 'vitest';
import { toHex } from '../bytes.js';
import { AttestationError } from '../errors.js';
import { milanVcek, milanVlek } from '../testing/vectors.js';
import { withU32 } from '../testing/synthetic-amd.js';
import { OFFSET } from './layout.js';
import { parseReport, reportToJson, tryParseReport } from './parse-report.js';
import { decodeTcb } from './tcb.js';

describe('parseReport', () => {
  it('reads the v2 Milan VCEK report', () => {
    const r = parseReport(milanVcek().report);
    expect(r.version).toBe(2);
    expect(r.vmpl).toBe(0);
    expect(r.signatureAlgo).toBe(1);
    expect(r.signingKey).toBe(0);
    expect(r.policyFlags.debug).toBe(true);
    expect(r.cpuid).toBeUndefined();
    expect(decodeTcb(r.reportedTcb, 'Milan')).toEqual({ bootloader: 2, tee: 0, snp: 5, microcode: 68 });
    expect(toHex(r.chipId).slice(0, 16)).toBe('3ac3fe21e13fb099');
  });

  it('reads the v3 Milan VLEK report with CPUID fields', () => {
    const r = parseReport(milanVlek().report);
    expect(r.version).toBe(3);
    expect(r.vmpl).toBe(1);
    expect(r.signingKey).toBe(1);
    expect(r.policyFlags.debug).toBe(false);
    expect(r.cpuid).toEqual({ family: 0x19, model: 0x01, stepping: 0x01 });
    expect(r.launchMitVector).toBeUndefined();
  });

  it('reads version 5 mitigation vectors', () => {
    let bytes = withU32(milanVlek().report, OFFSET.version, 5);
    bytes = withU32(bytes, OFFSET.launchMitVector, 7);
    bytes = withU32(bytes, OFFSET.currentMitVector, 9);
    const r = parseReport(bytes);
    expect(r.launchMitVector).toBe(7n);
    expect(r.currentMitVector).toBe(9n);
  });

  it('rejects truncated, oversized and unknown-version reports naming the check', () => {
    const report = milanVcek().report;
    expect(tryParseReport(report.subarray(0, 1183))).toMatchObject({ ok: false, check: 'report.parse' });
    expect(tryParseReport(new Uint8Array(1185))).toMatchObject({ ok: false, check: 'report.parse' });
    expect(tryParseReport('nope')).toMatchObject({ ok: false, check: 'report.parse' });
    for (const v of [0, 1, 4, 6])
      expect(tryParseReport(withU32(report, 0, v))).toMatchObject({ ok: false, check: 'report.version' });
    try {
      parseReport(report.subarray(0, 100));
      expect.unreachable();
    } catch (e) {
      expect(AttestationError.isInstance(e) && e.check).toBe('report.parse');
    }
  });

  it('has a JSON view', () => {
    const json = reportToJson(parseReport(milanVcek().report));
    expect(json.policy).toBe('0xb0000');
    expect(typeof json.reportData).toBe('string');
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
  });
});
