/**
 * Bundle-level verification and tampering: backend claims, nonce, binding, measurement, schema,
 * and mock evidence. Mock bundles come from a real mock attestor; the SEV-SNP bundle from a fake
 * configfs-tsm tree holding a real report.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromBase64, toBase64, toHex } from '../bytes.js';
import { firstFailure } from '../checks.js';
import { AttestationError } from '../errors.js';
import type { AttestationBundle } from '../bundle/schema.js';
import { createAttestor, type Attestor } from '../node/attestor.js';
import { buildCertTable } from '../node/cert-table.js';
import { OFFSET } from '../report/layout.js';
import { milanVcek, VECTOR_TIME } from '../testing/vectors.js';
import { assertBundle, verifyBundle, type VerifyBundleOptions } from './verify-bundle.js';

const MEASUREMENT = new Uint8Array(32).fill(3);
const NONCE = new Uint8Array(32).fill(0xab);
let base: string;
let mock: Attestor;
let other: Attestor;
let mockBundle: AttestationBundle;
let snpBundle: AttestationBundle;
let otherBundle: AttestationBundle;
/** SHA-256 of a TLS certificate's SPKI the v2 attestor binds (any 32 bytes do for the binding). */
const TLS_SPKI = new Uint8Array(32).fill(0x77);
let v2Bundle: AttestationBundle;

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'saferouter-attest-bundle-'));
  const none = { tsmRoot: join(base, 'none'), sevGuestPath: join(base, 'none') };
  mock = await createAttestor({ dataDir: join(base, 'a'), measurement: MEASUREMENT, ...none });
  other = await createAttestor({ dataDir: join(base, 'b'), measurement: MEASUREMENT, ...none });
  mockBundle = await mock.quote(NONCE);
  otherBundle = await other.quote(NONCE);
  v2Bundle = await (
    await createAttestor({ dataDir: join(base, 'a'), measurement: MEASUREMENT, tlsSpkiSha256: TLS_SPKI, ...none })
  ).quote(NONCE);
  const entry = join(base, 'tsm', 'saferouter');
  await mkdir(entry, { recursive: true });
  await writeFile(join(entry, 'provider'), 'sev_guest');
  await writeFile(join(entry, 'outblob'), milanVcek().report);
  await writeFile(join(entry, 'auxblob'), buildCertTable([{ kind: 'vcek', der: milanVcek().cert }]));
  snpBundle = await (
    await createAttestor({
      dataDir: join(base, 'c'),
      measurement: MEASUREMENT,
      tsmRoot: join(base, 'tsm'),
      // The sealer's SEV-SNP derived key: there is no /dev/sev-guest here.
      derivedKey: () => new Uint8Array(32).fill(1),
    })
  ).quote(NONCE);
});

afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

async function failed(bundle: unknown, options: Partial<VerifyBundleOptions> = {}): Promise<string | undefined> {
  return firstFailure((await verifyBundle(bundle, { nonce: NONCE, ...options })).checks)?.id;
}

const edit = <B extends AttestationBundle>(b: B, patch: Partial<B>): B => ({ ...b, ...patch });
const flipHex = (hex: string): string => (hex[0] === '0' ? '1' : '0') + hex.slice(1);
function flipReportByte(b: AttestationBundle, offset: number): AttestationBundle {
  const r = fromBase64(b.report);
  r[offset] = (r[offset] as number) ^ 1;
  return edit(b, { report: toBase64(r) });
}

