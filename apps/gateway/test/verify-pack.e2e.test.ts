/**
 * `@saferouter/verify` as a user gets it from npm: built, packed with `pnpm pack` (which rewrites
 * `workspace:` ranges and applies `publishConfig`) with the workspace packages it needs,
 * installed with npm into an empty directory outside the repository, then
 * `npx saferouter-verify <url> --allow-mock` run against a live gateway, and the installed main
 * entry bundled for browsers (esbuild, platform=browser: no Node built-ins, no polyfills).
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '@saferouter/fake-upstream';
import { startTestGateway, type TestGateway } from './helpers.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const PACKAGES = ['tlog', 'attest', 'audit', 'ehbp', 'verify'];

function run(cmd: string, args: string[], cwd: string): Promise<{ code: number; out: string; stdout: string }> {
  return new Promise((resolve) => {
    execFile(
      cmd,
      args,
      { cwd, encoding: 'utf8', timeout: 240_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) =>
        resolve({
          code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1,
          out: `${stdout}${stderr}`,
          stdout,
        }),
    );
  });
}

let upstream: FakeUpstream;
let gateway: TestGateway;
const work = mkdtempSync(join(tmpdir(), 'sr-verify-pack-'));
const tarballs = join(work, 'tarballs');
const app = join(work, 'app');

beforeAll(async () => {
  upstream = await startFakeUpstream();
  gateway = await startTestGateway(upstream.url);
}, 60_000);

afterAll(async () => {
  await gateway?.close();
  await upstream?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('@saferouter/verify, packed and installed with npm outside the repo', () => {
  it('packs, installs, and `npx saferouter-verify <url> --allow-mock` verifies a live gateway', async () => {
    for (const p of PACKAGES) {
      const built = await run('pnpm', ['--filter', `@saferouter/${p}`, 'run', 'build'], ROOT);
      expect(built.code, built.out).toBe(0);
      const packed = await run('pnpm', ['pack', '--pack-destination', tarballs], join(ROOT, 'packages', p));
      expect(packed.code, packed.out).toBe(0);
    }
    const files = readdirSync(tarballs).filter((f) => f.endsWith('.tgz'));
    expect(files).toHaveLength(PACKAGES.length);

    rmSync(app, { recursive: true, force: true });
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), '{"name":"verify-consumer","private":true}');
    const installed = await run(
      'npm',
      ['install', '--no-audit', '--no-fund', ...files.map((f) => join(tarballs, f))],
      app,
    );
    expect(installed.code, installed.out).toBe(0);

    const state = join(work, 'state.json');
    const demo = await run('npx', ['--no-install', 'saferouter-verify', gateway.url, '--state', state], app);
    expect(demo.code, demo.out).toBe(3);
    const ok = await run(
      'npx',
      ['--no-install', 'saferouter-verify', gateway.url, '--allow-mock', '--state', state],
      app,
    );
    expect(ok.code, ok.out).toBe(0);
    expect(ok.out).toMatch(/^✓ Startup in the transparency log/m);
    expect(ok.out).toMatch(/^DEMO: /m);
    const asJson = await run(
      'npx',
      ['--no-install', 'saferouter-verify', gateway.url, '--allow-mock', '--json', '--state', state],
      app,
    );
    expect((JSON.parse(asJson.stdout) as { verdict: string }).verdict, asJson.out).toBe('demo');

    // The installed package's main entry, bundled for browsers with no Node polyfills.
    const bundled = await build({
      stdin: { contents: "export { verifyGateway } from '@saferouter/verify';", resolveDir: app, loader: 'js' },
      bundle: true,
      minify: true,
      format: 'esm',
      platform: 'browser',
      write: false,
      logLevel: 'silent',
    });
    const js = bundled.outputFiles[0]?.contents ?? new Uint8Array(0);
    expect(js.length).toBeGreaterThan(10_000);
    console.info(
      `[verify pack] browser bundle of the installed package: ${js.length} bytes minified, ${gzipSync(js).length} gzipped`,
    );
  }, 300_000);
});
