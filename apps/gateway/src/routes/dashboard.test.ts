/**
 * The dashboard at `/`: its files at their own paths, index.html for `/` and the app's routes
 * (and paths below them) only, the strict CSP on every page, long caching for hashed assets
 * only, and every API and protocol path untouched — even when the build holds a file whose
 * name collides with one. A missing build answers 503 on the app's paths and changes nothing
 * else. The measured manifest names each served file under the path it is served at.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFixture, expectError, type Fixture } from '../test-fixture.js';
import { servedManifest, staticRelativePath, type StaticFiles } from '../static-files.js';
import { DASHBOARD_CSP } from './dashboard-csp.js';
import { DASHBOARD_ROUTES } from './dashboard.js';

const encoder = new TextEncoder();
const file = (text: string) => {
  const bytes = encoder.encode(text);
  return { bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
};
const INDEX = '<!doctype html><title>dashboard</title><script type="module" src="/assets/index-abc.js"></script>';
const files: StaticFiles = new Map([
  ['index.html', file(INDEX)],
  ['favicon.svg', file('<svg xmlns="http://www.w3.org/2000/svg"/>')],
  ['assets/index-abc.js', file('console.log("dashboard")')],
  ['assets/index-def.css', file('body{}')],
  // Collides with API paths: must never be served.
  ['health', file('NOT THE HEALTH ENDPOINT')],
  ['v1/models', file('NOT THE MODELS ENDPOINT')],
]);

let fx: Fixture;
let unbuilt: Fixture;
beforeAll(async () => {
  fx = await createFixture({ dashboardFiles: files });
  unbuilt = await createFixture({ dashboardFiles: new Map() });
});
afterAll(async () => {
  await fx?.dispose();
  await unbuilt?.dispose();
});

const get = (f: Fixture, path: string, method = 'GET'): Promise<Response> => f.call(path, { key: null, method });

describe('the dashboard at /', () => {
  it('answers index.html for / and every app route (and below), with the strict CSP, uncached', async () => {
    const paths = ['/', ...DASHBOARD_ROUTES.map((r) => `/${r}`), '/chat/some-conversation', '/keys/a/b?x=1'];
    for (const path of paths) {
      const res = await get(fx, path);
      expect(res.status, path).toBe(200);
      expect(await res.text()).toBe(INDEX);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(res.headers.get('content-security-policy')).toBe(DASHBOARD_CSP);
      expect(res.headers.get('cache-control')).toBe('no-cache');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
    }
  });

  it('the CSP allows no inline script, no other origin, no framing', () => {
    const directives = new Map(
      DASHBOARD_CSP.split(';').map((d) => {
        const [name = '', ...values] = d.trim().split(/\s+/);
        return [name, values] as const;
      }),
    );
    expect(directives.get('default-src')).toEqual(["'none'"]);
    expect(directives.get('script-src')).toEqual(["'self'"]);
    expect(directives.get('connect-src')).toEqual(["'self'"]);
    expect(directives.get('frame-ancestors')).toEqual(["'none'"]);
    expect(DASHBOARD_CSP).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
  });

  it('serves each file at its path; hashed assets are immutable, others revalidated', async () => {
    const js = await get(fx, '/assets/index-abc.js');
    expect(js.status).toBe(200);
    expect(await js.text()).toBe('console.log("dashboard")');
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const css = await get(fx, '/assets/index-def.css');
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    const icon = await get(fx, '/favicon.svg');
    expect(icon.status).toBe(200);
    expect(icon.headers.get('content-type')).toBe('image/svg+xml');
    expect(icon.headers.get('cache-control')).toBe('no-cache');
    expect((await get(fx, '/index.html')).status).toBe(200);
    expect((await get(fx, '/assets/index-abc.js', 'HEAD')).status).toBe(200);
  });

  it('answers a missing file or a path outside the app with a JSON 404, never index.html', async () => {
    for (const path of [
      '/assets/missing.js',
      '/assets/..%2fsecret',
      '/nothing',
      '/modelsx',
      '/favicon.ico',
      '/assets/',
    ]) {
      await expectError(await get(fx, path), 404, 'not_found', 'not_found_error');
    }
  });

  it('leaves API and protocol paths untouched, even when the build holds a file of that name', async () => {
    const health = await get(fx, '/health');
    expect(await health.json()).toEqual({ status: 'ok' });
    const models = await fx.call('/v1/models');
    expect(models.headers.get('content-type')).toMatch(/application\/json/);
    expect(((await models.json()) as { object: string }).object).toBe('list');
    await expectError(await get(fx, '/v1/models'), 401, undefined, 'authentication_error');
    await expectError(await get(fx, '/v1/nothing'), 401, undefined, 'authentication_error');
  });

  it('is read-only: other methods on its paths are 405 with Allow', async () => {
    for (const path of ['/', '/chat', '/keys/x']) {
      const res = await get(fx, path, 'POST');
      await expectError(res, 405, 'method_not_allowed', 'invalid_request_error');
      expect(res.headers.get('allow')).toBe('GET, HEAD');
    }
  });

  it('without a build, answers 503 on its paths and leaves the rest alone', async () => {
    for (const path of ['/', '/models']) {
      await expectError(await get(unbuilt, path), 503, 'dashboard_not_built', 'service_unavailable');
    }
    expect((await get(unbuilt, '/health')).status).toBe(200);
  });
});

describe('the measured manifest', () => {
  it('names each dashboard file under / and each verifier file under /verify/, with its SHA-256', () => {
    const verifier: StaticFiles = new Map([['index.html', file('verifier')]]);
    const manifest = servedManifest(files, verifier);
    expect(manifest['/index.html']).toBe(files.get('index.html')?.sha256);
    expect(manifest['/assets/index-abc.js']).toBe(files.get('assets/index-abc.js')?.sha256);
    expect(manifest['/verify/index.html']).toBe(verifier.get('index.html')?.sha256);
    expect(Object.keys(manifest)).toHaveLength(files.size + verifier.size);
  });

  it('staticRelativePath refuses any path that could leave the directory', () => {
    expect(staticRelativePath('assets/x.js')).toBe('assets/x.js');
    for (const bad of ['../x', 'assets/..%2fx', 'a%5cb', 'a%00b', '.env', 'assets//x', '%E0%A4%A']) {
      expect(staticRelativePath(bad), bad).toBeUndefined();
    }
  });
});
