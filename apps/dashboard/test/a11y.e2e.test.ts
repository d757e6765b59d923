/**
 * Accessibility, checked rather than hoped for, in real Chromium against a real gateway:
 * - axe-core (WCAG 2.x A and AA rules, colour contrast included) finds no violation on any page,
 *   in the light and in the dark theme, with data on them (a chat answer, activity rows, a key);
 * - the app works from the keyboard alone: skip link, sign-in, navigation, the model drawer
 *   (open, search, pick, Escape), each focused control with a visible focus ring;
 * - each page has exactly one <h1>.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, openPage, signIn, SKIP_BROWSER, startDashboardEnv, type DashboardEnv } from './fixtures.js';

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

interface Violation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** axe-core's WCAG A/AA violations on the page as it is now, one line each. */
async function violations(page: Page): Promise<string[]> {
  // Evaluated through the DevTools protocol, which the page's CSP does not govern.
  await page.evaluate(AXE);
  const found = await page.evaluate(async () => {
    const axe = (
      window as unknown as { axe: { run: (ctx: Document, opts: unknown) => Promise<{ violations: Violation[] }> } }
    ).axe;
    const result = await axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    });
    return result.violations;
  });
  return found.map(
    (v) => `${v.id} (${v.impact ?? '?'}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
  );
}

async function setTheme(page: Page, theme: 'light' | 'dark'): Promise<void> {
  await page.evaluate((t) => {
    document.documentElement.dataset['theme'] = t;
  }, theme);
}

/** The focused element's test id or tag, and whether it shows a focus ring. */
function focused(page: Page): Promise<{ id: string; ring: boolean }> {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (el === null) return { id: 'none', ring: false };
    const style = getComputedStyle(el);
    const ring = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
    return { id: el.dataset['testid'] ?? el.getAttribute('aria-label') ?? el.tagName.toLowerCase(), ring };
  });
}

/** Presses Tab until `test(id)` holds (at most `max` times); answers the focused element. */
async function tabTo(page: Page, test: (id: string) => boolean, max = 30): Promise<{ id: string; ring: boolean }> {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const f = await focused(page);
    if (test(f.id)) return f;
  }
  throw new Error('never reached the element with Tab');
}

describe.skipIf(SKIP_BROWSER)('accessibility in Chromium', { timeout: 180_000 }, () => {
  let env: DashboardEnv;

  beforeAll(async () => {
    env = await startDashboardEnv();
    // Data on the pages: a finished request (activity, credits).
    const res = await fetch(`${env.gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${env.gw.userKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'saferouter/demo', messages: [{ role: 'user', content: 'hello' }] }),
    });
    expect(res.status).toBe(200);
  });
  afterAll(async () => {
    for (const o of env.pages) {
      expect(o.errors, 'console errors').toEqual([]);
      expect(o.httpErrors, 'HTTP errors').toEqual([]);
    }
    await env?.close();
  });

  it('axe finds no WCAG A/AA violation on any page, light or dark', async () => {
    const o = await openPage(env);
    const { page } = o;
    const problems: string[] = [];
    for (const theme of ['light', 'dark'] as const) {
      await setTheme(page, theme);
      problems.push(...(await violations(page)).map((v) => `sign-in/${theme}: ${v}`));
    }
    await signIn(page, ADMIN_KEY);
    const pages: [string, string][] = [
      ['models', '[data-testid="model-card"]'],
      ['chat', '[data-testid="chat-input"]'],
      ['compare', '[data-testid="compare-column"]'],
      ['activity', '[data-testid="activity-row"]'],
      ['keys', '[data-testid="key-row"]'],
      ['credits', 'h1'],
    ];
    for (const [name, ready] of pages) {
      await page.getByTestId(`nav-${name}`).click();
      await page.locator(ready).first().waitFor();
      // Charts and polling settle before the page is judged.
      await page.waitForLoadState('networkidle');
      expect(await page.locator('h1').count(), `${name}: one h1`).toBe(1);
      for (const theme of ['light', 'dark'] as const) {
        await setTheme(page, theme);
        problems.push(...(await violations(page)).map((v) => `${name}/${theme}: ${v}`));
      }
    }
    // States that are not there on arrival: an answer with its Thinking block, the model drawer.
    await page.getByTestId('nav-chat').click();
    await page.getByTestId('chat-input').fill('Check this page with axe, please.');
    await page.getByTestId('chat-send').click();
    await expect
      .poll(() => page.getByTestId('assistant-message').textContent(), { timeout: 15_000 })
      .toContain('You said');
    await expect.poll(() => page.getByTestId('chat-stop').count()).toBe(0);
    await page.getByTestId('model-picker').click();
    await page.locator('dialog[open]').waitFor();
    for (const theme of ['light', 'dark'] as const) {
      await setTheme(page, theme);
      problems.push(...(await violations(page)).map((v) => `chat+drawer/${theme}: ${v}`));
    }
    await page.keyboard.press('Escape');
    expect(problems).toEqual([]);
  });

  it('works from the keyboard alone, with a visible focus ring', async () => {
    const o = await openPage(env);
    const { page } = o;
    await page.getByTestId('key-input').waitFor();
    const skip = await tabTo(page, () => true, 1);
    expect(skip.id).toBe('a');
    const input = await tabTo(page, (id) => id === 'key-input');
    expect(input.ring).toBe(true);
    await page.keyboard.type(env.gw.userKey);
    await page.keyboard.press('Enter');
    await page.getByTestId('nav-models').waitFor();

    const chat = await tabTo(page, (id) => id === 'nav-chat');
    expect(chat.ring).toBe(true);
    await page.keyboard.press('Enter');
    await page.getByTestId('chat-input').waitFor();
    expect(new URL(page.url()).pathname).toBe('/chat');

    const picker = await tabTo(page, (id) => id === 'model-picker');
    expect(picker.ring).toBe(true);
    await page.keyboard.press('Enter');
    await page.locator('dialog[open]').waitFor();
    // The drawer's search field has focus: type, then Tab to the one option left and pick it.
    await page.keyboard.type('demo-thinking');
    await expect.poll(() => page.getByTestId('model-option').count()).toBe(1);
    const option = await tabTo(page, (id) => id === 'model-option', 5);
    expect(option.ring).toBe(true);
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('dialog[open]').count()).toBe(0);
    expect(await page.getByTestId('model-picker').textContent()).toContain('saferouter/demo-thinking');

    // Escape closes the drawer without changing the model.
    await page.getByTestId('model-picker').focus();
    await page.keyboard.press('Enter');
    await page.locator('dialog[open]').waitFor();
    await page.keyboard.press('Escape');
    await expect.poll(() => page.locator('dialog[open]').count()).toBe(0);
    expect(await page.getByTestId('model-picker').textContent()).toContain('saferouter/demo-thinking');
  });
});
