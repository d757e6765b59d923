/**
 * verifyReport / assertReport on the shared Milan VCEK and VLEK reports.
 */
import { describe, expect, it } from 'vitest';
import { firstFailure } from '../checks.js';
import type { Verdict } from './verdict.js';
import { AttestationError } from '../errors.js';
import { milanVcek, milanVlek, VECTOR_TIME } from '../testing/vectors.js';
import { derToPem } from '../x509/pem.js';
import { assertReport, verifyReport } from './verify-report.js';

const byId = (v: Verdict, id: string) => v.checks.find((c) => c.id === id);
const passed = (v: Verdict, ...ids: string[]) => ids.every((id) => byId(v, id)?.ok === true);

describe('verifyReport on the shared vectors', () => {
  it('Milan VCEK: signature, chain and TCB pass; DEBUG refused by default naming policy.debug', async () => {
    const { report, cert } = milanVcek();
    const v = await verifyReport(report, { cert, now: VECTOR_TIME });
    expect(
      passed(
        v,
        'report.parse',
        'report.version',
        'product',
        'chain.ark',
        'chain.ask',
        'chain.leaf',
        'chain.validity',
        'report.signature',
        'tcb',
        'chip-id',
      ),
    ).toBe(true);
    expect(v.ok).toBe(false);
    expect(v.hardware).toBe(false);
    expect(firstFailure(v.checks)?.id).toBe('policy.debug');
    expect(v.summary).toMatch(/REJECTED: policy\.debug/);
  });

  it('Milan VCEK: accepted with allowDebug, and the check still says debug is on', async () => {
    const { report, cert } = milanVcek();
    const v = await verifyReport(report, { cert, allowDebug: true, now: VECTOR_TIME });
    expect(v.ok).toBe(true);
    expect(v.hardware).toBe(true);
    expect(v.product).toBe('Milan');
    expect(v.signingKeyKind).toBe('vcek');
    expect(byId(v, 'policy.debug')?.detail).toMatch(/DEBUG is set.*accepted.*nothing in this guest is confidential/);
  });

  it('Milan VCEK is still valid today (certificate expires 2029)', async () => {
    const { report, cert } = milanVcek();
    const v = await verifyReport(report, { cert, allowDebug: true, now: new Date('2026-11-24T00:00:00Z') });
    expect(v.ok).toBe(true);
  });

  it('Milan VLEK (VMPL 1): passes with the trustee chain and with the pinned roots', async () => {
    const { report, cert, chain } = milanVlek();
    for (const opts of [{ chain }, {}]) {
      const v = await verifyReport(report, { cert, now: VECTOR_TIME, ...opts });
      expect(v.checks.filter((c) => !c.ok)).toEqual([]);
      expect(v.ok).toBe(true);
      expect(v.signingKeyKind).toBe('vlek');
      expect(v.report?.vmpl).toBe(1);
    }
  });

  it('Milan VLEK: its certificate expired 2025-12-10, so today it fails chain.validity', async () => {
    const { report, cert } = milanVlek();
    const v = await verifyReport(report, { cert, now: new Date('2026-11-24T00:00:00Z') });
    expect(firstFailure(v.checks)?.id).toBe('chain.validity');
    expect(firstFailure(v.checks)?.detail).toMatch(/expired at 2025-12-10/);
  });

  it('accepts the certificate as PEM text or PEM bytes', async () => {
    const { report, cert } = milanVcek();
    const pem = derToPem(cert);
    expect((await verifyReport(report, { cert: pem, allowDebug: true, now: VECTOR_TIME })).ok).toBe(true);
    expect(
      (await verifyReport(report, { cert: new TextEncoder().encode(pem), allowDebug: true, now: VECTOR_TIME })).ok,
    ).toBe(true);
  });

  it('enforces maxVmpl and minTcb only when asked', async () => {
    const { report, cert } = milanVlek();
    expect((await verifyReport(report, { cert, now: VECTOR_TIME, maxVmpl: 1 })).ok).toBe(true);
    expect(firstFailure((await verifyReport(report, { cert, now: VECTOR_TIME, maxVmpl: 0 })).checks)?.id).toBe(
      'policy.vmpl',
    );
    expect((await verifyReport(report, { cert, now: VECTOR_TIME, minTcb: { snp: 24, microcode: 217 } })).ok).toBe(true);
    expect(firstFailure((await verifyReport(report, { cert, now: VECTOR_TIME, minTcb: { snp: 25 } })).checks)?.id).toBe(
      'policy.min-tcb',
    );
  });

  it('assertReport throws an AttestationError naming the failed check', async () => {
    const { report, cert } = milanVcek();
    await expect(assertReport(report, { cert, now: VECTOR_TIME })).rejects.toSatisfy(
      (e: unknown) => AttestationError.isInstance(e) && e.check === 'policy.debug',
    );
    await expect(assertReport(report, { cert, now: VECTOR_TIME, allowDebug: true })).resolves.toMatchObject({
      ok: true,
    });
  });

  it('never throws on bad data, but does on bad options', async () => {
    const { report, cert } = milanVcek();
    expect((await verifyReport(new Uint8Array(3), { cert })).ok).toBe(false);
    expect(firstFailure((await verifyReport(report, { cert: new Uint8Array([1, 2, 3]) })).checks)?.id).toBe(
      'chain.leaf',
    );
    expect(
      firstFailure(
        (await verifyReport(report, { cert: '-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----' })).checks,
      )?.id,
    ).toBe('chain.leaf');
    await expect(verifyReport(report, { cert: 5 as unknown as Uint8Array })).rejects.toThrow(TypeError);
    await expect(verifyReport(report, { cert, maxVmpl: 4 })).rejects.toThrow(RangeError);
    await expect(verifyReport(report, { cert, now: new Date('x') })).rejects.toThrow(TypeError);
    await expect(verifyReport(report, { cert, minTcb: { nope: 1 } as never })).rejects.toThrow(RangeError);
  });

  it("accepts the vectors' high-S signatures (AMD does not normalise s)", async () => {
    const { report, cert } = milanVlek();
    const s = report.slice(0x2e8, 0x2e8 + 48).reverse();
    const n = BigInt(
      '0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973',
    );
    expect(BigInt(`0x${Buffer.from(s).toString('hex')}`) > n / 2n).toBe(true);
    expect((await verifyReport(report, { cert, now: VECTOR_TIME })).ok).toBe(true);
  });
});
