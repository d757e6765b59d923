/**
 * The Compare page end to end, in real Chromium against a real gateway serving the dashboard
 * built from source (the demo models paced 40 ms per chunk):
 * - two columns, `saferouter/demo` and `saferouter/demo-thinking`, answer one prompt in parallel:
 *   each goes `streaming` then `done`, with its answer, live timers that end with values, tokens
 *   and cost, and the reasoning folded;
 * - Stop all stops every column;
 * - columns are added (up to four, then the button is disabled) and removed, and the models
 *   chosen per column survive a reload;
 * - a 360 px phone gets no horizontal scrolling;
 * - no console errors anywhere.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPage, shoot, signIn, SKIP_BROWSER, startDashboardEnv, type DashboardEnv } from './fixtures.js';

const DEMO = 'saferouter/demo';
const THINKING = 'saferouter/demo-thinking';
const PROMPT = 'Compare these two models for me';
const LATENCY = /^\d[\d,.]* (ms|s)$/;
/** The gateway check behind the channel takes a second or two in the browser. */
const POLL = { timeout: 15_000 };

const column = (page: Page, index: number) => page.getByTestId('compare-column').nth(index);

async function pickModel(page: Page, index: number, id: string): Promise<void> {
  await column(page, index).getByTestId('model-picker').click();
  await page.locator(`dialog[open] [data-testid="model-option"][data-model-id="${id}"]`).click();
  await expect.poll(() => column(page, index).getByTestId('model-picker').textContent(), POLL).toContain(id);
}

const pickedModels = (page: Page): Promise<string[]> =>
  page
    .locator('[data-testid="compare-column"] [data-testid="model-picker"] .pill-value')
    .evaluateAll((els) => els.map((e) => e.textContent ?? ''));

/** Records, per column, every status it shows and every total-time reading while its request runs. */
async function recordColumns(page: Page): Promise<void> {
  await page.evaluate(() => {
    const statuses: string[][] = [];
    const totals: string[][] = [];
    /** `column:status`, in the order they happened across all columns. */
    const events: string[] = [];
    Object.assign(window, { columnStatuses: statuses, streamingTotals: totals, columnEvents: events });
    const snap = (): void => {
      document.querySelectorAll('[data-testid="compare-column"]').forEach((col, i) => {
        const status = col.getAttribute('data-status') ?? '';
        const seen = (statuses[i] ??= []);
        if (seen[seen.length - 1] !== status) {
          seen.push(status);
          events.push(`${i}:${status}`);
        }
        const total = col.querySelector('[data-testid="answer-total"]')?.textContent ?? '';
        const ticks = (totals[i] ??= []);
        if ((status === 'waiting' || status === 'streaming') && ticks[ticks.length - 1] !== total) ticks.push(total);
      });
    };
    new MutationObserver(snap).observe(document.body, {
      subtree: true,
      childList: true,
      attributes: true,
      characterData: true,
    });
  });
}

