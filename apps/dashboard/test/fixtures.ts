/**
 * Test-only: the dashboard built fresh from source with Vite's API (into a temp dir, so tests
 * judge the current source, not a stale dist), a real gateway serving that build at `/` (in
 * process, SQLite, the MOCK attestation backend, the fake upstream behind the `up` models and the
 * built-in demo models paced like a real stream), and Debian's Chromium through playwright-core.
 *
 * `openPage` collects every console error and uncaught page error: each suite ends by asserting
 * there were none. `shoot` writes a page's screenshot in the light and the dark theme to
 * apps/dashboard/screenshots/ (git-ignored; a few are copied into docs/).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { build } from 'vite';
import { startFakeUpstream, type FakeUpstream } from '@saferouter/fake-upstream';
import { ADMIN_KEY, startTestGateway, type TestGateway } from '../../gateway/test/helpers.js';
import type { GatewayConfig } from '../../gateway/src/config.js';

export { ADMIN_KEY };
export const APP_DIR = fileURLToPath(new URL('..', import.meta.url));
export const CHROMIUM = process.env.SAFEROUTER_CHROMIUM ?? '/usr/bin/chromium';
export const HAVE_CHROMIUM = existsSync(CHROMIUM);
export const IN_CI = Boolean(process.env.CI);
export const SCREENSHOT_DIR = join(APP_DIR, 'screenshots');
/** Browser suites run where Chromium is, and must run under CI. */
export const SKIP_BROWSER = !HAVE_CHROMIUM && !IN_CI;

if (SKIP_BROWSER) {
  console.warn(
    `[dashboard e2e] SKIPPED: no Chromium at ${CHROMIUM} (set SAFEROUTER_CHROMIUM); these suites fail instead when CI is set`,
  );
}

/** Builds the dashboard with its own vite.config.ts into `outDir`. */
export async function buildDashboard(outDir: string): Promise<void> {
  await build({
    root: APP_DIR,
    configFile: join(APP_DIR, 'vite.config.ts'),
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true },
  });
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
}

export interface DashboardEnv {
  gw: TestGateway;
  upstream: FakeUpstream;
  browser: Browser;
  /** The built dashboard the gateway serves. */
  dist: string;
  /** Every page `openPage` opened on this env: a suite's afterAll checks them all. */
  pages: OpenedPage[];
  close(): Promise<void>;
}

/** Builds the dashboard, starts the fake upstream, a gateway serving the build, and Chromium. */
/** `overrides` may depend on the fake upstream's URL (a catalog pointing at it, say). */
export async function startDashboardEnv(
  overrides: Partial<GatewayConfig> | ((upstreamUrl: string) => Partial<GatewayConfig>) = {},
): Promise<DashboardEnv> {
  const work = mkdtempSync(join(tmpdir(), 'sr-dash-'));
  const dist = join(work, 'dist');
  await buildDashboard(dist);
  const upstream = await startFakeUpstream();
  const extra = typeof overrides === 'function' ? overrides(upstream.url) : overrides;
  const gw = await startTestGateway(upstream.url, { dashboardDir: dist, demoChunkDelayMs: 40, ...extra });
  const browser = await launchChromium();
  return {
    gw,
    upstream,
    browser,
    dist,
    pages: [],
    async close() {
      await browser.close();
      await gw.close();
      await upstream.close();
      rmSync(work, { recursive: true, force: true });
    },
  };
}

export interface OpenedPage {
  page: Page;
  context: BrowserContext;
  /** Console errors and uncaught exceptions seen so far: a suite ends asserting there are none. */
  errors: string[];
  /**
   * HTTP error answers Chromium logged to the console ("Failed to load resource: ... status of
   * 401"). Kept apart: a test that provokes one on purpose (a bad key, a 402) asserts on it;
   * any other suite asserts it is empty too.
   */
  httpErrors: number[];
}

/** A fresh browser context (empty localStorage) on the gateway's origin, kept in `env.pages`. */
export async function openPage(
  env: DashboardEnv,
  options: { path?: string; width?: number; height?: number } = {},
): Promise<OpenedPage> {
  const context = await env.browser.newContext({
    viewport: { width: options.width ?? 1280, height: options.height ?? 860 },
    colorScheme: 'light',
  });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: env.gw.url });
  const page = await context.newPage();
  const errors: string[] = [];
  const httpErrors: number[] = [];
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const http = /^Failed to load resource: the server responded with a status of (\d{3})\b/.exec(msg.text());
    if (http !== null) httpErrors.push(Number(http[1]));
    else errors.push(`console: ${msg.text()}`);
  });
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  const opened = { page, context, errors, httpErrors };
  env.pages.push(opened);
  await page.goto(env.gw.url + (options.path ?? '/'));
  return opened;
}

/** Signs in through the form and waits for the navigation to appear. */
export async function signIn(page: Page, key: string): Promise<void> {
  await page.getByTestId('key-input').fill(key);
  await page.getByTestId('key-input').press('Enter');
  await page.getByTestId('nav-models').waitFor();
}

/** Creates a key with `credit_usd` through the API; answers its secret. */
export async function createKey(env: DashboardEnv, name: string, creditUsd = '5'): Promise<string> {
  const res = await fetch(`${env.gw.url}/v1/keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name, credit_usd: creditUsd }),
  });
  if (res.status !== 201) throw new Error(`key creation failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { key: string }).key;
}

/**
 * Writes `<name>-light.png` and `<name>-dark.png` of the page as it is now (the theme switched
 * through the page's own toggle state, then restored).
 */
export async function shoot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const original = await page.evaluate(() => document.documentElement.dataset['theme'] ?? 'light');
  for (const theme of ['light', 'dark'] as const) {
    await page.evaluate((t) => {
      document.documentElement.dataset['theme'] = t;
    }, theme);
    await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}-${theme}.png`), fullPage: true });
  }
  await page.evaluate((t) => {
    document.documentElement.dataset['theme'] = t;
  }, original);
}
