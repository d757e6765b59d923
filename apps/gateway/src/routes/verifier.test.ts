/**
 * `/verify/*` serves a built verifier page from one directory and nothing outside it: through
 * `app.request()`, and over a real socket with raw request lines no client library would send
 * (`..` segments, encoded slashes and backslashes, a NUL, a symlink out, a dot-file). A missing
 * build is a 503 and a missing file a 404, both in OpenAI's error shape.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFixture, expectError, type Fixture } from '../test-fixture.js';
import { resolveVerifierPath } from './verifier.js';

const SECRET = 'SECRET-OUTSIDE-THE-VERIFIER-DIR';
const INDEX = '<!doctype html><title>verifier</title><script type="module" src="./assets/index-abc123.js"></script>';
const SCRIPT = 'console.log("verifier");';
const STYLE = 'body { color: black; }';

let work: string;
let dist: string;
let fx: Fixture;
let missing: Fixture;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'sr-verifier-route-'));
  dist = join(work, 'dist');
  mkdirSync(join(dist, 'assets'), { recursive: true });
  writeFileSync(join(dist, 'index.html'), INDEX);
  writeFileSync(join(dist, 'assets', 'index-abc123.js'), SCRIPT);
  writeFileSync(join(dist, 'assets', 'index-def456.css'), STYLE);
  writeFileSync(join(dist, '.env'), SECRET);
  writeFileSync(join(work, 'secret.txt'), SECRET);
  writeFileSync(join(work, 'dist-evil.txt'), SECRET); // a sibling whose name starts with the root's
  symlinkSync(join(work, 'secret.txt'), join(dist, 'assets', 'link.txt'));
  fx = await createFixture({ verifierDir: dist });
  missing = await createFixture({ verifierDir: join(work, 'not-built') });
});
afterAll(async () => {
  await fx?.dispose();
  await missing?.dispose();
  rmSync(work, { recursive: true, force: true });
});

const get = (f: Fixture, path: string, method = 'GET'): Promise<Response> => f.call(path, { key: null, method });

describe('GET /verify/*', () => {
  it('redirects /verify to /verify/, keeping the query', async () => {
    const res = await get(fx, '/verify?gateway=https%3A%2F%2Fgw.example');
    expect(res.status).toBe(308);
    expect(res.headers.get('location')).toBe('/verify/?gateway=https%3A%2F%2Fgw.example');
    expect((await get(fx, '/verify')).headers.get('location')).toBe('/verify/');
  });

  it('serves index.html at /verify/ and /verify/index.html, uncached, not frameable', async () => {
    for (const path of ['/verify/', '/verify/?gateway=http://x', '/verify/index.html']) {
      const res = await get(fx, path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(res.headers.get('cache-control')).toBe('no-cache');
      expect(res.headers.get('content-security-policy')).toBe("frame-ancestors 'none'");
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(await res.text()).toBe(INDEX);
    }
  });

  it('serves hashed assets with their content types, cached as immutable', async () => {
    const js = await get(fx, '/verify/assets/index-abc123.js');
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(await js.text()).toBe(SCRIPT);
    const css = await get(fx, '/verify/assets/index-def456.css');
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(await css.text()).toBe(STYLE);
  });

  it('answers HEAD without a body', async () => {
    const res = await get(fx, '/verify/assets/index-abc123.js', 'HEAD');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await res.text()).toBe('');
  });

  it('404s unknown files and directories in OpenAI error shape', async () => {
    for (const path of ['/verify/nope.js', '/verify/assets/', '/verify/assets', '/verify/assets/nope.css']) {
      const json = await expectError(await get(fx, path), 404, 'not_found', 'not_found_error');
      expect(json.error.message, path).toContain('/verify/');
    }
  });

  it('404s every path that tries to leave the directory, and never returns what lies outside', async () => {
    const paths = [
      '/verify/../secret.txt', // normalised away by the URL parser: not a /verify path at all
      '/verify/..%2fsecret.txt',
      '/verify/..%2Fsecret.txt',
      '/verify/%2e%2e%2fsecret.txt',
      '/verify/assets/..%2f..%2fsecret.txt',
      '/verify/..%5csecret.txt',
      '/verify/%2e%2e/secret.txt',
      '/verify/..%2f..%2fdist-evil.txt',
      '/verify/assets/link.txt', // a symlink out of the directory
      '/verify/.env',
      '/verify/%2eenv',
      '/verify/index.html%00.js',
      '/verify/%E0%A4%A', // malformed percent-encoding
      '/verify//etc/passwd',
    ];
    for (const path of paths) {
      const res = await get(fx, path);
      const text = await res.text();
      expect(res.status, path).toBe(404);
      expect(text, path).not.toContain(SECRET);
      expect(JSON.parse(text), path).toMatchObject({ error: { type: 'not_found_error', code: 'not_found' } });
    }
  });

  it('answers other methods with 405', async () => {
    const res = await fx.call('/verify/', { key: null, method: 'POST', body: {} });
    await expectError(res, 405, 'method_not_allowed', 'invalid_request_error');
    expect(res.headers.get('allow')).toBe('GET, HEAD');
  });

  it('answers 503 with a clear message when the page is not built', async () => {
    for (const path of ['/verify/', '/verify/assets/index-abc123.js']) {
      const json = await expectError(await get(missing, path), 503, 'verifier_not_built', 'service_unavailable');
      expect(json.error.message).toContain('pnpm --filter @saferouter/verifier build');
      expect(json.error.message).toContain('SAFEROUTER_VERIFIER_DIR');
      expect(json.error.message).not.toContain(work); // no server path in a public answer
    }
  });
});

describe('/verify over a real socket, raw request lines', () => {
  let server: Server;
  let port: number;

  beforeAll(async () => {
    server = await new Promise<Server>((done) => {
      const s = serve({ fetch: fx.app.fetch, port: 0, hostname: '127.0.0.1' }, () => done(s as Server));
    });
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise<void>((done) => server.close(() => done()));
  });

  /** Sends one request line exactly as written and returns the status and the whole response. */
  function raw(target: string): Promise<{ status: number; text: string }> {
    return new Promise((done, fail) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.write(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
      });
      let text = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => (text += chunk));
      socket.on('error', fail);
      socket.on('end', () => done({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), text }));
    });
  }

  it('serves the page and an asset', async () => {
    const page = await raw('/verify/');
    expect(page.status).toBe(200);
    expect(page.text).toContain(INDEX);
    const asset = await raw('/verify/assets/index-abc123.js');
    expect(asset.status).toBe(200);
    expect(asset.text).toContain(SCRIPT);
  });

  it('never serves a file outside the directory', async () => {
    for (const target of [
      '/verify/../secret.txt',
      '/verify/../../../../etc/passwd',
      '/verify/assets/../../secret.txt',
      '/verify/..%2fsecret.txt',
      '/verify/..\\secret.txt',
      '/verify/%2e%2e/%2e%2e/secret.txt',
      '/verify/assets/link.txt',
    ]) {
      const { status, text } = await raw(target);
      // Node's own parser already refuses some targets (a backslash) with a 400.
      expect([400, 404], target).toContain(status);
      expect(text, target).not.toContain(SECRET);
      expect(text, target).not.toContain('root:x:0:0');
    }
  });
});

describe('resolveVerifierPath', () => {
  it('maps the empty path to index.html and plain paths inside the root', () => {
    expect(resolveVerifierPath('/srv/v', '')).toBe('/srv/v/index.html');
    expect(resolveVerifierPath('/srv/v', 'assets/a-1.js')).toBe('/srv/v/assets/a-1.js');
    expect(resolveVerifierPath('/srv/v', 'assets/a%20b.js')).toBe('/srv/v/assets/a b.js');
  });

  it('refuses anything that could leave the root', () => {
    for (const rest of [
      '..',
      '../x',
      'a/../../x',
      '..%2fx',
      '%2e%2e',
      'a%2f..%2f..%2fx',
      '..%5cx',
      'a\\..\\x',
      '.env',
    ]) {
      expect(resolveVerifierPath('/srv/v', rest), rest).toBeUndefined();
    }
    for (const rest of ['a//b', 'assets/', '%00', 'x%00.js', '%E0%A4%A']) {
      expect(resolveVerifierPath('/srv/v', rest), rest).toBeUndefined();
    }
  });
});