describe('verifyBundle', () => {
  it('accepts an untouched mock bundle as a demo (hardware: false)', async () => {
    const v = await verifyBundle(mockBundle, { nonce: NONCE, expectedMeasurement: MEASUREMENT });
    expect(v).toMatchObject({ ok: true, hardware: false, backend: 'mock' });
    expect(v.checks.map((c) => c.id)).toEqual([
      'schema',
      'backend',
      'nonce',
      'report.parse',
      'report.version',
      'chain.ark',
      'chain.ask',
      'chain.leaf',
      'chain.validity',
      'report.signature',
      'tcb',
      'chip-id',
      'policy.debug',
      'policy.vmpl',
      'policy.min-tcb',
      'binding',
      'measurement',
    ]);
  });

  it('accepts a version-2 mock bundle, whose binding names the TLS key, and still version 1', async () => {
    expect(mockBundle.version).toBe(1);
    expect(v2Bundle).toMatchObject({ version: 2, tlsSpkiSha256: toHex(TLS_SPKI), signingKey: mockBundle.signingKey });
    const v2 = await verifyBundle(v2Bundle, { nonce: NONCE, expectedMeasurement: MEASUREMENT });
    expect(v2.checks.filter((c) => !c.ok)).toEqual([]);
    expect(v2).toMatchObject({ ok: true, hardware: false, backend: 'mock' });
    expect(v2.checks.find((c) => c.id === 'binding')?.detail).toMatch(/TLS key \(SPKI SHA-256\) 7777777777777777…/);
    expect(v2.checks.find((c) => c.id === 'schema')?.detail).toMatch(/AttestationBundle v2/);
    const v1 = await verifyBundle(mockBundle, { nonce: NONCE, expectedMeasurement: MEASUREMENT });
    expect(v1.ok).toBe(true);
    expect(v1.checks.find((c) => c.id === 'binding')?.detail).not.toMatch(/TLS/);
    // The same keys, nonce and measurement: only the version-2 layout differs.
    expect(v2Bundle.reportData).not.toBe(mockBundle.reportData);
  });

  const cases: [string, string, () => Promise<string | undefined>][] = [
    [
      'a mock bundle presented as sev-snp',
      'backend',
      () => failed(edit(mockBundle, { backend: 'sev-snp', hardware: true })),
    ],
    ['a mock bundle claiming hardware: true', 'backend', () => failed(edit(mockBundle, { hardware: true }))],
    [
      'sev-snp with hardware: false',
      'backend',
      () => failed(edit(snpBundle, { hardware: false }), { now: VECTOR_TIME }),
    ],
    [
      'an SEV-SNP bundle relabelled mock',
      'backend',
      () => failed(edit(snpBundle, { backend: 'mock', hardware: false }), { allowDebug: true, now: VECTOR_TIME }),
    ],
    ['a mock bundle when hardware is required', 'backend', () => failed(mockBundle, { requireHardware: true })],
    [
      'replay: verified against a different nonce',
      'nonce',
      () => failed(mockBundle, { nonce: new Uint8Array(32).fill(1) }),
    ],
    [
      'nonce field rewritten to the new nonce',
      'binding',
      () =>
        failed(edit(mockBundle, { nonce: toHex(new Uint8Array(32).fill(1)) }), { nonce: new Uint8Array(32).fill(1) }),
    ],
    [
      'report_data mismatch: signing key swapped',
      'binding',
      () => failed(edit(mockBundle, { signingKey: toHex(other.signingPublicKey) })),
    ],
    [
      'report_data mismatch: sealing key swapped',
      'binding',
      () => failed(edit(mockBundle, { sealingKey: toHex(other.sealingPublicKey) })),
    ],
    [
      'report_data mismatch: measurement field changed',
      'binding',
      () => failed(edit(mockBundle, { measurement: flipHex(mockBundle.measurement) })),
    ],
    [
      'reportData field differs from the report',
      'binding',
      () => failed(edit(mockBundle, { reportData: flipHex(mockBundle.reportData) })),
    ],
    [
      'v2: another TLS key hash than the report binds',
      'binding',
      () => failed(edit(v2Bundle, { tlsSpkiSha256: toHex(new Uint8Array(32).fill(0x78)) })),
    ],
    [
      'v2 relabelled v1 (the TLS key hash dropped)',
      'binding',
      () => {
        const { tlsSpkiSha256: _dropped, ...rest } = v2Bundle as Extract<AttestationBundle, { version: 2 }>;
        return failed({ ...rest, version: 1 });
      },
    ],
    [
      'v1 relabelled v2 (a TLS key hash added)',
      'binding',
      () => failed({ ...mockBundle, version: 2, tlsSpkiSha256: toHex(TLS_SPKI) }),
    ],
    ['unexpected measurement', 'measurement', () => failed(mockBundle, { expectedMeasurement: new Uint8Array(32) })],
    ['mock report byte flipped', 'report.signature', () => failed(flipReportByte(mockBundle, OFFSET.hostData))],
    ['mock signature byte flipped', 'report.signature', () => failed(flipReportByte(mockBundle, OFFSET.signatureR))],
    [
      'mock leaf from another server',
      'chain.leaf',
      () => failed(edit(mockBundle, { certChain: [otherBundle.certChain[0]!, ...mockBundle.certChain.slice(1)] })),
    ],
    ['mock root not the pinned one', 'chain.ark', () => failed(mockBundle, { mockRoots: other.mockRootPem! })],
    [
      'mock chain with a missing intermediate',
      'chain.leaf',
      () => failed(edit(mockBundle, { certChain: [mockBundle.certChain[0]!, mockBundle.certChain[2]!] })),
    ],
    [
      'mock certificates expired',
      'chain.validity',
      () => failed(mockBundle, { now: new Date(Date.now() + 400 * 86_400_000) }),
    ],
    ['schema: missing field', 'schema', () => failed({ ...mockBundle, report: undefined })],
    ['schema: uppercase hex', 'schema', () => failed(edit(mockBundle, { nonce: mockBundle.nonce.toUpperCase() }))],
    ['schema: wrong version', 'schema', () => failed({ ...mockBundle, version: 3 })],
    ['schema: version 2 without its TLS key hash', 'schema', () => failed({ ...mockBundle, version: 2 })],
    ['schema: not an object', 'schema', () => failed('bundle')],
  ];

  it.each(cases)('%s → %s', async (_name, expected, run) => {
    expect(await run()).toBe(expected);
  });

  it('never claims hardware for a mock bundle, whatever the options', async () => {
    for (const opts of [{}, { allowDebug: true }, { expectedMeasurement: MEASUREMENT }]) {
      expect((await verifyBundle(mockBundle, { nonce: NONCE, ...opts })).hardware).toBe(false);
    }
  });

  it('assertBundle throws an AttestationError naming the check', async () => {
    await expect(
      assertBundle(edit(mockBundle, { backend: 'sev-snp', hardware: true }), { nonce: NONCE }),
    ).rejects.toSatisfy((e: unknown) => AttestationError.isInstance(e) && e.check === 'backend');
    await expect(assertBundle(mockBundle, { nonce: NONCE })).resolves.toMatchObject({ ok: true, hardware: false });
  });

  it('validates its options', async () => {
    await expect(verifyBundle(mockBundle, { nonce: new Uint8Array(16) })).rejects.toThrow(
      /options.nonce must be 32 bytes/,
    );
    await expect(verifyBundle(mockBundle, { nonce: NONCE, expectedMeasurement: new Uint8Array(48) })).rejects.toThrow(
      RangeError,
    );
    await expect(verifyBundle(mockBundle, { nonce: NONCE, requireHardware: 'yes' as never })).rejects.toThrow(
      TypeError,
    );
  });
});
