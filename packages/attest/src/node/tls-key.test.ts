/**
 * The gateway's TLS key and its CSR: made once (0600) and reused, refused when corrupt, and the
 * CSR judged by an independent parser (@peculiar/x509, which needs reflect-metadata; tests only).
 * The SPKI hash is cross-checked against node:crypto's own export of the key. With a sealer the
 * PEM is sealed at rest: migrated from plaintext, replaced for a new build, refused when tampered.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { createHash, createPublicKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { toHex } from '../bytes.js';
import { useTempDirs } from '../testing/temp-dir.js';
import { certificateSpkiSha256, spkiSha256 } from '../x509/spki.js';
import { attestDir } from './identity.js';
import { createKeySealer, parseSealedBlob, sealedBlobToJson, type KeySealer } from './sealing.js';
import {
  assertTlsNames,
  loadOrCreateTlsKey,
  SEALED_TLS_KEY_FILE,
  TLS_KEY_FILE,
  TLS_SEAL_CONTEXT,
  tlsKeyPath,
} from './tls-key.js';

const tempDir = useTempDirs();
const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
const nodeSpkiSha256 = (keyPem: string): string =>
  sha256(createPublicKey(keyPem).export({ type: 'spki', format: 'der' }));

const M1 = new Uint8Array(32).fill(0x41);
const M2 = new Uint8Array(32).fill(0x42);
const mockSealer = (dataDir: string, measurement = M1): Promise<KeySealer> =>
  createKeySealer({ backend: 'mock', measurement, dataDir });
/** The base64 lines of a PEM body (what a leak of the key would contain). */
const pemLines = (pem: string): string[] => pem.split('\n').filter((l) => l.length > 0 && !l.startsWith('-----'));

const ECDSA_P256 = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

/** A test CA signs the CSR, as the operator's CA would. */
async function issue(csrPem: string): Promise<string> {
  const csr = new x509.Pkcs10CertificateRequest(csrPem);
  const caKeys = await crypto.subtle.generateKey(ECDSA_P256, false, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: '01',
    subject: csr.subject,
    issuer: 'CN=test CA',
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 86_400_000),
    publicKey: csr.publicKey,
    signingKey: caKeys.privateKey,
    signingAlgorithm: ECDSA_P256,
  });
  return cert.toString('pem');
}

