/**
 * The dashboard's first route, as a user meets it: `pnpm bench:dashboard`.
 *
 * Builds the dashboard and the gateway, and prints:
 * - the gzipped size of the JavaScript the first route loads (the entry script and its
 *   modulepreloads named in index.html; the other pages are separate chunks, loaded on first
 *   visit), and of its CSS;
 * - the time from navigation to an interactive Models page, on loopback, in Chromium: from
 *   `page.goto('/models')` with a stored key until the first model card is on screen (the cards
 *   render from `GET /v1/models`, after the key's record loads), a fresh browser context (empty
 *   cache) per run, 10 runs, median.
 * Chromium: $SAFEROUTER_CHROMIUM or /usr/bin/chromium (required).
 */
import { readFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { installCleanup, runToEnd, stopAll } from './children.js';
import { startGateway } from './gateway.js';
import { median } from './report.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DIST = join(ROOT, 'apps', 'dashboard', 'dist');
const RUNS = 10;
const CHROMIUM = process.env['SAFEROUTER_CHROMIUM'] ?? '/usr/bin/chromium';
const log = (msg: string): void => void process.stderr.write(`bench:dashboard: ${msg}\n`);

/** The files index.html makes the browser load at once: scripts, modulepreloads, stylesheets. */
async function firstRouteSizes(): Promise<{
  js: number;
  jsGzip: number;
  css: number;
  cssGzip: number;
  files: string[];
}> {
  const html = await readFile(join(DIST, 'index.html'), 'utf8');
  const refs = [...html.matchAll(/<(?:script|link)\b[^>]*?(?:src|href)="\/([^"]+\.(?:js|css))"/g)].map(
    (m) => m[1] ?? '',
  );
  const out = { js: 0, jsGzip: 0, css: 0, cssGzip: 0, files: refs };
  for (const ref of refs) {
    const bytes = await readFile(join(DIST, ref));
    const gz = gzipSync(bytes, { level: 9 }).length;
    if (ref.endsWith('.js')) {
      out.js += bytes.length;
      out.jsGzip += gz;
    } else {
      out.css += bytes.length;
      out.cssGzip += gz;
    }
  }
  return out;
}

async function main(): Promise<number> {
  installCleanup();
  log('building the dashboard…');
  const built = await runToEnd('dashboard build', 'pnpm', ['--filter', '@saferouter/dashboard', 'run', 'build'], {
    cwd: ROOT,
    env: process.env,
  });
  if (built.code !== 0) throw new Error(`dashboard build failed\n${built.output}`);
  const sizes = await firstRouteSizes();
  const work = await mkdtemp(join(tmpdir(), 'saferouter-bench-dashboard-'));
  try {
    const gw = await startGateway({
      root: ROOT,
      upstreamUrl: 'http://127.0.0.1:9',
      workDir: work,
      build: true,
      entry: 'apps/gateway/dist/server.mjs',
    });
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    const times: number[] = [];
    try {
      for (let i = 0; i < RUNS; i++) {
        const context = await browser.newContext({
          storageState: {
            cookies: [],
            origins: [
              { origin: gw.url, localStorage: [{ name: 'saferouter.key', value: JSON.stringify(gw.userKey) }] },
            ],
          },
        });
        const tab = await context.newPage();
        const started = performance.now();
        await tab.goto(`${gw.url}/models`);
        await tab.waitForSelector('[data-testid="model-card"]', { timeout: 30_000 });
        times.push(performance.now() - started);
        await context.close();
      }
    } finally {
      await browser.close();
    }
    const kb = (n: number): string => `${(n / 1024).toFixed(1)} KiB`;
    process.stdout.write(
      `\ndashboard first route (${sizes.files.join(', ')}):\n` +
        `  JS ${kb(sizes.js)}, gzipped ${kb(sizes.jsGzip)}; CSS ${kb(sizes.css)}, gzipped ${kb(sizes.cssGzip)}\n` +
        `  navigation → interactive Models page (loopback, cold context, ${RUNS} runs): median ${Math.round(median(times))} ms (min ${Math.round(Math.min(...times))}, max ${Math.round(Math.max(...times))})\n`,
    );
    await mkdir(join(ROOT, 'bench', 'results'), { recursive: true });
    await writeFile(
      join(ROOT, 'bench', 'results', 'dashboard.json'),
      `${JSON.stringify({ finishedAt: new Date().toISOString(), runs: RUNS, ...sizes, modelsInteractiveMs: times, medianMs: median(times) }, null, 2)}\n`,
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
