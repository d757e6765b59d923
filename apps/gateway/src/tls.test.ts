/**
 * SAFEROUTER_TLS_CERT / SAFEROUTER_TLS_KEY: both or neither, and at start the files must be
 * readable, a PEM certificate and a PEM private key that belong together. Every refusal names the
 * variable and never quotes the key file.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '@saferouter/attest';
import { createKeySealer, sealedBlobToJson, TLS_SEAL_CONTEXT } from '@saferouter/attest/node';
import { ConfigError } from '@saferouter/router';
import { createTestCa } from '../test/tls-fixtures.js';
import { loadGatewayConfig } from './config.js';
import { loadTls, openTls, readTlsFiles } from './tls.js';

const dir = mkdtempSync(join(tmpdir(), 'saferouter-tls-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text, { mode: 0o600 });
  return path;
};

let cert: string;
let key: string;
let otherKey: string;

beforeAll(async () => {
  const ca = await createTestCa();
  const a = await ca.issueWithNewKey();
  const b = await ca.issueWithNewKey();
  cert = file('cert.pem', a.cert + ca.pem); // a chain, leaf first
  key = file('key.pem', a.key);
  otherKey = file('other-key.pem', b.key);
});

/** The ConfigError `loadTls` throws, or a failure if it does not. */
function refusal(certPath: string, keyPath: string): ConfigError {
  try {
    loadTls({ certPath, keyPath });
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadTls', () => {
  it('reads a matching pair and hashes the leaf key as node:crypto exports it', () => {
    const tls = loadTls({ certPath: cert, keyPath: key });
    const leaf = new X509Certificate(tls.cert);
    const expected = createHash('sha256')
      .update(leaf.publicKey.export({ type: 'spki', format: 'der' }))
      .digest('hex');
    expect(toHex(tls.spkiSha256)).toBe(expected);
    expect(tls.cert).toMatch(/END CERTIFICATE-----\n-----BEGIN CERTIFICATE/); // the chain is served whole
  });

  it('names the variable when a file is missing', () => {
    const missing = join(dir, 'nope.pem');
    expect(refusal(missing, key)).toMatchObject({ path: 'SAFEROUTER_TLS_CERT' });
    expect(refusal(missing, key).message).toMatch(/cannot read .*nope\.pem: ENOENT/);
    expect(refusal(cert, missing)).toMatchObject({ path: 'SAFEROUTER_TLS_KEY' });
  });

  it('refuses a certificate that is not PEM, and a key that is not a key, without quoting it', () => {
    expect(refusal(file('junk-cert.pem', 'hello'), key)).toMatchObject({ path: 'SAFEROUTER_TLS_CERT' });
    const secret = 'MC4CAQAwBQYDK2VwBCIEIJUNK-SECRET-MATERIAL';
    const bad = refusal(
      cert,
      file('junk-key.pem', `-----BEGIN PRIVATE KEY-----\n${secret}\n-----END PRIVATE KEY-----\n`),
    );
    expect(bad.path).toBe('SAFEROUTER_TLS_KEY');
    expect(bad.message).toMatch(/is not a PEM private key/);
    expect(bad.message).not.toContain('SECRET');
  });

  it('refuses a chain file OpenSSL cannot serve, though its leaf parses', () => {
    const glued = file('glued.pem', readFileSync(cert, 'utf8').replace(/-----\n-----BEGIN/, '----------BEGIN'));
    const r = refusal(glued, key);
    expect(r.path).toBe('SAFEROUTER_TLS_CERT');
    expect(r.message).toMatch(/cannot be served with/);
  });

  it('refuses a key that is not the certificate’s', () => {
    const mismatch = refusal(cert, otherKey);
    expect(mismatch.path).toBe('SAFEROUTER_TLS_KEY');
    expect(mismatch.message).toMatch(/is not the private key of the certificate in SAFEROUTER_TLS_CERT/);
    expect(mismatch.message).not.toMatch(/PRIVATE KEY/);
  });
});

describe('a TLS key sealed to the build', () => {
  const sealerFor = (fill: number) =>
    createKeySealer({ backend: 'mock', measurement: new Uint8Array(32).fill(fill), dataDir: dir });

  it('is read with the certificate, then opened with the sealer', async () => {
    const sealer = await sealerFor(1);
    const sealedPath = file('key.pem.sealed', sealedBlobToJson(sealer.seal(readFileSync(key), TLS_SEAL_CONTEXT)));
    const files = readTlsFiles({ certPath: cert, keyPath: sealedPath });
    expect(files.sealed).toBe(true);
    expect(toHex(files.spkiSha256)).toBe(toHex(loadTls({ certPath: cert, keyPath: key }).spkiSha256));
    const tls = openTls(files, sealer);
    expect(tls).toMatchObject({ sealed: true, key: readFileSync(key, 'utf8') });
    expect(loadTls({ certPath: cert, keyPath: key }).sealed).toBe(false);
  });

  it('refuses it without a sealer, or when another build sealed it, naming SAFEROUTER_TLS_KEY', async () => {
    const sealedPath = file(
      'key2.pem.sealed',
      sealedBlobToJson((await sealerFor(1)).seal(readFileSync(key), TLS_SEAL_CONTEXT)),
    );
    const files = readTlsFiles({ certPath: cert, keyPath: sealedPath });
    expect(() => openTls(files)).toThrow(/SAFEROUTER_TLS_KEY: .*key2\.pem\.sealed is sealed, and no sealer was given/);
    let error: unknown;
    try {
      openTls(files, await sealerFor(2));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).path).toBe('SAFEROUTER_TLS_KEY');
    expect((error as Error).message).toMatch(
      /was sealed by build 01010101…; this build is 02020202….*tls-csr --measurement/,
    );
  });
});

describe('loadGatewayConfig TLS variables', () => {
  it('takes both paths (resolved), or neither', () => {
    expect(loadGatewayConfig({}).tls).toBeUndefined();
    expect(loadGatewayConfig({ SAFEROUTER_TLS_CERT: 'c.pem', SAFEROUTER_TLS_KEY: 'k.pem' }).tls).toEqual({
      certPath: resolve('c.pem'),
      keyPath: resolve('k.pem'),
    });
  });

  it('refuses one without the other, naming the missing one', () => {
    expect(() => loadGatewayConfig({ SAFEROUTER_TLS_CERT: 'c.pem' })).toThrow(/SAFEROUTER_TLS_KEY: required with/);
    expect(() => loadGatewayConfig({ SAFEROUTER_TLS_KEY: 'k.pem' })).toThrow(/SAFEROUTER_TLS_CERT: required with/);
  });
});
