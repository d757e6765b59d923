/**
 * createAttestor backend selection and the mock backend end to end (persistence, pinning, concurrency).
 */
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toHex } from '../bytes.js';
import { useTempDirs } from '../testing/temp-dir.js';
import { firstFailure } from '../checks.js';
import { verifyBundle } from '../verify/verify-bundle.js';
import { createAttestor } from './attestor.js';
import { attestDir } from './identity.js';
import { MOCK_ROOT_CERT_FILE, MOCK_ROOT_KEY_FILE } from './mock-ca.js';

const tempDir = useTempDirs();
const MEASUREMENT = new Uint8Array(32).fill(7);

async function mockAttestor(dataDir: string) {
  const base = await tempDir();
  return createAttestor({
    dataDir,
    measurement: MEASUREMENT,
    tsmRoot: join(base, 'no-tsm'),
    sevGuestPath: join(base, 'no-sev-guest'),
  });
}

describe('createAttestor backend selection', () => {
  it('falls back to the mock with a reason when there is no SEV-SNP interface', async () => {
    const logs: string[] = [];
    const base = await tempDir();
    const a = await createAttestor({
      dataDir: base,
      measurement: MEASUREMENT,
      tsmRoot: join(base, 'x'),
      sevGuestPath: join(base, 'y'),
      log: (l, m) => logs.push(`${l}:${m}`),
    });
    expect(a.backend).toBe('mock');
    expect(a.hardware).toBe(false);
    expect(a.fallbackReason).toMatch(/MOCK attestation backend.*hardware: false/);
    expect(logs.some((l) => l.startsWith('warn:') && l.includes('MOCK'))).toBe(true);
    expect(a.mockRootPem).toMatch(/BEGIN CERTIFICATE/);
  });

  it.runIf(process.platform === 'linux')(
    'uses the SNP_GET_REPORT ioctl when /dev/sev-guest exists without configfs-tsm (real FFI, regular file)',
    async () => {
      const base = await tempDir();
      const dev = join(base, 'sev-guest');
      await writeFile(dev, '');
      const logs: string[] = [];
      const a = await createAttestor({
        dataDir: base,
        measurement: MEASUREMENT,
        tsmRoot: join(base, 'none'),
        sevGuestPath: dev,
        log: (l, m) => logs.push(`${l}:${m}`),
      });
      expect(a).toMatchObject({ backend: 'sev-snp', hardware: true, fallbackReason: undefined });
      expect(logs.some((l) => l.startsWith('info:') && l.includes(`SNP_GET_REPORT ioctl on ${dev}`))).toBe(true);
      // A regular file is not the guest device: the real ioctl fails with ENOTTY, explained.
      await expect(a.quote(new Uint8Array(32))).rejects.toThrow(
        /SNP_GET_REPORT on .* failed: .* does not support this ioctl: it is not the SEV-SNP guest device/,
      );
      // A device that cannot be opened fails at startup, not at the first quote.
      await expect(
        createAttestor({ dataDir: base, measurement: MEASUREMENT, tsmRoot: join(base, 'none'), sevGuestPath: base }),
      ).rejects.toThrow(new RegExp(`cannot open ${base}: EISDIR`));
    },
  );

  it('picks SEV-SNP when the configfs-tsm directory exists', async () => {
    const base = await tempDir();
    await mkdir(join(base, 'tsm'));
    const a = await createAttestor({ dataDir: base, measurement: MEASUREMENT, tsmRoot: join(base, 'tsm') });
    expect(a.backend).toBe('sev-snp');
    expect(a.hardware).toBe(true);
    expect(a.fallbackReason).toBeUndefined();
    expect(a.mockRootPem).toBeUndefined();
  });

  it('validates its options and the nonce', async () => {
    const base = await tempDir();
    await expect(createAttestor({ dataDir: base, measurement: new Uint8Array(31) })).rejects.toThrow(
      /measurement must be 32 bytes/,
    );
    await expect(createAttestor({ dataDir: '', measurement: MEASUREMENT })).rejects.toThrow(RangeError);
    await expect(createAttestor({ dataDir: base, measurement: MEASUREMENT, product: 'Rome' as never })).rejects.toThrow(
      RangeError,
    );
    const a = await mockAttestor(base);
    expect(() => a.quote(new Uint8Array(31))).toThrow(/nonce must be 32 bytes/);
    expect(() => a.quote('x' as unknown as Uint8Array)).toThrow(TypeError);
  });
});

