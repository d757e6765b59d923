/**
 * `/openapi.json` of a real gateway with everything on (startGateway: attestation, the startup
 * and audit logs, EHBP, metrics, the dashboard, the verifier page): it validates as OpenAPI 3.1,
 * it lists exactly the routes the running app registered, and the public trust endpoints answer
 * what it documents.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentedOperations, registeredOperations } from '../src/openapi.js';
import type { JsonObject } from '../src/openapi-types.js';
import { checkDocument, validateOpenApi, type DocumentChecker } from '../src/openapi-testing.js';
import { ADMIN_KEY, startTestGateway, type TestGateway } from './helpers.js';

describe('the OpenAPI document of a full gateway', { timeout: 60_000 }, () => {
  let work: string;
  let gw: TestGateway;
  let doc: JsonObject;
  let check: DocumentChecker;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'sr-openapi-e2e-'));
    const dashboard = join(work, 'dashboard');
    mkdirSync(join(dashboard, 'assets'), { recursive: true });
    writeFileSync(join(dashboard, 'index.html'), '<!doctype html>');
    writeFileSync(join(dashboard, 'favicon.svg'), '<svg/>');
    writeFileSync(join(dashboard, 'assets', 'index-1.js'), '1');
    const verifier = join(work, 'verifier');
    mkdirSync(verifier);
    writeFileSync(join(verifier, 'index.html'), '<!doctype html>');
    gw = await startTestGateway('http://127.0.0.1:9', { dashboardDir: dashboard, verifierDir: verifier });
    const res = await fetch(`${gw.url}/openapi.json`);
    expect(res.status).toBe(200);
    doc = (await res.json()) as JsonObject;
    check = checkDocument(doc);
  });
  afterAll(async () => {
    await gw?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('validates as OpenAPI 3.1', async () => {
    expect(await validateOpenApi(doc)).toMatchObject({ valid: true, version: '3.1' });
  });

  it('lists exactly the routes the running app registered', () => {
    const registered = registeredOperations(gw.gateway.app);
    const documented = documentedOperations(doc);
    const missing = [...registered].filter((op) => !documented.has(op)).sort();
    const extra = [...documented].filter((op) => !registered.has(op)).sort();
    expect({ missing, extra }).toEqual({ missing: [], extra: [] });
    for (const op of [
      'POST /attestation/quote',
      'GET /attestation/transparency/tile/{}',
      'GET /attestation/audit/{}',
      'OPTIONS /.well-known/hpke-keys',
      'GET /metrics',
      'GET /ready',
      'GET /verify/{}',
      'GET /favicon.svg',
    ]) {
      expect(registered).toContain(op);
    }
  });

  it('the trust endpoints answer what it documents', async () => {
    const expectAnswer = async (method: string, docPath: string, path: string, status: number, body?: unknown) => {
      const res = await fetch(gw.url + path, {
        method,
        ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
      });
      expect(res.status, path).toBe(status);
      const validate = check.answer(method, docPath, status);
      const json = (await res.json()) as unknown;
      expect(validate(json) ? [] : validate.errors, path).toEqual([]);
    };
    await expectAnswer('GET', '/attestation/verifying-key', '/attestation/verifying-key', 200);
    const quote = check.body('POST', '/attestation/quote');
    const nonce = randomBytes(32).toString('hex');
    expect(quote({ nonce })).toBe(true);
    expect(quote({ nonce: 'abc' })).toBe(false);
    await expectAnswer('POST', '/attestation/quote', '/attestation/quote', 200, { nonce });
    await expectAnswer('POST', '/attestation/quote', '/attestation/quote', 400, { nonce: 'abc' });
    await expectAnswer('GET', '/attestation/transparency', '/attestation/transparency', 200);
    await expectAnswer('GET', '/attestation/transparency/head', '/attestation/transparency/head?format=json', 200);
    await expectAnswer('GET', '/attestation/transparency/{index}', '/attestation/transparency/0', 200);
    await expectAnswer('GET', '/attestation/transparency/{index}', '/attestation/transparency/999999', 404);
    await expectAnswer(
      'GET',
      '/attestation/transparency/consistency',
      '/attestation/transparency/consistency?from=1',
      200,
    );
    const head = await fetch(`${gw.url}/attestation/transparency/head`);
    expect(head.headers.get('content-type')).toMatch(/^text\/plain/);
  });

  it('/metrics is documented as it is guarded', async () => {
    expect(check.operation('GET', '/metrics')['security']).toEqual([{ adminKey: [] }]);
    expect((await fetch(`${gw.url}/metrics`)).status).toBe(401);
    const res = await fetch(`${gw.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    expect(res.status).toBe(200);
    expect(Object.keys((check.operation('GET', '/metrics')['responses'] as JsonObject)['200'] as object)).toContain(
      'content',
    );
  });
});
