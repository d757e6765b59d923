/**
 * The verifier page in Chromium against a live gateway behind a tampering proxy: each tampering
 * fails exactly the check it targets, read from the page's `data-check`/`data-status` hooks.
 * A flipped report byte → hardware; a swapped signing key and a replayed quote → binding; a wrong
 * expected measurement → measurement; an edited receipt → receipt; and, with the page's
 * localStorage remembering the honest log, a validly signed fork and a rolled-back checkpoint →
 * log-consistency. The CLI meets the same tamperings in apps/gateway/test/verify.e2e.test.ts.
 *
 * Chromium: $SAFEROUTER_CHROMIUM or /usr/bin/chromium. Missing → this suite fails under CI and is
 * skipped (with a message) elsewhere.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createAppender,
  createMemoryTileStorage,
  createStorageFetch,
  decodeBase64,
  type GeneratedKey,
} from '@saferouter/tlog';
import type { CheckId } from '@saferouter/verify';
import type { RunningGateway } from '../../gateway/src/start.js';
import { json, parseJson, startTamperProxy, text, type TamperProxy } from '../../gateway/test/tamper-proxy.js';
import { LOG_ORIGIN, startVerifyGateway, userKeyFor, verifyLogKey } from '../../gateway/test/verify-fixtures.js';
import {
  buildPage,
  CHROMIUM,
  HAVE_CHROMIUM,
  IN_CI,
  launchChromium,
  serveStatic,
  type StaticSite,
} from './page-fixtures.js';

const VERDICT_TIMEOUT_MS = 20_000;

describe.skipIf(!HAVE_CHROMIUM && !IN_CI)('the verifier page against a tampering proxy', { timeout: 90_000 }, () => {
  let work: string;
  let site: StaticSite;
  let logKey: GeneratedKey;
  let gateway: RunningGateway;
  let proxy: TamperProxy;
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];

  const start = (): Promise<RunningGateway> =>
    startVerifyGateway({ dataDir: join(work, 'data'), logKey, upstreamUrl: 'http://127.0.0.1:9' });

  beforeAll(async () => {
    if (!HAVE_CHROMIUM) throw new Error(`Chromium not found at ${CHROMIUM} (CI is set, so this is a failure)`);
    work = mkdtempSync(join(tmpdir(), 'sr-verifier-tamper-'));
    await buildPage(join(work, 'dist'));
    site = await serveStatic(join(work, 'dist'), '/saferouter/');
    logKey = await verifyLogKey();
    gateway = await start();
    proxy = await startTamperProxy(gateway.url);
    browser = await launchChromium();
  }, 90_000);

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close();
    await proxy?.close();
    await gateway?.close();
    await site?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** A page in `context` (a fresh one by default: its own localStorage). */
  async function newPage(context?: BrowserContext): Promise<Page> {
    const ctx = context ?? (await browser!.newContext());
    if (context === undefined) contexts.push(ctx);
    return ctx.newPage();
  }

  /** Opens the page on the proxy (extra query appended), waits for the verdict, returns the statuses. */
  async function run(page: Page, query = ''): Promise<Record<string, string>> {
    await page.goto(`${site.url}?gateway=${encodeURIComponent(proxy.url)}${query}`);
    await page.locator('[data-verdict]').waitFor({ timeout: VERDICT_TIMEOUT_MS });
    const rows = await page
      .locator('[data-check]')
      .evaluateAll((els) => els.map((e) => [e.getAttribute('data-check') ?? '', e.getAttribute('data-status') ?? '']));
    return Object.fromEntries(rows);
  }

  async function expectOnly(page: Page, statuses: Record<string, string>, id: CheckId): Promise<void> {
    const failed = Object.entries(statuses)
      .filter(([, s]) => s === 'fail')
      .map(([k]) => k);
    expect(failed, JSON.stringify(statuses)).toEqual([id]);
    expect(await page.locator('[data-verdict]').getAttribute('data-verdict')).toBe('failed');
  }

  it('an honest run through the proxy is a demo, with no failure', async () => {
    const page = await newPage();
    const s = await run(page);
    expect(Object.values(s)).not.toContain('fail');
    expect(s['hardware']).toBe('warn');
    expect(await page.locator('[data-verdict]').getAttribute('data-verdict')).toBe('demo');
  });

  it('a report byte flipped → hardware', async () => {
    proxy.tamper = ({ path }, res) => {
      if (path !== '/attestation/quote') return undefined;
      const bundle = parseJson<{ report: string }>(res);
      const report = Buffer.from(bundle.report, 'base64');
      report[0x10] = (report[0x10] ?? 0) ^ 1;
      return json({ ...bundle, report: report.toString('base64') });
    };
    const page = await newPage();
    const s = await run(page);
    proxy.tamper = undefined;
    await expectOnly(page, s, 'hardware');
  });

  it('the signing key swapped in the quote → binding', async () => {
    proxy.tamper = ({ path }, res) =>
      path === '/attestation/quote'
        ? json({ ...parseJson<object>(res), signingKey: randomBytes(32).toString('hex') })
        : undefined;
    const page = await newPage();
    const s = await run(page);
    proxy.tamper = undefined;
    await expectOnly(page, s, 'binding');
  });

  it('an old quote replayed for a new nonce → binding', async () => {
    await run(await newPage());
    const old = proxy.recorded.get('POST /attestation/quote');
    expect(old).toBeDefined();
    proxy.tamper = ({ path }) => (path === '/attestation/quote' ? old : undefined);
    const page = await newPage();
    const s = await run(page);
    proxy.tamper = undefined;
    await expectOnly(page, s, 'binding');
  });

  it('a measurement other than the expected one → measurement', async () => {
    const real = gateway.measurement.hex;
    const other = `${real.slice(0, 63)}${real.endsWith('0') ? '1' : '0'}`;
    const page = await newPage();
    await expectOnly(page, await run(page, `&measurement=${other}`), 'measurement');
  });

  it('a receipt with its cost edited → receipt', async () => {
    const key = await userKeyFor(gateway.url);
    const res = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'saferouter/demo', messages: [{ role: 'user', content: 'a receipt to edit' }] }),
    });
    await res.arrayBuffer();
    const receipt = res.headers.get('x-saferouter-receipt') ?? '';
    const [h, p, sig] = receipt.split('.');
    const payload = JSON.parse(Buffer.from(p ?? '', 'base64url').toString('utf8')) as { cost_usd: string };
    payload.cost_usd = payload.cost_usd === '0' ? '0.000001' : '0';
    const edited = [h, Buffer.from(JSON.stringify(payload)).toString('base64url'), sig].join('.');
    const page = await newPage();
    await run(page);
    await page.getByLabel('Receipt').fill(edited);
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.locator('[data-verdict]').waitFor({ timeout: VERDICT_TIMEOUT_MS });
    const rows = await page
      .locator('[data-check]')
      .evaluateAll((els) => els.map((e) => [e.getAttribute('data-check') ?? '', e.getAttribute('data-status') ?? '']));
    await expectOnly(page, Object.fromEntries(rows), 'receipt');
  });

  it('after the honest log was seen (localStorage), a validly signed fork and a rollback → log-consistency', async () => {
    // The first start's log, recorded as the page read it.
    const early = await browser!.newContext();
    contexts.push(early);
    const first = await run(await newPage(early));
    expect(Object.values(first)).not.toContain('fail');
    const recorded = new Map([...proxy.recorded].filter(([k]) => k.startsWith('GET /attestation/transparency/')));
    const firstIndex = parseJson<{ startupIndex: number }>(
      proxy.recorded.get('GET /attestation/verifying-key')!,
    ).startupIndex;

    // Restart: a second start in the log, this instance last. The page remembers the larger log.
    await gateway.close();
    gateway = await start();
    proxy.target = gateway.url;
    const seen = await browser!.newContext();
    contexts.push(seen);
    expect(Object.values(await run(await newPage(seen)))).not.toContain('fail');
    const index = parseJson<{ startupIndex: number }>(
      proxy.recorded.get('GET /attestation/verifying-key')!,
    ).startupIndex;
    expect(index).toBe(firstIndex + 1);

    // A fork signed by the log key: same size, another first entry.
    const entries: Uint8Array[] = [];
    for (let i = 0; i <= index; i++) {
      const e = (await (await fetch(`${gateway.url}/attestation/transparency/${i}`)).json()) as {
        entry_base64: string;
      };
      entries.push(decodeBase64(e.entry_base64));
    }
    entries[0] = new TextEncoder().encode('{"forged":"an entry the honest log never had"}');
    const storage = createMemoryTileStorage();
    await (await createAppender({ storage, signer: logKey.signer, origin: LOG_ORIGIN })).append(entries);
    const forkFetch = createStorageFetch(storage);
    proxy.tamper = async ({ path }) => {
      const prefix = '/attestation/transparency/';
      if (!path.startsWith(prefix) || path.includes('?')) return undefined;
      const data = await forkFetch(path.slice(prefix.length));
      return data === null ? text('not found', 'text/plain', 404) : text(data, 'application/octet-stream');
    };
    const forkPage = await newPage(seen);
    const forked = await run(forkPage);
    proxy.tamper = undefined;
    await expectOnly(forkPage, forked, 'log-consistency');
    expect(await forkPage.locator('[data-check="log-consistency"]').innerText()).toMatch(/SPLIT VIEW/);

    // A rollback to the first start's log, this instance pointed at its entry there.
    proxy.tamper = ({ path }, res) => {
      if (path === '/attestation/verifying-key') return json({ ...parseJson<object>(res), startupIndex: firstIndex });
      return recorded.get(`GET ${path}`);
    };
    const rollbackPage = await newPage(seen);
    const rolledBack = await run(rollbackPage);
    proxy.tamper = undefined;
    await expectOnly(rollbackPage, rolledBack, 'log-consistency');
    expect(await rollbackPage.locator('[data-check="log-consistency"]').innerText()).toMatch(/ROLLBACK/);
  });
});