describe('mock backend end to end', () => {
  it('bundles verify with ok: true and hardware: false, labelled as a demo', async () => {
    const a = await mockAttestor(await tempDir());
    const nonce = crypto.getRandomValues(new Uint8Array(32));
    const bundle = await a.quote(nonce);
    expect(bundle).toMatchObject({
      version: 1,
      backend: 'mock',
      hardware: false,
      nonce: toHex(nonce),
      measurement: toHex(MEASUREMENT),
    });
    expect(bundle.signingKey).toBe(toHex(a.signingPublicKey));
    expect(bundle.certChain).toHaveLength(3);
    const v = await verifyBundle(bundle, { nonce, expectedMeasurement: MEASUREMENT });
    expect(v.checks.filter((c) => !c.ok)).toEqual([]);
    expect(v).toMatchObject({ ok: true, hardware: false, backend: 'mock' });
    expect(v.summary).toMatch(/^MOCK \/ DEMO attestation/);
    for (const id of ['chain.ark', 'report.signature', 'binding'] as const)
      expect(v.checks.find((c) => c.id === id)?.detail).toMatch(/MOCK/);
  });

  it('quotes version 2, binding the TLS key hash, when given one; version 1 without', async () => {
    const dataDir = await tempDir();
    const tls = new Uint8Array(32).fill(0x42);
    const base = await tempDir();
    const none = { tsmRoot: join(base, 'no-tsm'), sevGuestPath: join(base, 'no-sev-guest') };
    const a = await createAttestor({ dataDir, measurement: MEASUREMENT, tlsSpkiSha256: tls, ...none });
    tls.fill(0); // the attestor keeps its own copy
    expect(toHex(a.tlsSpkiSha256 ?? new Uint8Array())).toBe('42'.repeat(32));
    const nonce = crypto.getRandomValues(new Uint8Array(32));
    const bundle = await a.quote(nonce);
    expect(bundle).toMatchObject({ version: 2, tlsSpkiSha256: '42'.repeat(32), nonce: toHex(nonce) });
    expect((await verifyBundle(bundle, { nonce })).ok).toBe(true);
    const plain = await mockAttestor(dataDir);
    expect(plain.tlsSpkiSha256).toBeUndefined();
    const v1 = await plain.quote(nonce);
    expect(v1.version).toBe(1);
    expect('tlsSpkiSha256' in v1).toBe(false);
    await expect(
      createAttestor({ dataDir, measurement: MEASUREMENT, tlsSpkiSha256: new Uint8Array(16), ...none }),
    ).rejects.toThrow(/options.tlsSpkiSha256 must be 32 bytes/);
  });

  it('keeps the mock root and identity across restarts (files 0600), but issues a fresh leaf', async () => {
    const dataDir = await tempDir();
    const first = await mockAttestor(dataDir);
    const second = await mockAttestor(dataDir);
    expect(second.mockRootPem).toBe(first.mockRootPem);
    expect(toHex(second.signingPublicKey)).toBe(toHex(first.signingPublicKey));
    for (const file of [MOCK_ROOT_KEY_FILE, MOCK_ROOT_CERT_FILE, 'signing-ed25519.key', 'sealing-x25519.key']) {
      expect((await stat(join(attestDir(dataDir), file))).mode & 0o777).toBe(0o600);
    }
    const nonce = new Uint8Array(32).fill(1);
    const b1 = await first.quote(nonce);
    const b2 = await second.quote(nonce);
    expect(b2.certChain[2]).toBe(b1.certChain[2]);
    expect(b2.certChain[0]).not.toBe(b1.certChain[0]);
    // A client that pinned the root from the first run accepts the second run's bundle.
    expect((await verifyBundle(b2, { nonce, mockRoots: first.mockRootPem! })).ok).toBe(true);
    // …and rejects another server's mock root.
    const other = await mockAttestor(await tempDir());
    const v = await verifyBundle(await other.quote(nonce), { nonce, mockRoots: first.mockRootPem! });
    expect(firstFailure(v.checks)?.id).toBe('chain.ark');
  });

  it('serialises concurrent quotes and answers each nonce', async () => {
    const a = await mockAttestor(await tempDir());
    const nonces = [1, 2, 3].map((n) => new Uint8Array(32).fill(n));
    const bundles = await Promise.all(nonces.map((n) => a.quote(n)));
    for (const [i, b] of bundles.entries()) expect((await verifyBundle(b, { nonce: nonces[i]! })).ok).toBe(true);
  });
});
