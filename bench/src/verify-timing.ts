/**
 * How long verifying a gateway takes, end to end, as a user sees it: `pnpm bench:verify`.
 *
 * Builds @saferouter/verify and the workspace packages it needs, packs them (`pnpm pack`) and
 * installs the tarballs with npm into an empty directory, as a user gets the package; builds the
 * verifier page and the gateway, starts the gateway on loopback, then times 10 runs of
 * `npx --no-install saferouter-verify <url> --allow-mock` in that directory (process start to
 * exit) and 10 loads of the page the gateway serves at
 * `/verify/?gateway=<url>` in Chromium (navigation start until the verdict is on screen), and
 * prints the medians. Every run must reach the demo verdict, or the figures are void (exit 1).
 * Chromium: $SAFEROUTER_CHROMIUM or /usr/bin/chromium; without it the page runs are skipped.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { installCleanup, runToEnd, stopAll } from './children.js';
import { startGateway } from './gateway.js';
import { median } from './report.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RUNS = 10;
const CHROMIUM = process.env['SAFEROUTER_CHROMIUM'] ?? '/usr/bin/chromium';
const log = (msg: string): void => void process.stderr.write(`bench:verify: ${msg}\n`);

function timeCli(app: string, url: string, state: string): Promise<{ ms: number; code: number | null; out: string }> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn('npx', ['--no-install', 'saferouter-verify', url, '--allow-mock', '--state', state], {
      cwd: app,
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', (code) => resolve({ ms: performance.now() - started, code, out }));
  });
}

/** Packs @saferouter/verify and its workspace dependencies and installs them with npm: the app dir. */
async function installPacked(work: string): Promise<string> {
  const tarballs = join(work, 'tarballs');
  const files: string[] = [];
  for (const p of ['tlog', 'attest', 'audit', 'ehbp', 'verify']) {
    const { code, output } = await runToEnd(`pack ${p}`, 'pnpm', ['pack', '--pack-destination', tarballs], {
      cwd: join(ROOT, 'packages', p),
      env: process.env,
    });
    if (code !== 0) throw new Error(`pnpm pack of ${p} failed\n${output}`);
    files.push(join(tarballs, `saferouter-${p}-0.1.0.tgz`));
  }
  const app = join(work, 'app');
  await mkdir(app, { recursive: true });
  await writeFile(join(app, 'package.json'), '{"name":"verify-consumer","private":true}');
  log('installing the packed @saferouter/verify with npm…');
  const { code, output } = await runToEnd('npm install', 'npm', ['install', '--no-audit', '--no-fund', ...files], {
    cwd: app,
    env: process.env,
  });
  if (code !== 0) throw new Error(`npm install failed\n${output}`);
  return app;
}

async function main(): Promise<number> {
  installCleanup();
  for (const [what, args] of [
    ['@saferouter/verify', ['--filter', '@saferouter/verify...', 'run', 'build']],
    ['the verifier page', ['--filter', '@saferouter/verifier', 'run', 'build']],
  ] as const) {
    log(`building ${what}…`);
    const { code, output } = await runToEnd(what, 'pnpm', [...args], { cwd: ROOT, env: process.env });
    if (code !== 0) throw new Error(`building ${what} failed\n${output}`);
  }
  const work = await mkdtemp(join(tmpdir(), 'saferouter-bench-verify-'));
  try {
    const gw = await startGateway({
      root: ROOT,
      upstreamUrl: 'http://127.0.0.1:9',
      workDir: work,
      build: true,
      entry: 'apps/gateway/dist/server.mjs',
    });
    const app = await installPacked(work);
    const state = join(work, 'state.json');
    const cli: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const r = await timeCli(app, gw.url, state);
      if (r.code !== 0 || !/^DEMO: /m.test(r.out))
        throw new Error(`CLI run ${i + 1} did not reach the demo verdict (exit ${String(r.code)}):\n${r.out}`);
      cli.push(r.ms);
    }
    const page: number[] = [];
    if (existsSync(CHROMIUM)) {
      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--headless', '--no-sandbox', '--disable-gpu'],
      });
      try {
        const context = await browser.newContext();
        for (let i = 0; i < RUNS; i++) {
          const tab = await context.newPage();
          const started = performance.now();
          await tab.goto(`${gw.url}/verify/?gateway=${encodeURIComponent(gw.url)}`);
          const verdict = await tab.waitForSelector('[data-verdict]', { timeout: 30_000 });
          page.push(performance.now() - started);
          const value = await verdict.getAttribute('data-verdict');
          if (value !== 'demo') throw new Error(`page load ${i + 1} ended with data-verdict=${String(value)}`);
          await tab.close();
        }
      } finally {
        await browser.close();
      }
    } else log(`no Chromium at ${CHROMIUM}: page loads skipped`);

    const fmt = (xs: number[]): string =>
      xs.length === 0
        ? 'skipped'
        : `median ${Math.round(median(xs))} ms (min ${Math.round(Math.min(...xs))}, max ${Math.round(Math.max(...xs))})`;
    process.stdout.write(
      `\nverify a local mock gateway, ${RUNS} runs each, end to end:\n  CLI (npx saferouter-verify --allow-mock, installed from the packed tarballs): ${fmt(cli)}\n  page (/verify/ in Chromium, load → verdict): ${fmt(page)}\n`,
    );
    await mkdir(join(ROOT, 'bench', 'results'), { recursive: true });
    await writeFile(
      join(ROOT, 'bench', 'results', 'verify.json'),
      `${JSON.stringify({ finishedAt: new Date().toISOString(), runs: RUNS, cliMs: cli, pageMs: page, cliMedianMs: median(cli), pageMedianMs: page.length === 0 ? null : median(page) }, null, 2)}\n`,
    );
    return 0;
  } finally {
    await stopAll();
    await rm(work, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  async (e: unknown) => {
    log(`FAILED: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    await stopAll();
    process.exit(1);
  },
);
