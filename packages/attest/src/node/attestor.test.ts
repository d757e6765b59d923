/**
 * createAttestor backend selection, the sealer it builds for its backend, the identity keys on
 * disk being ciphertext, and the mock backend end to end (persistence, pinning, concurrency).
 */
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toHex } from '../bytes.js';
import { useTempDirs } from '../testing/temp-dir.js';
import { firstFailure } from '../checks.js';
import { verifyBundle } from '../verify/verify-bundle.js';
import { createAttestor } from './attestor.js';
import { attestDir, IDENTITY_SEAL_CONTEXTS, SEALING_KEY_FILE, SIGNING_KEY_FILE } from './identity.js';
import { MOCK_ROOT_CERT_FILE, MOCK_ROOT_KEY_FILE } from './mock-ca.js';
import { MOCK_SEAL_SECRET_FILE } from './sealing.js';
import { loadOrCreateTlsKey } from './tls-key.js';

const tempDir = useTempDirs();
const MEASUREMENT = new Uint8Array(32).fill(7);
/** An SEV-SNP sealer's derived key, injected: there is no /dev/sev-guest here. */
const derivedKey = (): Uint8Array => new Uint8Array(32).fill(0xd1);

/** Every file under `dir`, recursively. */
async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(path)));
    else out.push(path);
  }
  return out;
}