describe('loadOrCreateTlsKey', () => {
  it('makes an ECDSA P-256 key once, mode 0600 in a 0700 directory, and reuses it', async () => {
    const dataDir = await tempDir();
    const first = await loadOrCreateTlsKey(dataDir);
    expect(first.created).toBe(true);
    expect(first.path).toBe(tlsKeyPath(dataDir));
    expect((await stat(first.path)).mode & 0o777).toBe(0o600);
    expect((await stat(attestDir(dataDir))).mode & 0o777).toBe(0o700);
    const pem = await readFile(first.path, 'utf8');
    expect(pem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(createPublicKey(pem).asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(toHex(first.spkiSha256)).toBe(nodeSpkiSha256(pem));

    const second = await loadOrCreateTlsKey(dataDir);
    expect(second.created).toBe(false);
    expect(toHex(second.spkiSha256)).toBe(toHex(first.spkiSha256));
    expect(await readFile(first.path, 'utf8')).toBe(pem);
    // The key object never leaves the module: nothing on the result holds the private key.
    expect(JSON.stringify(second)).not.toMatch(/PRIVATE KEY/);
  });

  it('prints a CSR that verifies, names the hosts, and carries exactly this key', async () => {
    const key = await loadOrCreateTlsKey(await tempDir());
    const csrPem = key.csr(['Router.Example.com', '127.0.0.1', '::1']);
    expect(csrPem).toMatch(
      /^-----BEGIN CERTIFICATE REQUEST-----\n[A-Za-z0-9+/=\n]+-----END CERTIFICATE REQUEST-----\n$/,
    );
    const csr = new x509.Pkcs10CertificateRequest(csrPem);
    expect(await csr.verify()).toBe(true);
    expect(csr.subject).toBe('CN=router.example.com');
    const san = csr.getExtension('2.5.29.17');
    expect(san).toBeInstanceOf(x509.SubjectAlternativeNameExtension);
    expect((san as x509.SubjectAlternativeNameExtension).names.items.map((n) => `${n.type}:${n.value}`)).toEqual([
      'dns:router.example.com',
      'ip:127.0.0.1',
      'ip:::1',
    ]);
    expect(sha256(new Uint8Array(csr.publicKey.rawData))).toBe(toHex(key.spkiSha256));
    expect(csr.signatureAlgorithm).toMatchObject({ name: 'ECDSA', hash: { name: 'SHA-256' } });
  });

  it('the certificate a CA issues for the CSR hashes to the same SPKI, as node:crypto sees it too', async () => {
    const key = await loadOrCreateTlsKey(await tempDir());
    const certPem = await issue(key.csr(['gateway.test']));
    const fromNode = sha256(new X509Certificate(certPem).publicKey.export({ type: 'spki', format: 'der' }));
    expect(toHex(certificateSpkiSha256(certPem))).toBe(fromNode);
    expect(toHex(certificateSpkiSha256(new X509Certificate(certPem).raw))).toBe(fromNode);
    expect(toHex(key.spkiSha256)).toBe(fromNode);
  });

  it('refuses a key file that is not an EC private key, without quoting it', async () => {
    const garbage = await tempDir();
    await loadOrCreateTlsKey(garbage);
    await writeFile(tlsKeyPath(garbage), 'SECRET-BYTES-NOT-A-KEY', { mode: 0o600 });
    const err = await loadOrCreateTlsKey(garbage).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err).toBeInstanceOf(Error);
    expect(err?.message).toMatch(/is not a PEM private key: refusing to use it for TLS/);
    expect(err?.message).not.toMatch(/SECRET-BYTES/);

    const rsa = await tempDir();
    await loadOrCreateTlsKey(rsa);
    const rsaKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    await writeFile(tlsKeyPath(rsa), rsaKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    await expect(loadOrCreateTlsKey(rsa)).rejects.toThrow(/not an ECDSA P-256 or P-384 key/);
  });
});

describe('loadOrCreateTlsKey with a sealer', () => {
  it('seals the PEM at rest (0600), reloads it, and hands the PEM only to whoever asks for it', async () => {
    const dataDir = await tempDir();
    const sealer = await mockSealer(dataDir);
    const first = await loadOrCreateTlsKey(dataDir, { sealer });
    expect(first).toMatchObject({ created: true, sealed: true, path: tlsKeyPath(dataDir, true) });
    expect(first.path.endsWith(SEALED_TLS_KEY_FILE)).toBe(true);
    expect((await stat(first.path)).mode & 0o777).toBe(0o600);
    const stored = await readFile(first.path, 'utf8');
    expect(parseSealedBlob(stored)).toMatchObject({
      backend: 'mock',
      measurement: toHex(M1),
      context: TLS_SEAL_CONTEXT,
    });
    const pem = first.privateKeyPem();
    expect(pem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(nodeSpkiSha256(pem)).toBe(toHex(first.spkiSha256));
    // Neither the PEM nor any line of it, nor its DER, is on disk.
    expect(stored).not.toMatch(/PRIVATE KEY/);
    for (const line of pemLines(pem)) expect(stored).not.toContain(line);
    const files = await readdir(attestDir(dataDir));
    expect(files).not.toContain(TLS_KEY_FILE);
    const second = await loadOrCreateTlsKey(dataDir, { sealer: await mockSealer(dataDir) });
    expect(second.created).toBe(false);
    expect(toHex(second.spkiSha256)).toBe(toHex(first.spkiSha256));
    expect(await readFile(first.path, 'utf8')).toBe(stored);
    expect(JSON.stringify(second)).not.toMatch(/PRIVATE KEY/);
    // The CSR carries the sealed key.
    const csr = new x509.Pkcs10CertificateRequest(second.csr(['gateway.test']));
    expect(await csr.verify()).toBe(true);
    expect(sha256(new Uint8Array(csr.publicKey.rawData))).toBe(toHex(first.spkiSha256));
  });

  it('seals a plaintext tls-key.pem (same key, same SPKI) and removes the plaintext', async () => {
    const dataDir = await tempDir();
    const plain = await loadOrCreateTlsKey(dataDir);
    const logs: string[] = [];
    const sealed = await loadOrCreateTlsKey(dataDir, {
      sealer: await mockSealer(dataDir),
      log: (level, m) => logs.push(`${level}:${m}`),
    });
    expect(sealed).toMatchObject({ created: false, sealed: true });
    expect(toHex(sealed.spkiSha256)).toBe(toHex(plain.spkiSha256));
    expect((await readdir(attestDir(dataDir))).includes(TLS_KEY_FILE)).toBe(false);
    expect(logs.join('\n')).toMatch(/sealed the plaintext key .*tls-key\.pem into .*tls-key\.pem\.sealed and removed/);
  });

  it('a new build gets a new key (its certificate must be renewed), keeping the old sealed file', async () => {
    const dataDir = await tempDir();
    const old = await loadOrCreateTlsKey(dataDir, { sealer: await mockSealer(dataDir, M1) });
    const logs: string[] = [];
    const fresh = await loadOrCreateTlsKey(dataDir, {
      sealer: await mockSealer(dataDir, M2),
      log: (level, m) => logs.push(`${level}:${m}`),
    });
    expect(fresh.created).toBe(true);
    expect(toHex(fresh.spkiSha256)).not.toBe(toHex(old.spkiSha256));
    expect(logs.join('\n')).toMatch(
      new RegExp(
        `warn:.*sealed by build ${toHex(M1)} \\(mock\\); this build is ${toHex(M2)}.*certificate for the old key no longer fits`,
      ),
    );
    expect(await readdir(attestDir(dataDir))).toContain(`${SEALED_TLS_KEY_FILE}.41414141.old`);
  });

  it('refuses a tampered sealed key, and a sealed blob that is not an EC key, without quoting it', async () => {
    const dataDir = await tempDir();
    const sealer = await mockSealer(dataDir);
    const key = await loadOrCreateTlsKey(dataDir, { sealer });
    const blob = parseSealedBlob(await readFile(key.path, 'utf8'));
    await writeFile(key.path, sealedBlobToJson({ ...blob, iv: Buffer.alloc(12, 1).toString('base64url') }));
    await expect(loadOrCreateTlsKey(dataDir, { sealer })).rejects.toThrow(/failed authentication: tampered/);
    await writeFile(
      key.path,
      sealedBlobToJson(sealer.seal(new TextEncoder().encode('SECRET-BYTES'), TLS_SEAL_CONTEXT)),
    );
    const err = await loadOrCreateTlsKey(dataDir, { sealer }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err?.message).toMatch(/tls-key\.pem\.sealed is not a PEM private key: refusing to use it for TLS/);
    expect(err?.message).not.toMatch(/SECRET-BYTES/);
  });
});

describe('assertTlsNames', () => {
  it('accepts host names, wildcards below a domain and IP addresses', () => {
    expect(() => assertTlsNames(['a.example', '*.example.com', 'localhost', '10.0.0.1', '2001:db8::1'])).not.toThrow();
  });

  it.each([[[]], [['']], [['bad name']], [['-lead.example']], [['*']], [['*.com']], [['a..b']], [['x'.repeat(64)]]])(
    'refuses %j',
    (names) => {
      expect(() => assertTlsNames(names)).toThrow(RangeError);
    },
  );

  it('validates types', () => {
    expect(() => assertTlsNames('host' as unknown as string[])).toThrow(TypeError);
    expect(() => assertTlsNames([7 as unknown as string])).toThrow(TypeError);
  });
});

describe('spkiSha256', () => {
  it('hashes an SPKI the way certificateSpkiSha256 does, and refuses what is not one', () => {
    const pub = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey;
    const der = new Uint8Array(pub.export({ type: 'spki', format: 'der' }));
    expect(toHex(spkiSha256(der))).toBe(sha256(der));
    expect(() => spkiSha256(new Uint8Array([1, 2, 3]))).toThrow(RangeError);
    expect(() => certificateSpkiSha256('no certificate here')).toThrow(RangeError);
    expect(() => certificateSpkiSha256(7 as unknown as string)).toThrow(TypeError);
  });
});
