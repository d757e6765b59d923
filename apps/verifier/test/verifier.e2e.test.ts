/**
 * The verifier page end to end, in real Chromium: the page built from source with Vite and
 * hosted under a subpath on its own origin (as GitHub Pages hosts it), a real gateway (in process,
 * SQLite, the MOCK attestation backend), and the page's test hooks read from the DOM:
 * - `?gateway=` runs at once: verdict `demo`, the DEMO banner pinned on screen, every check row
 *   with the status a mock gateway earns, and the texts of @saferouter/verify's CHECK_TEXT;
 * - a receipt from a real chat request, pasted in, passes; the same receipt altered fails;
 * - a wrong expected measurement fails `measurement` and the verdict;
 * - a gateway that is down fails `quote` with a clear detail, quickly;
 * - a URL that is not http(s) is shown as an error, not a crash;
 * - the gateway's own copy at /verify defaults to its origin and warns that it verifies its host.
 *
 * Chromium: $SAFEROUTER_CHROMIUM or /usr/bin/chromium. Missing → this suite fails under CI and is
 * skipped (with a message) elsewhere.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHECK_TEXT, type CheckId } from '@saferouter/verify';
import { startTestGateway, type TestGateway } from '../../gateway/test/helpers.js';
import {
  buildPage,
  CHROMIUM,
  deadUrl,
  HAVE_CHROMIUM,
  IN_CI,
  launchChromium,
  serveStatic,
  type StaticSite,
} from './page-fixtures.js';

if (!HAVE_CHROMIUM && !IN_CI) {
  console.warn(
    `[verifier e2e] SKIPPED: no Chromium at ${CHROMIUM} (set SAFEROUTER_CHROMIUM); this suite fails instead when CI is set`,
  );
}

/** What a healthy mock gateway earns, check by check (no receipt given). */
const MOCK_STATUSES: Record<string, string> = {
  quote: 'pass',
  hardware: 'warn',
  binding: 'pass',
  measurement: 'warn',
  'startup-log': 'pass',
  'log-consistency': 'pass',
  'audit-log': 'pass',
};

/** Any verdict this long in coming means the page hangs. */
const VERDICT_TIMEOUT_MS = 20_000;