/** The ways a private key could sit in a file: raw, hex (either case), base64, base64url, PKCS#8 DER and PEM. */
function encodings(raw: Uint8Array, pkcs8Der: Uint8Array): Buffer[] {
  const b = Buffer.from(raw);
  const der = Buffer.from(pkcs8Der);
  return [
    b,
    Buffer.from(b.toString('hex')),
    Buffer.from(b.toString('hex').toUpperCase()),
    Buffer.from(b.toString('base64').replace(/=+$/, '')),
    Buffer.from(b.toString('base64url')),
    der,
    Buffer.from(der.toString('base64').replace(/=+$/, '')),
  ];
}

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
      // The real SNP_GET_DERIVED_KEY fails on a regular file too (ENOTTY): the start stops there.
      await expect(
        createAttestor({ dataDir: base, measurement: MEASUREMENT, tsmRoot: join(base, 'none'), sevGuestPath: dev }),
      ).rejects.toThrow(/SNP_GET_DERIVED_KEY on .* does not support this ioctl/);
      const a = await createAttestor({
        dataDir: base,
        measurement: MEASUREMENT,
        tsmRoot: join(base, 'none'),
        sevGuestPath: dev,
        derivedKey,
        log: (l, m) => logs.push(`${l}:${m}`),
      });
      expect(a).toMatchObject({ backend: 'sev-snp', hardware: true, fallbackReason: undefined });
      expect(a.sealer.backend).toBe('sev-snp');
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

  it('picks SEV-SNP when the configfs-tsm directory exists, sealing with the derived key', async () => {
    const base = await tempDir();
    await mkdir(join(base, 'tsm'));
    const a = await createAttestor({ dataDir: base, measurement: MEASUREMENT, tsmRoot: join(base, 'tsm'), derivedKey });
    expect(a.backend).toBe('sev-snp');
    expect(a.hardware).toBe(true);
    expect(a.fallbackReason).toBeUndefined();
    expect(a.mockRootPem).toBeUndefined();
    expect(a.sealer.backend).toBe('sev-snp');
    expect((await readdir(attestDir(base))).includes(MOCK_SEAL_SECRET_FILE)).toBe(false);
    // Another chip (another derived key) cannot open the identity: the start fails, nothing is replaced.
    const stored = await readFile(join(attestDir(base), SIGNING_KEY_FILE), 'utf8');
    await expect(
      createAttestor({
        dataDir: base,
        measurement: MEASUREMENT,
        tsmRoot: join(base, 'tsm'),
        derivedKey: () => new Uint8Array(32).fill(0xd2),
      }),
    ).rejects.toThrow(/failed authentication: tampered, or sealed on another chip\/secret \(sev-snp\)/);
    expect(await readFile(join(attestDir(base), SIGNING_KEY_FILE), 'utf8')).toBe(stored);
  });

  it('refuses to start on SEV-SNP reports from configfs-tsm when /dev/sev-guest cannot give a derived key', async () => {
    const base = await tempDir();
    await mkdir(join(base, 'tsm'));
    const noDevice = join(base, 'no-sev-guest');
    await expect(
      createAttestor({ dataDir: base, measurement: MEASUREMENT, tsmRoot: join(base, 'tsm'), sevGuestPath: noDevice }),
    ).rejects.toThrow(
      new RegExp(
        `sealing keys at rest needs ${noDevice} \\(SNP_GET_DERIVED_KEY\\): configfs-tsm .* gives reports but no derived key`,
      ),
    );
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

describe('keys sealed at rest', () => {
  it('the identity keys on disk are ciphertext', async () => {
    const dataDir = await tempDir();
    const a = await mockAttestor(dataDir);
    expect(a.sealer).toMatchObject({ backend: 'mock' });
    expect(toHex(a.sealer.measurement)).toBe(toHex(MEASUREMENT));
    const tls = await loadOrCreateTlsKey(dataDir, { sealer: a.sealer });
    const dir = attestDir(dataDir);
    // The private keys, opened with the attestor's own sealer (test-only) and proven to be the
    // keys in use: they give the attestor's public keys, and its signatures.
    const seed = a.sealer.open(await readFile(join(dir, SIGNING_KEY_FILE), 'utf8'), IDENTITY_SEAL_CONTEXTS.signing);
    const scalar = a.sealer.open(await readFile(join(dir, SEALING_KEY_FILE), 'utf8'), IDENTITY_SEAL_CONTEXTS.sealing);
    expect(toHex(ed25519.getPublicKey(seed))).toBe(toHex(a.signingPublicKey));
    expect(toHex(x25519.getPublicKey(scalar))).toBe(toHex(a.sealingPublicKey));
    const msg = new TextEncoder().encode('m');
    expect(toHex(a.identity.sign(msg))).toBe(toHex(ed25519.sign(msg, seed)));
    const pkcs8 = (prefix: number[], key: Uint8Array) => Uint8Array.from([...prefix, ...key]);
    const ed = [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];
    const xd = [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20];
    const tlsPem = tls.privateKeyPem();
    const tlsDer = new Uint8Array(
      Buffer.from(
        tlsPem
          .split('\n')
          .filter((l) => !l.startsWith('-----'))
          .join(''),
        'base64',
      ),
    );
    const needles = [
      ...encodings(seed, pkcs8(ed, seed)),
      ...encodings(scalar, pkcs8(xd, scalar)),
      Buffer.from(tlsDer),
      ...tlsPem
        .split('\n')
        .filter((l) => l.length > 0 && !l.startsWith('-----'))
        .map((l) => Buffer.from(l)),
      Buffer.from('PRIVATE KEY'),
    ];
    const files = await filesUnder(dir);
    expect(files.map((f) => f.slice(dir.length + 1)).sort()).toEqual(
      [
        MOCK_ROOT_CERT_FILE,
        MOCK_ROOT_KEY_FILE,
        MOCK_SEAL_SECRET_FILE,
        SEALING_KEY_FILE,
        SIGNING_KEY_FILE,
        'tls-key.pem.sealed',
      ].sort(),
    );
    for (const file of files) {
      const bytes = await readFile(file);
      for (const needle of needles) expect(bytes.indexOf(needle), `${file} holds a private key`).toBe(-1);
    }
    // The check itself can fail: a plaintext key file would be caught.
    await writeFile(join(dir, 'leak.txt'), Buffer.from(seed).toString('base64'));
    expect((await readFile(join(dir, 'leak.txt'))).indexOf(needles[3]!)).toBe(0);
  });

  it('a new measurement gives new identity keys and keeps the old sealed files', async () => {
    const dataDir = await tempDir();
    const first = await mockAttestor(dataDir);
    const base = await tempDir();
    const logs: string[] = [];
    const next = await createAttestor({
      dataDir,
      measurement: new Uint8Array(32).fill(8),
      tsmRoot: join(base, 'no-tsm'),
      sevGuestPath: join(base, 'no-sev-guest'),
      log: (l, m) => logs.push(`${l}:${m}`),
    });
    expect(toHex(next.signingPublicKey)).not.toBe(toHex(first.signingPublicKey));
    expect(toHex(next.sealingPublicKey)).not.toBe(toHex(first.sealingPublicKey));
    expect(logs.filter((l) => l.startsWith('warn:') && l.includes(`sealed by build ${'07'.repeat(32)}`))).toHaveLength(
      2,
    );
    expect(await readdir(attestDir(dataDir))).toEqual(
      expect.arrayContaining([`${SIGNING_KEY_FILE}.07070707.old`, `${SEALING_KEY_FILE}.07070707.old`]),
    );
    // The new build's bundles verify, with its own keys.
    const nonce = new Uint8Array(32).fill(3);
    expect((await verifyBundle(await next.quote(nonce), { nonce })).ok).toBe(true);
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
    for (const file of [
      MOCK_ROOT_KEY_FILE,
      MOCK_ROOT_CERT_FILE,
      SIGNING_KEY_FILE,
      SEALING_KEY_FILE,
      MOCK_SEAL_SECRET_FILE,
    ]) {
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
