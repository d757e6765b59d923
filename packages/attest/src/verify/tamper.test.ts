/**
 * Tampered evidence, each rejected with the right check id (the first failing check). Bundle
 * tampering (backend, nonce, binding, measurement, schema) is in verify-bundle.test.ts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { AMD_ROOTS } from '../amd-roots/index.js';
import { firstFailure } from '../checks.js';
import { decodeTcb, encodeTcb } from '../report/tcb.js';
import { OFFSET } from '../report/layout.js';
import { flipped, makeSyntheticAmd, withBytes, withU32, type SyntheticAmd } from '../testing/synthetic-amd.js';
import { milanVcek, milanVlek, VECTOR_TIME } from '../testing/vectors.js';
import { verifyReport, type VerifyReportOptions } from './verify-report.js';

async function firstFailed(report: Uint8Array, options: VerifyReportOptions): Promise<string | undefined> {
  return firstFailure((await verifyReport(report, { now: VECTOR_TIME, ...options })).checks)?.id;
}

const vcek = milanVcek();
const vlek = milanVlek();
const CHIP = new Uint8Array(64).fill(0x5a);

/** The VLEK vector turned into a VCEK-signed report for a synthetic chip, re-signed by `pki`. */
function synthReport(pki: SyntheticAmd, edit: (r: Uint8Array) => Uint8Array = (r) => r): Uint8Array {
  let r = withU32(vlek.report, OFFSET.signerInfo, 0);
  r = withBytes(r, OFFSET.chipId, CHIP);
  return pki.sign(edit(r));
}

describe('tampered SEV-SNP evidence', () => {
  let pki: SyntheticAmd;
  let trusted: VerifyReportOptions;
  beforeAll(async () => {
    pki = await makeSyntheticAmd({
      tcb: decodeTcb(vlek.report.subarray(OFFSET.reportedTcb, OFFSET.reportedTcb + 8), 'Milan'),
      chipId: CHIP,
    });
    trusted = { cert: pki.leafDer, chain: pki.chainPem, trustedRoots: pki.arkPem };
  }, 30_000);

  it('control: the synthetic PKI passes everything when its root is trusted', async () => {
    const v = await verifyReport(synthReport(pki), { ...trusted, now: VECTOR_TIME });
    expect(v.checks.filter((c) => !c.ok)).toEqual([]);
    expect(v.ok).toBe(true);
  });

  const cases: [string, string, () => Promise<string | undefined>][] = [
    [
      'flipped byte in the signed region (MEASUREMENT)',
      'report.signature',
      () => firstFailed(flipped(vcek.report, OFFSET.measurement + 3), { cert: vcek.cert, allowDebug: true }),
    ],
    [
      'flipped byte in REPORT_DATA',
      'report.signature',
      () => firstFailed(flipped(vcek.report, OFFSET.reportData), { cert: vcek.cert, allowDebug: true }),
    ],
    [
      'flipped byte in the signature (r)',
      'report.signature',
      () => firstFailed(flipped(vcek.report, OFFSET.signatureR + 5), { cert: vcek.cert, allowDebug: true }),
    ],
    [
      'non-zero byte above the 48 significant bytes of s',
      'report.signature',
      () => firstFailed(flipped(vcek.report, OFFSET.signatureS + 60), { cert: vcek.cert, allowDebug: true }),
    ],
    [
      'SIGNATURE_ALGO changed',
      'report.signature',
      () => firstFailed(withU32(vcek.report, OFFSET.signatureAlgo, 2), { cert: vcek.cert, allowDebug: true }),
    ],
    [
      'wrong VCEK: the VLEK certificate for the VCEK report',
      'chain.leaf',
      () => firstFailed(vcek.report, { cert: vlek.cert, allowDebug: true }),
    ],
    [
      'wrong VCEK: the VCEK certificate for the VLEK report',
      'chain.leaf',
      () => firstFailed(vlek.report, { cert: vcek.cert }),
    ],
    [
      'swapped ASK: Genoa ASK with the Milan ARK',
      'chain.ask',
      () =>
        firstFailed(vcek.report, {
          cert: vcek.cert,
          allowDebug: true,
          chain: AMD_ROOTS.Genoa.ask + AMD_ROOTS.Milan.ark,
        }),
    ],
    [
      'forged ASK named SEV-Milan under the real Milan ARK',
      'chain.ask',
      () =>
        firstFailed(vcek.report, {
          cert: vcek.cert,
          allowDebug: true,
          chain: pki.intermediatePem + AMD_ROOTS.Milan.ark,
        }),
    ],
    [
      'self-made root (RSA-PSS chain made with WebCrypto)',
      'chain.ark',
      () => firstFailed(synthReport(pki), { cert: pki.leafDer, chain: pki.chainPem }),
    ],
    [
      'self-made chain without a chain option (pinned ASK cannot have signed it)',
      'chain.leaf',
      () => firstFailed(synthReport(pki), { cert: pki.leafDer }),
    ],
    [
      'TCB mismatch (REPORTED_TCB raised, re-signed)',
      'tcb',
      () =>
        firstFailed(
          synthReport(pki, (r) =>
            withBytes(r, OFFSET.reportedTcb, encodeTcb({ bootloader: 4, tee: 0, snp: 25, microcode: 217 }, 'Milan')),
          ),
          trusted,
        ),
    ],
    [
      'chip-id mismatch (CHIP_ID changed, re-signed)',
      'chip-id',
      () =>
        firstFailed(
          synthReport(pki, (r) => flipped(r, OFFSET.chipId + 10)),
          trusted,
        ),
    ],
    [
      'SIGNING_KEY says VLEK but a VCEK signed (re-signed)',
      'chain.leaf',
      () =>
        firstFailed(
          synthReport(pki, (r) => withU32(r, OFFSET.signerInfo, 1 << 2)),
          trusted,
        ),
    ],
    [
      'CPUID says Genoa but the certificate is Milan (re-signed)',
      'product',
      () =>
        firstFailed(
          synthReport(pki, (r) => withBytes(r, OFFSET.cpuidModId, new Uint8Array([0x11]))),
          trusted,
        ),
    ],
    ['debug bit set', 'policy.debug', () => firstFailed(vcek.report, { cert: vcek.cert })],
    [
      'debug bit set on a synthetic report (re-signed)',
      'policy.debug',
      () =>
        firstFailed(
          synthReport(pki, (r) => flipped(r, OFFSET.policy + 2, 0x08)),
          trusted,
        ),
    ],
    ['VMPL above maxVmpl', 'policy.vmpl', () => firstFailed(vlek.report, { cert: vlek.cert, maxVmpl: 0 })],
    [
      'TCB below minTcb',
      'policy.min-tcb',
      () => firstFailed(vlek.report, { cert: vlek.cert, minTcb: { microcode: 218 } }),
    ],
    ['truncated report', 'report.parse', () => firstFailed(vcek.report.subarray(0, 0x2a0), { cert: vcek.cert })],
    [
      'report with trailing bytes',
      'report.parse',
      () => firstFailed(new Uint8Array([...vcek.report, 0]), { cert: vcek.cert }),
    ],
    [
      'unknown version (4)',
      'report.version',
      () => firstFailed(withU32(vcek.report, OFFSET.version, 4), { cert: vcek.cert }),
    ],
    [
      'expired certificate (now past the VCEK notAfter)',
      'chain.validity',
      () => firstFailed(vcek.report, { cert: vcek.cert, allowDebug: true, now: new Date('2030-01-01T00:00:00Z') }),
    ],
    [
      'certificate not yet valid',
      'chain.validity',
      () => firstFailed(vcek.report, { cert: vcek.cert, allowDebug: true, now: new Date('2021-01-01T00:00:00Z') }),
    ],
    [
      'a leaf that is not from an AMD intermediate',
      'product',
      () => firstFailed(vcek.report, { cert: AMD_ROOTS.Milan.ark }),
    ],
    ['garbage certificate', 'chain.leaf', () => firstFailed(vcek.report, { cert: new Uint8Array(64) })],
  ];

  it.each(cases)('%s → %s', async (_name, expected, run) => {
    expect(await run()).toBe(expected);
  });

  it('covers at least 12 distinct tamper cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(12);
  });
});

