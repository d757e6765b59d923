/**
 * `/docs` in Debian's Chromium (playwright-core): the gateway serves the page and Scalar's bundle
 * itself, under the page's strict CSP, and the reference renders this gateway's document with
 * no console error (a CSP refusal is one), no uncaught exception and no request to any other
 * origin. Skipped only where there is no Chromium and CI is unset; under CI it must run.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scalarStandalonePath } from '../src/openapi-testing.js';
import { SCALAR_BUNDLE } from '../src/routes/docs.js';
import { loadStaticFiles } from '../src/static-files.js';
import { createFixture, type Fixture } from '../src/test-fixture.js';

const CHROMIUM = process.env.SAFEROUTER_CHROMIUM ?? '/usr/bin/chromium';
const SKIP = !existsSync(CHROMIUM) && !process.env.CI;
if (SKIP) console.warn(`[docs e2e] SKIPPED: no Chromium at ${CHROMIUM} (set SAFEROUTER_CHROMIUM)`);

describe.skipIf(SKIP)('/docs in Chromium', { timeout: 90_000 }, () => {
  let work: string;
  let f: Fixture;
  let server: Server;
  let url: string;
  let browser: Browser;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'sr-docs-e2e-'));
    mkdirSync(join(work, 'docs'));
    copyFileSync(scalarStandalonePath(), join(work, 'docs', SCALAR_BUNDLE));
    f = await createFixture({ docsFiles: loadStaticFiles(join(work, 'docs')) });
    server = await new Promise<Server>((resolve) => {
      const s = serve({ fetch: f.app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s as Server));
    });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((done) => {
      server.close(() => done());
      server.closeAllConnections();
    });
    await f.dispose();
    rmSync(work, { recursive: true, force: true });
  });

  it('renders the reference, and "try it" reaches this gateway, with no console error and no other origin', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const errors: string[] = [];
    const requests: string[] = [];
    // A CSP refusal is a console error; a warning that names the policy counts too.
    page.on('console', (msg) => {
      if (msg.type() === 'error' || msg.text().includes('Content Security Policy')) errors.push(msg.text());
    });
    page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
    page.on('request', (req) => requests.push(req.url()));
    await page.goto(`${url}/docs`);
    // The document's title, an operation, and a group opened from the sidebar.
    await page.getByRole('heading', { name: 'SafeRouter gateway' }).first().waitFor({ timeout: 30_000 });
    await page.getByText('Create a chat completion').first().waitFor();
    await page.getByRole('button', { name: 'Open Group - Keys' }).click();
    await page.getByText('Create a key').first().waitFor();
    // Let anything loaded late (fonts, chunks, telemetry) show itself.
    await page.waitForTimeout(1500);
    if (process.env.SAFEROUTER_DOCS_SCREENSHOT) await page.screenshot({ path: process.env.SAFEROUTER_DOCS_SCREENSHOT });
    // "Test Request" sends from the page to this gateway itself (no hosted proxy), with a key.
    await page
      .getByRole('button', { name: /Test Request.*\/v1\/chat\/completions/ })
      .first()
      .click();
    await page.getByPlaceholder('Token').first().fill(f.user.secret);
    const editor = page.locator('.cm-content').last();
    await editor.click();
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.press('Delete');
    await page.keyboard.insertText(
      JSON.stringify({ model: 'saferouter/demo', messages: [{ role: 'user', content: 'hi' }] }),
    );
    const send = page.getByRole('button', { name: /Send post request to \/v1\/chat\/completions/ });
    const [answer] = await Promise.all([
      page.waitForResponse((res) => res.url() === `${url}/v1/chat/completions`),
      send.last().click(),
    ]);
    expect(answer.status()).toBe(200);
    await page.getByText('chat.completion').first().waitFor();
    if (process.env.SAFEROUTER_DOCS_SCREENSHOT) {
      await page.screenshot({ path: process.env.SAFEROUTER_DOCS_SCREENSHOT.replace(/\.png$/, '-try.png') });
    }

    expect(errors).toEqual([]);
    const elsewhere = requests.filter((r) => !r.startsWith(`${url}/`) && !r.startsWith('data:'));
    expect(elsewhere).toEqual([]);
    expect(requests).toContain(`${url}/docs/${SCALAR_BUNDLE}`);
    expect(requests).toContain(`${url}/openapi.json`);
    await context.close();
  });
});