describe.skipIf(SKIP_BROWSER)('the Compare page in Chromium', { timeout: 90_000 }, () => {
  let env: DashboardEnv;

  beforeAll(async () => {
    env = await startDashboardEnv();
  });

  afterAll(async () => {
    for (const o of env.pages) expect(o.errors, 'console errors').toEqual([]);
    await env?.close();
  });

  it('streams one prompt into two columns in parallel, each with its status, timers, tokens and cost', async () => {
    const { page } = await openPage(env, { path: '/compare' });
    await signIn(page, env.gw.userKey);
    await expect.poll(() => page.getByTestId('compare-column').count(), POLL).toBe(2);
    // The free demo models are the defaults; pick them through the drawer anyway.
    await expect.poll(() => pickedModels(page), POLL).toEqual([DEMO, THINKING]);
    await pickModel(page, 0, DEMO);
    await pickModel(page, 1, THINKING);
    for (const i of [0, 1]) expect(await column(page, i).getAttribute('data-status')).toBe('waiting');
    await expect.poll(() => page.getByTestId('channel-note').getAttribute('data-sealed'), POLL).not.toBe('pending');

    await recordColumns(page);
    await page.getByTestId('compare-input').fill(PROMPT);
    await page.getByTestId('compare-send').click();
    await page.getByTestId('compare-stop').waitFor();
    await page.locator('[data-testid="compare-column"][data-status="done"]').nth(1).waitFor();
    await page.getByTestId('compare-send').waitFor();

    const statuses = (await page.evaluate('window.columnStatuses')) as string[][];
    const totals = (await page.evaluate('window.streamingTotals')) as string[][];
    for (const [i, model] of [DEMO, THINKING].entries()) {
      const col = column(page, i);
      expect(statuses[i], `column ${i}`).toEqual(['waiting', 'streaming', 'done']);
      // The total-time timer ticked while the request ran (every 100 ms; fewer on a busy machine).
      expect(new Set(totals[i]).size, `column ${i} ticks: ${totals[i]?.join()}`).toBeGreaterThan(1);
      expect(await col.getByTestId('column-status').innerText()).toBe('done');
      expect(await col.getByTestId('assistant-message').locator('.markdown').innerText()).toContain(
        `You said: "${PROMPT}"`,
      );
      expect(await col.getByTestId('answer-model').innerText()).toContain(model);
      expect(await col.getByTestId('answer-ttft').innerText()).toMatch(LATENCY);
      expect(await col.getByTestId('answer-total').innerText()).toMatch(LATENCY);
      expect(await col.getByTestId('answer-tokens').innerText()).toMatch(/^\d+ in · \d+ out$/);
      expect(await col.getByTestId('answer-cost').innerText()).toMatch(/^\$0/);
    }
    // In parallel: each column was streaming before the other one was done.
    const events = (await page.evaluate('window.columnEvents')) as string[];
    expect(events.indexOf('0:streaming'), events.join()).toBeLessThan(events.indexOf('1:done'));
    expect(events.indexOf('1:streaming'), events.join()).toBeLessThan(events.indexOf('0:done'));
    // The thinking model's reasoning is folded once its answer is there.
    expect(await column(page, 0).getByTestId('thinking-block').count()).toBe(0);
    expect(await column(page, 1).getByTestId('thinking-block').getAttribute('data-open')).toBe('false');
    await shoot(page, 'compare');
  });

  it('stops every column with Stop all', async () => {
    const { page } = await openPage(env, { path: '/compare' });
    await signIn(page, env.gw.userKey);
    await expect.poll(() => pickedModels(page), POLL).toEqual([DEMO, THINKING]);
    await page.getByTestId('compare-input').fill('Stop us both');
    await page.getByTestId('compare-input').press('Enter');
    await page.locator('[data-testid="compare-column"][data-status="streaming"]').first().waitFor();
    await page.getByTestId('compare-stop').click();
    await page.getByTestId('compare-send').waitFor();
    for (const i of [0, 1]) {
      await expect.poll(() => column(page, i).getAttribute('data-status'), POLL).not.toMatch(/waiting|streaming/);
    }
    const labels = await page.getByTestId('column-status').allInnerTexts();
    expect(labels).toContain('stopped');
    expect(await page.getByTestId('answer-stopped').count()).toBeGreaterThan(0);
  });

  it('adds columns up to four, removes them, and remembers each column’s model across a reload', async () => {
    const { page } = await openPage(env, { path: '/compare' });
    await signIn(page, env.gw.userKey);
    const columns = page.getByTestId('compare-column');
    const add = page.getByTestId('compare-add-column');
    await expect.poll(() => columns.count(), POLL).toBe(2);
    await add.click();
    await add.click();
    expect(await columns.count()).toBe(4);
    expect(await add.isDisabled()).toBe(true);
    await column(page, 3).getByTestId('compare-remove-column').click();
    expect(await columns.count()).toBe(3);
    expect(await add.isDisabled()).toBe(false);
    await pickModel(page, 2, 'm-backup');
    const chosen = await pickedModels(page);
    expect(chosen).toEqual([DEMO, THINKING, 'm-backup']);

    await page.reload();
    await expect.poll(() => page.getByTestId('compare-column').count(), POLL).toBe(3);
    await expect.poll(() => pickedModels(page), POLL).toEqual(chosen);

    // At least one column stays.
    await column(page, 2).getByTestId('compare-remove-column').click();
    await column(page, 1).getByTestId('compare-remove-column').click();
    expect(await columns.count()).toBe(1);
    expect(await page.getByTestId('compare-remove-column').count()).toBe(0);
  });

  it('fits a 360 px phone', async () => {
    const { page } = await openPage(env, { path: '/compare', width: 360, height: 780 });
    await signIn(page, env.gw.userKey);
    await expect.poll(() => page.getByTestId('compare-column').count(), POLL).toBeGreaterThan(0);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await shoot(page, 'compare-phone');
  });
});
