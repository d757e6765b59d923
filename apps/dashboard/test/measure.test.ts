/**
 * The served dashboard is part of what is attested:
 * - the build is byte-for-byte reproducible: two builds in different directories give the same
 *   files with the same bytes;
 * - a gateway serving a build reports the measurement that `measureGateway` computes over the
 *   same binary, catalog and served files (measure-cli.ts, `pnpm measure`, is that call over
 *   `loadServedFiles`; attestation.e2e checks the CLI against a spawned bundle), and it serves
 *   exactly the bytes measured;
 * - changing one byte of one dashboard file changes the measurement.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadServedFiles, loadStaticFiles } from '../../gateway/src/static-files.js';
import { measureGateway } from '../../gateway/src/measure.js';
import { startTestGateway, testGatewayConfig, type TestGateway } from '../../gateway/test/helpers.js';
import { buildDashboard } from './fixtures.js';

const hashes = (dir: string): Record<string, string> =>
  Object.fromEntries([...loadStaticFiles(dir)].map(([path, file]) => [path, file.sha256]));

describe('the dashboard build and the measurement', { timeout: 120_000 }, () => {
  let work: string;
  let first: string;
  let gw: TestGateway | undefined;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'sr-dash-measure-'));
    first = join(work, 'one', 'dist');
    await buildDashboard(first);
  });
  afterAll(async () => {
    await gw?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('is byte-for-byte reproducible', async () => {
    const second = join(work, 'another', 'place', 'dist');
    await buildDashboard(second);
    const a = hashes(first);
    expect(Object.keys(a)).toContain('index.html');
    expect(Object.keys(a).some((p) => /^assets\/index-[\w-]+\.js$/.test(p))).toBe(true);
    expect(hashes(second)).toEqual(a);
    // Nothing machine-specific leaks into the bytes.
    const index = readFileSync(join(first, 'index.html'), 'utf8');
    expect(index).not.toContain(work);
    expect(index).toContain('Content-Security-Policy');
  });

  it('the gateway reports the measurement of the files it serves, and serves the bytes measured', async () => {
    gw = await startTestGateway('http://127.0.0.1:9', { dashboardDir: first });
    const config = testGatewayConfig('http://127.0.0.1:9', gw.dataDir);
    const served = loadServedFiles({ dashboardDir: first, verifierDir: gw.verifierDir });
    expect(Object.keys(served.manifest)).toContain('/index.html');
    const expected = await measureGateway(config.measuredBinary ?? '', config.catalog, served.manifest);
    expect(gw.measurement.hex).toBe(expected.hex);
    expect(gw.measurement.staticFiles).toBe(Object.keys(served.manifest).length);
    const reported = (await (await fetch(`${gw.url}/attestation/verifying-key`)).json()) as { measurement: string };
    expect(reported.measurement).toBe(expected.hex);
    for (const [path, sha256] of Object.entries(served.manifest)) {
      if (!path.startsWith('/verify/') && path !== '/index.html' && !path.startsWith('/assets/')) continue;
      const res = await fetch(gw.url + path);
      expect(res.status, path).toBe(200);
      const digest = Buffer.from(await crypto.subtle.digest('SHA-256', await res.arrayBuffer())).toString('hex');
      expect(digest, path).toBe(sha256);
    }
  });

  it('changes when one byte of one dashboard file changes', async () => {
    const copy = join(work, 'copy');
    cpSync(first, copy, { recursive: true });
    const binary = fileURLToPath(new URL('../../gateway/src/server.ts', import.meta.url));
    const catalog = testGatewayConfig('http://127.0.0.1:9', work).catalog;
    const measure = async () =>
      (await measureGateway(binary, catalog, loadServedFiles({ dashboardDir: copy }).manifest)).hex;
    const before = await measure();
    expect(await measure()).toBe(before);
    const favicon = join(copy, 'favicon.svg');
    const original = readFileSync(favicon);
    const changed = Buffer.from(original);
    changed.writeUInt8(changed.readUInt8(changed.length - 2) ^ 1, changed.length - 2);
    writeFileSync(favicon, changed);
    const after = await measure();
    expect(after).not.toBe(before);
    writeFileSync(favicon, original);
    expect(await measure()).toBe(before);
  });
});
