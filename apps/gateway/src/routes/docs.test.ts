/**
 * `/openapi.json` and `/docs` through `app.request()`: public, the page's headers and CSP, the
 * asset served from the snapshot (ETag, 304), 404/405/503 in OpenAI's error shape; and the
 * assets are measured: the manifest names `/docs/scalar.js` with the SHA-256 of the bytes served,
 * and one changed byte changes the gateway's measurement. The page in real Chromium:
 * test/docs.e2e.test.ts.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCatalogConfig } from '@saferouter/router';
import { measureGateway } from '../measure.js';
import { loadServedFiles, loadStaticFiles } from '../static-files.js';
import { scalarStandalonePath } from '../openapi-testing.js';
import { createFixture, expectError, type Fixture } from '../test-fixture.js';
import { DOCS_CSP, DOCS_HTML, SCALAR_BUNDLE } from './docs.js';

const sha = (bytes: Uint8Array | string): string => createHash('sha256').update(bytes).digest('hex');

let work: string;
let docsDir: string;
let f: Fixture;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'sr-docs-'));
  docsDir = join(work, 'docs');
  mkdirSync(docsDir);
  copyFileSync(scalarStandalonePath(), join(docsDir, SCALAR_BUNDLE));
  f = await createFixture({ docsFiles: loadStaticFiles(docsDir) });
});
afterAll(async () => {
  await f.dispose();
  rmSync(work, { recursive: true, force: true });
});

describe('/docs', () => {
  it('is public, framed by nothing, and allows only its own assets', async () => {
    const res = await f.call('/docs', { key: null });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toBe(DOCS_CSP);
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    const html = await res.text();
    expect(html).toBe(DOCS_HTML);
    // The one script that runs is the gateway's own file; the other is data (type=application/json).
    const scripts = [...html.matchAll(/<script([^>]*)>/g)].map((m) => m[1] ?? '');
    expect(scripts).toHaveLength(2);
    for (const attrs of scripts)
      expect(attrs.includes('src="docs/') || attrs.includes('type="application/json"')).toBe(true);
    expect(html).not.toMatch(/https?:\/\//);
    for (const directive of [
      "script-src 'self'",
      "connect-src 'self'",
      "default-src 'none'",
      "frame-ancestors 'none'",
    ]) {
      expect(DOCS_CSP).toContain(directive);
    }
    expect(DOCS_CSP).not.toMatch(/https?:|\*|unsafe-eval/);
  });

  it('serves the bundle from the snapshot, revalidated by its SHA-256', async () => {
    const res = await f.call(`/docs/${SCALAR_BUNDLE}`, { key: null });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect(sha(bytes)).toBe(sha(readFileSync(scalarStandalonePath())));
    const etag = res.headers.get('etag');
    expect(etag).toBe(`"${sha(bytes)}"`);
    const again = await f.call(`/docs/${SCALAR_BUNDLE}`, { key: null, headers: { 'if-none-match': etag ?? '' } });
    expect(again.status).toBe(304);
  });

  it('answers the other cases in OpenAI’s error shape', async () => {
    await expectError(await f.call('/docs/missing.js', { key: null }), 404, 'not_found');
    await expectError(await f.call('/docs/..%2fpackage.json', { key: null }), 404);
    const post = await f.call('/docs', { key: null, method: 'POST', body: {} });
    await expectError(post, 405, 'method_not_allowed');
    expect(post.headers.get('allow')).toBe('GET');
    await expectError(await f.call(`/docs/${SCALAR_BUNDLE}`, { key: null, method: 'DELETE' }), 405);
    await expectError(await f.call('/openapi.json', { key: null, method: 'PUT', body: {} }), 405);
  });

  it('without its assets built, /docs is a 503 naming the fix and /openapi.json still works', async () => {
    const bare = await createFixture();
    try {
      const body = await expectError(await bare.call('/docs', { key: null }), 503, 'docs_not_built');
      expect(body.error.message).toContain('pnpm --filter @saferouter/gateway build');
      await expectError(await bare.call(`/docs/${SCALAR_BUNDLE}`, { key: null }), 503, 'docs_not_built');
      expect((await bare.call('/openapi.json', { key: null })).status).toBe(200);
    } finally {
      await bare.dispose();
    }
  });

  it('build.mjs copies the bundle from where the package has it', () => {
    expect(existsSync(scalarStandalonePath())).toBe(true);
    expect(readFileSync(new URL('../../build.mjs', import.meta.url), 'utf8')).toContain(
      "join(dirname(scalarEntry), 'browser', 'standalone.js')",
    );
  });
});

describe('the docs assets are measured', () => {
  const binary = fileURLToPath(new URL('../server.ts', import.meta.url));
  const catalog = parseCatalogConfig({ providers: [], models: [] });
  const empty = (): string => mkdtempSync(join(tmpdir(), 'sr-docs-empty-'));

  it('the manifest names the bytes served', async () => {
    const served = loadServedFiles({ dashboardDir: empty(), verifierDir: empty(), docsDir });
    expect(served.manifest).toEqual({ [`/docs/${SCALAR_BUNDLE}`]: sha(readFileSync(join(docsDir, SCALAR_BUNDLE))) });
    const res = await f.call(`/docs/${SCALAR_BUNDLE}`, { key: null });
    expect(sha(new Uint8Array(await res.arrayBuffer()))).toBe(served.manifest[`/docs/${SCALAR_BUNDLE}`]);
    const measured = await measureGateway(binary, catalog, served.manifest);
    expect(measured.staticFiles).toBe(1);
  });

  it('one changed byte in the bundle changes the measurement', async () => {
    const copy = join(work, 'copy');
    mkdirSync(copy);
    const original = readFileSync(join(docsDir, SCALAR_BUNDLE));
    writeFileSync(join(copy, SCALAR_BUNDLE), original);
    const measure = async (): Promise<string> =>
      (
        await measureGateway(
          binary,
          catalog,
          loadServedFiles({ dashboardDir: empty(), verifierDir: empty(), docsDir: copy }).manifest,
        )
      ).hex;
    const before = await measure();
    expect(await measure()).toBe(before);
    const flipped = Buffer.from(original);
    flipped[1000] = (flipped[1000] ?? 0) ^ 1;
    writeFileSync(join(copy, SCALAR_BUNDLE), flipped);
    expect(await measure()).not.toBe(before);
  });
});