describe.skipIf(!HAVE_CHROMIUM && !IN_CI)('the verifier page in Chromium', { timeout: 60_000 }, () => {
  let work: string;
  let dist: string;
  let site: StaticSite;
  let gw: TestGateway;
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];
  /** Uncaught page errors and CSP violations, over every page of the suite. */
  const pageProblems: string[] = [];

  beforeAll(async () => {
    if (!HAVE_CHROMIUM)
      throw new Error(
        `Chromium not found at ${CHROMIUM}: install it or set SAFEROUTER_CHROMIUM (CI is set, so this is a failure)`,
      );
    work = mkdtempSync(join(tmpdir(), 'sr-verifier-e2e-'));
    dist = join(work, 'dist');
    await buildPage(dist);
    site = await serveStatic(dist, '/saferouter/');
    // The demo model answers offline, so no upstream is needed; the gateway serves this build at /verify.
    gw = await startTestGateway('http://127.0.0.1:9', { verifierDir: dist });
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close();
    await gw?.close();
    await site?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** A fresh page in a fresh context: its own localStorage, so nothing is remembered from another test. */
  async function newPage(): Promise<Page> {
    const context = await browser!.newContext();
    contexts.push(context);
    const page = await context.newPage();
    page.on('pageerror', (err) => pageProblems.push(`pageerror: ${err.message}`));
    page.on('console', (msg) => {
      if (/Content Security Policy/i.test(msg.text())) pageProblems.push(`csp: ${msg.text()}`);
    });
    return page;
  }

  const pageFor = (gateway: string): string => `${site.url}?gateway=${encodeURIComponent(gateway)}`;

  async function verdictOf(page: Page): Promise<string> {
    const verdict = page.locator('[data-verdict]');
    await verdict.waitFor({ timeout: VERDICT_TIMEOUT_MS });
    return (await verdict.getAttribute('data-verdict')) ?? '';
  }

  /** `{ id: status }` of every check row on the page, in page order. */
  async function statuses(page: Page): Promise<Record<string, string>> {
    const rows = await page
      .locator('[data-check]')
      .evaluateAll((els) => els.map((e) => [e.getAttribute('data-check') ?? '', e.getAttribute('data-status') ?? '']));
    return Object.fromEntries(rows);
  }

  async function verifyAgain(page: Page): Promise<string> {
    await page.getByRole('button', { name: 'Verify' }).click();
    // The old result is cleared when a run starts; wait for the new one.
    return await verdictOf(page);
  }

  it('builds to relative URLs and a bundle with no Node built-in (nor Vite stand-in for one)', () => {
    const html = readFileSync(join(dist, 'index.html'), 'utf8');
    expect(html).toMatch(/src="\.\/assets\/index-[\w-]+\.js"/);
    expect(html).toContain('http-equiv="Content-Security-Policy"');
    const scripts = readdirSync(join(dist, 'assets')).filter((f) => f.endsWith('.js'));
    expect(scripts.length).toBeGreaterThan(0);
    for (const file of scripts) {
      const js = readFileSync(join(dist, 'assets', file), 'utf8');
      expect(js, file).not.toMatch(/["']node:[a-z]/);
      expect(js, file).not.toContain('__vite-browser-external');
      expect(js, file).not.toMatch(/\brequire\(/);
    }
  });

  it('verifies a mock gateway from ?gateway=: DEMO verdict, the banner on screen, every check row', async () => {
    const page = await newPage();
    await page.goto(pageFor(gw.url));
    expect(await verdictOf(page)).toBe('demo');
    expect(await statuses(page)).toEqual(MOCK_STATUSES);
    expect(Object.keys(await statuses(page))).toEqual(Object.keys(MOCK_STATUSES)); // in CHECK_IDS order

    const banner = page.locator('[data-demo-banner]');
    await expect.poll(() => banner.isVisible()).toBe(true);
    const bannerText = await banner.innerText();
    expect(bannerText).toContain('DEMO');
    expect(bannerText).toMatch(/not hardware/i);
    expect(bannerText).toMatch(/proves nothing about hardware/i);
    // It stays on screen: scrolled to the very bottom, it is still at the top of the viewport.
    await page.setViewportSize({ width: 800, height: 500 });
    await page.evaluate('window.scrollTo(0, document.body.scrollHeight)');
    expect(await page.evaluate('window.scrollY')).toBeGreaterThan(200);
    const box = await banner.boundingBox();
    expect(box?.y).toBe(0);
    expect(box?.height).toBeGreaterThan(40);

    // Each row shows its title, what it proves and does not, a detail and a timing.
    for (const id of Object.keys(MOCK_STATUSES) as CheckId[]) {
      const row = page.locator(`[data-check="${id}"]`);
      const text = await row.innerText();
      expect(text, id).toContain(CHECK_TEXT[id].title);
      expect(text, id).toContain(CHECK_TEXT[id].proves);
      expect(text, id).toContain(CHECK_TEXT[id].doesNotProve);
      expect((await row.locator('[data-detail]').innerText()).trim().length, id).toBeGreaterThan(0);
      expect(await row.locator('.timing').innerText(), id).toMatch(/^\d+(\.\d+)? (ms|s)$/);
    }
    expect(await page.locator('[data-check="hardware"]').innerText()).toMatch(/mock/i);
    // Sub-results are listed (collapsed when all passed).
    expect(await page.locator('[data-check="startup-log"] [data-sub]').count()).toBeGreaterThan(0);
    expect(await page.locator('[data-total-ms]').innerText()).toMatch(/\d/);
    // Checkpoints were remembered in this origin's localStorage.
    const keys = (await page.evaluate('Object.keys(localStorage)')) as string[];
    expect(keys.some((k) => k.includes(gw.url) && k.endsWith(' startup'))).toBe(true);
    expect(keys.some((k) => k.includes(gw.url) && k.endsWith(' audit'))).toBe(true);
  });

  it('passes a receipt taken from a real chat response, and fails it once altered', async () => {
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${gw.userKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'saferouter/demo', messages: [{ role: 'user', content: 'hi from the e2e test' }] }),
    });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    const receipt = res.headers.get('x-saferouter-receipt');
    expect(receipt).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);

    const page = await newPage();
    await page.goto(pageFor(gw.url));
    expect(await verdictOf(page)).toBe('demo');
    // Pasted as a header line, the way it is copied out of curl -i.
    await page.getByLabel('Receipt').fill(`X-SafeRouter-Receipt: ${receipt!}\n`);
    expect(await verifyAgain(page)).toBe('demo');
    expect(await statuses(page)).toEqual({ ...MOCK_STATUSES, receipt: 'pass' });
    expect(await page.locator('[data-check="receipt"]').innerText()).toContain(CHECK_TEXT.receipt.title);

    // One character of the signature changed: the receipt check, and so the verdict, fail.
    const [header, payload, signature] = receipt!.split('.') as [string, string, string];
    const flipped = `${signature[0] === 'A' ? 'B' : 'A'}${signature.slice(1)}`;
    await page.getByLabel('Receipt').fill(`${header}.${payload}.${flipped}`);
    expect(await verifyAgain(page)).toBe('failed');
    expect((await statuses(page))['receipt']).toBe('fail');
    // Still a mock gateway: the banner stays whatever the verdict.
    await expect.poll(() => page.locator('[data-demo-banner]').isVisible()).toBe(true);
  });

  it('fails the measurement check and the verdict on a wrong expected measurement', async () => {
    const page = await newPage();
    await page.goto(`${pageFor(gw.url)}&measurement=${'00'.repeat(32)}`);
    expect(await verdictOf(page)).toBe('failed');
    const got = await statuses(page);
    expect(got['measurement']).toBe('fail');
    expect(got['quote']).toBe('pass');
    expect(await page.locator('[data-verdict]').innerText()).toContain(CHECK_TEXT.measurement.title);

    // The right value (the one the gateway measured at start) passes it.
    await page.getByLabel(/Expected measurement/).fill(gw.measurement.hex);
    expect(await verifyAgain(page)).toBe('demo');
    expect((await statuses(page))['measurement']).toBe('pass');
  });

  it('fails the quote check with a clear detail when the gateway is down, without hanging', async () => {
    const down = await deadUrl();
    const page = await newPage();
    const started = Date.now();
    await page.goto(pageFor(down));
    expect(await verdictOf(page)).toBe('failed');
    expect(Date.now() - started).toBeLessThan(VERDICT_TIMEOUT_MS);
    const got = await statuses(page);
    expect(got['quote']).toBe('fail');
    for (const id of ['hardware', 'binding', 'measurement', 'startup-log']) expect(got[id], id).toBe('skip');
    const detail = await page.locator('[data-check="quote"] [data-detail]').innerText();
    expect(detail).toContain(down);
    expect(detail).toMatch(/could not be reached|refused|failed to fetch/i);
    await expect.poll(() => page.locator('[data-demo-banner]').count()).toBe(0);
    await expect.poll(() => page.getByRole('button', { name: 'Verify' }).isEnabled()).toBe(true);
  });

  it('shows a URL that is not http(s) as an error message', async () => {
    const page = await newPage();
    await page.goto(site.url);
    expect(await page.getByLabel('Gateway URL').inputValue()).toBe(''); // not a gateway's /verify: no default
    await expect.poll(() => page.locator('[data-empty]').isVisible()).toBe(true);
    await page.getByLabel('Gateway URL').fill('ftp://gateway.example');
    await page.getByRole('button', { name: 'Verify' }).click();
    const error = page.locator('[data-error]');
    await error.waitFor({ timeout: VERDICT_TIMEOUT_MS });
    expect(await error.innerText()).toMatch(/http/);
    expect(await page.locator('[data-verdict]').count()).toBe(0);
  });

  it("is served by the gateway at /verify, defaulting to the gateway's own origin", async () => {
    const page = await newPage();
    const res = await page.goto(`${gw.url}/verify`);
    expect(res?.status()).toBe(200);
    expect(new URL(page.url()).pathname).toBe('/verify/');
    expect(await page.getByLabel('Gateway URL').inputValue()).toBe(gw.url);
    // No ?gateway=: nothing runs until asked.
    expect(await page.locator('[data-verdict]').count()).toBe(0);
    expect(await verifyAgain(page)).toBe('demo');
    expect(await statuses(page)).toEqual(MOCK_STATUSES);
    expect(await page.locator('[data-self-served]').isVisible()).toBe(true);
    expect(await page.locator('body').innerText()).toMatch(/independently hosted/i);
  });

  it('raised no page error and no CSP violation on any page', () => {
    expect(pageProblems).toEqual([]);
  });
});
