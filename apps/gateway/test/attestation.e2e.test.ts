/**
 * Attestation against the real server: a quote answers the verifier's nonce with a bundle that
 * @saferouter/attest verifies (mock backend here, so `hardware: false`, said plainly), bad nonces
 * get 400s in OpenAI's error shape, the endpoints are CORS-open, and the measurement a gateway
 * started from the bundle reports equals what `pnpm measure` prints for the same config.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromHex, toHex, verifyBundle } from '@saferouter/attest';
import { startFakeUpstream, type FakeUpstream } from '@saferouter/fake-upstream';
import { fakeCatalogJson, startTestGateway, type TestGateway } from './helpers.js';

let upstream: FakeUpstream;
let gw: TestGateway;

beforeAll(async () => {
  upstream = await startFakeUpstream();
  gw = await startTestGateway(upstream.url);
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

const quote = (body: unknown, headers: Record<string, string> = {}): Promise<Response> =>
  fetch(`${gw.url}/attestation/quote`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

describe('POST /attestation/quote', () => {
  it('answers a fresh nonce with a bundle that verifies, labelled as the mock it is', async () => {
    const nonce = randomBytes(32);
    const res = await quote({ nonce: toHex(nonce) });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const bundle = (await res.json()) as Record<string, unknown>;
    expect(bundle).toMatchObject({
      version: 1,
      backend: 'mock',
      hardware: false,
      nonce: toHex(nonce),
      measurement: gw.measurement.hex,
    });

    const verdict = await verifyBundle(bundle, { nonce, expectedMeasurement: gw.measurement.measurement });
    expect(verdict.ok, JSON.stringify(verdict.checks)).toBe(true);
    expect(verdict.hardware).toBe(false);
    expect(verdict.backend).toBe('mock');

    // The same bundle does not answer another nonce, and does not vouch for another build.
    expect((await verifyBundle(bundle, { nonce: randomBytes(32) })).ok).toBe(false);
    const other = await verifyBundle(bundle, { nonce, expectedMeasurement: randomBytes(32) });
    expect(other.checks.find((c) => c.id === 'measurement')?.ok).toBe(false);
  });

  it('refuses a missing or malformed nonce with a 400 in OpenAI error shape', async () => {
    for (const body of [
      {},
      { nonce: 'abc' },
      { nonce: 'zz'.repeat(32) },
      { nonce: 7 },
      { nonce: 'ab'.repeat(33) },
      [],
      'null',
      '{not json',
    ]) {
      const res = await quote(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      const { error } = (await res.json()) as { error: { type: string; code: string; message: string } };
      expect(error.type).toBe('invalid_request_error');
      expect(['invalid_nonce', 'invalid_json']).toContain(error.code);
    }
    const wrongMethod = await fetch(`${gw.url}/attestation/quote`);
    expect(wrongMethod.status).toBe(405);
  });

  it('answers CORS preflights from any origin', async () => {
    const res = await fetch(`${gw.url}/attestation/quote`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://verifier.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-allow-methods')).toContain('POST');
  });
});

describe('GET /attestation/verifying-key', () => {
  it('publishes the keys, the measurement and the backend, and says mock is not hardware', async () => {
    const res = await fetch(`${gw.url}/attestation/verifying-key`);
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      signingKey: toHex(gw.attestor.signingPublicKey),
      sealingKey: toHex(gw.attestor.sealingPublicKey),
      algorithm: 'ed25519',
      measurement: gw.measurement.hex,
      backend: 'mock',
      hardware: false,
      transparencyLogKey: gw.startupLog.key.verifier.vkey,
    });
    expect(String(body['notice'])).toMatch(/MOCK/);
    expect(fromHex(String(body['signingKey']))).toHaveLength(32);
  });
});

describe('measurement', () => {
  const gatewayDir = fileURLToPath(new URL('..', import.meta.url));

  it('a gateway started from the bundle reports what `pnpm measure` prints, for the same config', async () => {
    expect(spawnSync(process.execPath, ['build.mjs'], { cwd: gatewayDir, stdio: 'inherit' }).status).toBe(0);
    const work = mkdtempSync(join(tmpdir(), 'sr-measure-'));
    try {
      const configPath = join(work, 'config.json');
      writeFileSync(configPath, JSON.stringify(fakeCatalogJson(upstream.url)));
      const env = { ...process.env, SAFEROUTER_CONFIG: configPath };
      const printed = spawnSync(process.execPath, ['dist/measure-cli.mjs'], { cwd: gatewayDir, env, encoding: 'utf8' });
      expect(printed.status, printed.stderr).toBe(0);
      const measured = printed.stdout.trim();
      expect(measured).toMatch(/^[0-9a-f]{64}$/);

      // Reformatting the config file does not change the measurement; changing a price does.
      writeFileSync(configPath, JSON.stringify(fakeCatalogJson(upstream.url), null, 7));
      expect(
        spawnSync(process.execPath, ['dist/measure-cli.mjs'], { cwd: gatewayDir, env, encoding: 'utf8' }).stdout.trim(),
      ).toBe(measured);
      const repriced = fakeCatalogJson(upstream.url) as { models: { pricing: { inputPerMillion: number } }[] };
      repriced.models[0]!.pricing.inputPerMillion += 1;
      writeFileSync(join(work, 'repriced.json'), JSON.stringify(repriced));
      const other = spawnSync(process.execPath, ['dist/measure-cli.mjs'], {
        cwd: gatewayDir,
        env: { ...env, SAFEROUTER_CONFIG: join(work, 'repriced.json') },
        encoding: 'utf8',
      });
      expect(other.stdout.trim()).not.toBe(measured);

      const port = 20000 + Math.floor(Math.random() * 20000);
      const child = spawn(process.execPath, ['dist/server.mjs'], {
        cwd: gatewayDir,
        env: {
          ...env,
          PORT: String(port),
          HOST: '127.0.0.1',
          SAFEROUTER_DATA_DIR: join(work, 'data'),
          SAFEROUTER_ADMIN_KEY: `sk-sr-${randomBytes(32).toString('base64url')}`,
          SAFEROUTER_TSM_ROOT: join(work, 'no-tsm'),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let log = '';
      child.stdout.on('data', (d: Buffer) => (log += d.toString()));
      child.stderr.on('data', (d: Buffer) => (log += d.toString()));
      try {
        let reported: string | undefined;
        for (let i = 0; i < 100 && reported === undefined; i++) {
          try {
            const res = await fetch(`http://127.0.0.1:${port}/attestation/verifying-key`);
            reported = ((await res.json()) as { measurement: string }).measurement;
          } catch {
            await new Promise((r) => setTimeout(r, 100));
          }
        }
        expect(reported, log).toBe(measured);
        expect(log).toContain(`measurement ${measured}`);
        expect(log).toMatch(/MOCK/);
      } finally {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }, 60_000);
});