describe('Turin (synthetic PKI: FMC byte in the TCB, 8-byte hwid)', () => {
  const hwid = Uint8Array.from([0x6b, 0xb1, 0x22, 0x9b, 0x76, 0x92, 0xb7, 0x10]);
  const chip = new Uint8Array(64);
  chip.set(hwid);
  const tcb = { fmc: 1, bootloader: 1, tee: 1, snp: 4, microcode: 82 };
  let pki: SyntheticAmd;
  beforeAll(async () => {
    pki = await makeSyntheticAmd({ product: 'Turin', tcb, chipId: chip, hwid });
  }, 30_000);

  function turinReport(edit: (r: Uint8Array) => Uint8Array = (r) => r): Uint8Array {
    let r = withU32(vlek.report, OFFSET.signerInfo, 0);
    r = withBytes(r, OFFSET.cpuidFamId, new Uint8Array([0x1a, 0x11, 0x00]));
    r = withBytes(r, OFFSET.chipId, chip);
    r = withBytes(r, OFFSET.reportedTcb, encodeTcb(tcb, 'Turin'));
    return pki.sign(edit(r));
  }

  it('decodes REPORTED_TCB with the Turin layout and matches fmc/bl/tee/snp/ucode and the 8-byte hwid', async () => {
    const v = await verifyReport(turinReport(), {
      cert: pki.leafDer,
      chain: pki.chainPem,
      trustedRoots: pki.arkPem,
      now: VECTOR_TIME,
    });
    expect(v.checks.filter((c) => !c.ok)).toEqual([]);
    expect(v.product).toBe('Turin');
    expect(v.checks.find((c) => c.id === 'tcb')?.detail).toMatch(/fmc=1 bl=1 tee=1 snp=4 ucode=82/);
  });

  it('rejects an FMC mismatch with tcb', async () => {
    const r = turinReport((x) => withBytes(x, OFFSET.reportedTcb, encodeTcb({ ...tcb, fmc: 2 }, 'Turin')));
    expect(await firstFailed(r, { cert: pki.leafDer, chain: pki.chainPem, trustedRoots: pki.arkPem })).toBe('tcb');
  });
});
