/**
 * TLS that ends inside the attested build, end to end: the gateway's key is made in its data dir
 * as `saferouter-attest tls-csr` makes it, a test CA signs the CSR, and the gateway serves HTTPS
 * with the pair. Its quotes are then version-2 bundles binding the certificate's key, and the
 * verifier's `tls-binding` passes over a direct connection. Through a TLS-terminating proxy that
 * presents another key (trusted by the same CA, forwarding every request to the gateway), exactly
 * `tls-binding` fails; in front of a plain-HTTP gateway (version-1 quotes), it fails saying the
 * TLS key is not bound. A certificate and key that do not match stop the start.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { createServer, request as httpsRequest, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '@saferouter/fake-upstream';
import { attestDir, createHostSealer, loadOrCreateTlsKey, parseSealedBlob } from '@saferouter/attest/node';
import type { GeneratedKey } from '@saferouter/tlog';
import type { CheckId, GatewayVerification } from '@saferouter/verify';
import { createTlsTransport, runCli } from '@saferouter/verify/node';
import type { RunningGateway } from '../src/start.js';
import { createTestCa, type TestCa } from './tls-fixtures.js';
import { startVerifyGateway, verifyLogKey } from './verify-fixtures.js';

const dirs: string[] = [];
const tempDir = (prefix: string): string => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
};

let upstream: FakeUpstream;
let logKey: GeneratedKey;
let ca: TestCa;
let caFile: string;
let gatewayCert: string;
let gatewayKeyPath: string;
let gateway: RunningGateway;
let plainGateway: RunningGateway;
let proxy: TlsProxy;
let plainProxy: TlsProxy;

interface TlsProxy {
  url: string;
  close(): Promise<void>;
}

/** A TLS-terminating reverse proxy with its own key and certificate, forwarding to `target`. */
async function startTlsProxy(target: string, tls: { cert: string; key: string }, trust: string): Promise<TlsProxy> {
  const to = new URL(target);
  const server: Server = createServer(tls, (req, res) => {
    const forward = to.protocol === 'https:' ? httpsRequest : httpRequest;
    const out = forward(
      {
        hostname: to.hostname,
        port: to.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: to.host },
        ...(to.protocol === 'https:' ? { ca: trust } : {}),
      },
      (answer: IncomingMessage) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    out.on('error', () => res.destroy());
    req.pipe(out);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}

interface Run {
  code: number;
  result: GatewayVerification;
}

async function verify(url: string, ...args: string[]): Promise<Run> {
  let out = '';
  const state = join(tempDir('sr-tls-state-'), 'state.json');
  const code = await runCli([url, '--json', '--state', state, '--timeout', '5000', '--allow-mock', ...args], {
    stdout: (t) => void (out += t),
    stderr: (t) => void (out += t),
  });
  return { code, result: JSON.parse(out) as GatewayVerification };
}

const statusOf = (r: Run): Record<string, string> => Object.fromEntries(r.result.checks.map((c) => [c.id, c.status]));
const detailOf = (r: Run, id: CheckId): string => r.result.checks.find((c) => c.id === id)?.detail ?? '';
const spkiOf = (pem: string): string =>
  createHash('sha256')
    .update(new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex');

const HONEST = {
  quote: 'pass',
  hardware: 'warn',
  binding: 'pass',
  'tls-binding': 'pass',
  measurement: 'warn',
  'startup-log': 'pass',
  'log-consistency': 'pass',
  'audit-log': 'pass',
};

beforeAll(async () => {
  upstream = await startFakeUpstream();
  logKey = await verifyLogKey();
  ca = await createTestCa();
  const pki = tempDir('sr-tls-pki-');
  caFile = join(pki, 'ca.pem');
  writeFileSync(caFile, ca.pem);

  // The operator's steps: the key made in the data dir with a CSR for it, the CSR signed by a CA.
  const dataDir = tempDir('sr-tls-gw-');
  const key = await loadOrCreateTlsKey(dataDir);
  gatewayKeyPath = key.path;
  gatewayCert = await ca.issueForCsr(key.csr(['localhost', '127.0.0.1']));
  const certPath = join(pki, 'gateway.pem');
  writeFileSync(certPath, gatewayCert);
  gateway = await startVerifyGateway({
    dataDir,
    logKey,
    upstreamUrl: upstream.url,
    tls: { certPath, keyPath: gatewayKeyPath },
  });
  proxy = await startTlsProxy(gateway.url, await ca.issueWithNewKey(), ca.pem);

  plainGateway = await startVerifyGateway({ dataDir: tempDir('sr-tls-plain-'), logKey, upstreamUrl: upstream.url });
  plainProxy = await startTlsProxy(plainGateway.url, await ca.issueWithNewKey(), ca.pem);
});

afterAll(async () => {
  await proxy?.close();
  await plainProxy?.close();
  await gateway?.close();
  await plainGateway?.close();
  await upstream?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('a gateway serving TLS itself', () => {
  it('serves HTTPS and quotes version-2 bundles that bind its certificate key', async () => {
    expect(gateway.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(gateway.attestor.tlsSpkiSha256).toBeDefined();
    // The start itself is recorded with a version-2 attestation (and the startup-log check below verifies it).
    expect(gateway.startupLog.record.attestation.bundle).toMatchObject({
      version: 2,
      tlsSpkiSha256: spkiOf(gatewayCert),
    });
    expect(plainGateway.url).toMatch(/^http:\/\//);
    expect(plainGateway.attestor.tlsSpkiSha256).toBeUndefined();
  });

  it('tls-binding passes on a direct connection: TLS ends inside the attested build', async () => {
    const r = await verify(gateway.url, '--ca', caFile);
    expect(statusOf(r), JSON.stringify(r.result.checks.map((c) => [c.id, c.status, c.detail]))).toEqual(HONEST);
    expect(r.result.checks.map((c) => c.id)).toEqual(Object.keys(HONEST));
    expect(detailOf(r, 'tls-binding')).toContain(`SPKI SHA-256 ${spkiOf(gatewayCert).slice(0, 16)}…`);
    expect(r.result.verdict).toBe('demo');
    expect(r.code).toBe(0);
  });

  it('tls-binding, and only it, fails through a TLS-terminating proxy that presents another key', async () => {
    const r = await verify(proxy.url, '--ca', caFile);
    const failed = r.result.checks.filter((c) => c.status === 'fail').map((c) => c.id);
    expect(failed, JSON.stringify(r.result.checks.map((c) => [c.id, c.status, c.detail]))).toEqual(['tls-binding']);
    // Everything the proxy relayed verifies: it is the TLS session alone that is not the gateway's.
    expect(statusOf(r)).toEqual({ ...HONEST, 'tls-binding': 'fail' });
    expect(detailOf(r, 'tls-binding')).toMatch(/not the attested .*TLS ends outside the attested build/);
    expect(r.result.verdict).toBe('failed');
    expect(r.code).toBe(1);
  });

  it('fails for a plain-HTTP gateway behind a TLS proxy: its version-1 attestation does not bind the TLS key', async () => {
    const r = await verify(plainProxy.url, '--ca', caFile);
    expect(statusOf(r)).toEqual({ ...HONEST, 'tls-binding': 'fail' });
    expect(detailOf(r, 'tls-binding')).toMatch(/^the gateway serves TLS but its attestation does not bind the TLS key/);
    expect(r.code).toBe(1);
  });

  it('lists no tls-binding check for an http:// gateway', async () => {
    const r = await verify(plainGateway.url);
    expect(r.result.checks.map((c) => c.id)).not.toContain('tls-binding');
    expect(r.code).toBe(0);
  });

  it('without --ca the self-signed chain is not trusted: the quote fails as unreachable (exit 2)', async () => {
    const r = await verify(gateway.url);
    expect(statusOf(r)['quote']).toBe('fail');
    expect(r.code).toBe(2);
  });

  it("the verifier's transport reports the certificate of the connection it used, not of a new one", async () => {
    const served = await ca.issueWithNewKey();
    const server = createServer(served, (_req, res) => res.end('ok'));
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const tls = createTlsTransport({ ca: ca.pem });
    try {
      expect(await (await tls.fetch(`${url}/`)).text()).toBe('ok');
      await tls.close();
      await new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      });
      // The server is gone: only the recorded connection can answer.
      const certs = await tls.peerCertificates(url);
      expect(certs).toHaveLength(1);
      expect(new X509Certificate(certs[0] ?? new Uint8Array()).raw.toString('base64')).toBe(
        new X509Certificate(served.cert).raw.toString('base64'),
      );
      await expect(tls.peerCertificates('https://127.0.0.1:1')).rejects.toThrow(/ECONNREFUSED/);
    } finally {
      server.close();
    }
  });

  it('serves a TLS key sealed to its build (tls-csr --measurement), which is never on disk in the clear', async () => {
    // The build's measurement, as `pnpm measure` would print it: from a first start.
    const dataDir = tempDir('sr-tls-sealed-');
    const first = await startVerifyGateway({ dataDir, logKey, upstreamUrl: upstream.url });
    const measurement = first.attestor.measurement;
    await first.close();
    // What `saferouter-attest tls-csr --measurement HEX` does on the host: the key sealed to that build.
    const sealer = await createHostSealer({ dataDir, measurement, tsmRoot: join(dataDir, 'no-tsm') });
    const key = await loadOrCreateTlsKey(dataDir, { sealer });
    expect(key.sealed).toBe(true);
    const certPath = join(tempDir('sr-tls-sealed-pki-'), 'gateway.pem');
    const cert = await ca.issueForCsr(key.csr(['localhost', '127.0.0.1']));
    writeFileSync(certPath, cert);
    const sealed = await startVerifyGateway({
      dataDir,
      logKey,
      upstreamUrl: upstream.url,
      tls: { certPath, keyPath: key.path },
    });
    try {
      expect(sealed.url).toMatch(/^https:/);
      expect(sealed.startupLog.record.attestation.bundle).toMatchObject({ version: 2, tlsSpkiSha256: spkiOf(cert) });
      const r = await verify(sealed.url, '--ca', caFile);
      expect(statusOf(r)['tls-binding']).toBe('pass');
      // On disk: a sealed blob, and no PEM private key anywhere in the attest directory.
      expect(parseSealedBlob(readFileSync(key.path, 'utf8')).context).toBe('tls.key-pem');
      for (const name of readdirSync(attestDir(dataDir)))
        expect(readFileSync(join(attestDir(dataDir), name), 'utf8'), name).not.toMatch(/PRIVATE KEY/);
    } finally {
      await sealed.close();
    }
  });

  it('refuses to start when the key is not the certificate’s, naming SAFEROUTER_TLS_KEY', async () => {
    const other = await ca.issueWithNewKey();
    const certPath = join(tempDir('sr-tls-bad-'), 'other.pem');
    writeFileSync(certPath, other.cert);
    const dataDir = tempDir('sr-tls-bad-gw-');
    await expect(
      startVerifyGateway({ dataDir, logKey, upstreamUrl: upstream.url, tls: { certPath, keyPath: gatewayKeyPath } }),
    ).rejects.toThrow(/SAFEROUTER_TLS_KEY: .* is not the private key of the certificate in SAFEROUTER_TLS_CERT/);
  });
});
