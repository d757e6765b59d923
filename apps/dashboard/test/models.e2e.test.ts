/**
 * Sign-in, the frame and the Models page end to end, in real Chromium against a real gateway
 * serving the dashboard built from source:
 * - a bad key gets a clear message and stays signed out; a good key signs in and survives a reload
 *   (localStorage), sign-out forgets it;
 * - the trust badge says DEMO with the measurement the gateway reports, and links to /verify/;
 * - models render from GET /v1/models (one card per model, unavailable ones marked), and the
 *   search and provider filter narrow them;
 * - "Try it" shows the key masked and copies it complete;
 * - the Keys page shows only for the admin key; a deep link (/credits) reloads into the app;
 * - a 360 px phone gets no horizontal scrolling;
 * - no console errors anywhere.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, openPage, shoot, signIn, SKIP_BROWSER, startDashboardEnv, type DashboardEnv } from './fixtures.js';
import { fakeCatalog } from '../../gateway/test/helpers.js';

const MULTI = {
  id: 'm-multi',
  name: 'Multi-host model',
  contextLength: 64000,
  maxOutputTokens: 4096,
  pricing: { inputPerMillion: 0.5, outputPerMillion: 1.5, cachedInputPerMillion: 0.05 },
  capabilities: ['tools'],
  endpoints: [
    { provider: 'up', upstreamModel: 'm-multi-up' },
    { provider: 'nokey', upstreamModel: 'm-multi-nk', pricing: { inputPerMillion: 0.4, outputPerMillion: 1.2 } },
  ],
};

interface WireModel {
  id: string;
  provider: string;
  available: boolean;
}

describe.skipIf(SKIP_BROWSER)('sign-in and the Models page in Chromium', { timeout: 90_000 }, () => {
  let env: DashboardEnv;
  let models: WireModel[];

  beforeAll(async () => {
    // The shared catalog plus one model served by two providers, with a cache-hit price.
    env = await startDashboardEnv((upstreamUrl) => ({ catalog: fakeCatalog(upstreamUrl, [MULTI]) }));
    const res = await fetch(`${env.gw.url}/v1/models`, { headers: { authorization: `Bearer ${env.gw.userKey}` } });
    models = ((await res.json()) as { data: WireModel[] }).data;
  });

  afterAll(async () => {
    for (const o of env.pages) expect(o.errors, 'console errors').toEqual([]);
    // The only HTTP error any page met is the bad key's 401, provoked on purpose.
    expect(env.pages.flatMap((o) => o.httpErrors)).toEqual([401]);
    await env?.close();
  });

  it('refuses a bad key with a clear message, and stays signed out', async () => {
    const { page } = await openPage(env);
    await shoot(page, 'signin');
    await page.getByTestId('key-input').fill('sk-sr-not-a-real-key-000000000000000000');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('refused');
    expect(await page.getByTestId('nav-models').count()).toBe(0);
    expect(await page.evaluate(() => localStorage.getItem('saferouter.key'))).toBeNull();
  });

  it('signs in with a key, keeps it across a reload, and forgets it on sign-out', async () => {
    const { page } = await openPage(env);
    await signIn(page, env.gw.userKey);
    await page.reload();
    await page.getByTestId('nav-models').waitFor();
    expect(await page.getByTestId('nav-keys').count()).toBe(0);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByTestId('key-input').waitFor();
    expect(await page.evaluate(() => localStorage.getItem('saferouter.key'))).toBeNull();
  });

  it('shows the DEMO trust badge with the measurement this gateway reports, linking to the verifier', async () => {
    const { page } = await openPage(env);
    await signIn(page, env.gw.userKey);
    const badge = page.getByTestId('trust-badge');
    await expect.poll(() => badge.getAttribute('data-hardware')).toBe('false');
    const text = (await badge.textContent()) ?? '';
    expect(text).toContain('DEMO');
    expect(text).toContain(env.gw.measurement.hex.slice(0, 12));
    expect(await badge.getAttribute('title')).toMatch(/reported by this gateway/i);
    expect(await badge.getAttribute('href')).toMatch(/^\/verify\/\?gateway=/);
  });

  it('renders a card per model, marks the unavailable ones, and filters by search and provider', async () => {
    const { page } = await openPage(env);
    await signIn(page, env.gw.userKey);
    const cards = page.getByTestId('model-card');
    await expect.poll(() => cards.count()).toBe(models.length);
    const unavailable = models.filter((m) => !m.available);
    expect(unavailable.length).toBeGreaterThan(0);
    for (const m of unavailable) {
      const card = page.locator(`[data-testid="model-card"][data-model-id="${m.id}"]`);
      expect(await card.getByTestId('model-availability').textContent()).toMatch(/unavailable/i);
    }
    await page.getByTestId('model-search').fill('demo-thinking');
    await expect.poll(() => cards.count()).toBe(1);
    expect(await cards.first().getAttribute('data-model-id')).toBe('saferouter/demo-thinking');
    await page.getByTestId('model-search').fill('');
    await page.getByTestId('provider-filter').selectOption('saferouter');
    const demoCount = models.filter((m) => m.provider === 'saferouter').length;
    await expect.poll(() => cards.count()).toBe(demoCount);
    await page.getByTestId('model-search').fill('no-such-model-anywhere');
    await expect.poll(() => page.getByText('No models match').count()).toBe(1);
    await page.getByTestId('model-search').fill('');
    await page.getByTestId('provider-filter').selectOption('');
    await expect.poll(() => cards.count()).toBe(models.length);
    await shoot(page, 'models');
  });

  it('shows the providers serving a model in the order they are tried, with their prices and the cache-hit price', async () => {
    const { page } = await openPage(env);
    await signIn(page, env.gw.userKey);
    const card = page.locator('[data-testid="model-card"][data-model-id="m-multi"]');
    await card.waitFor();
    expect(await card.getByTestId('model-cached-price').innerText()).toBe('$0.05');
    await card.getByTestId('model-endpoints').locator('summary').click();
    const rows = card.getByTestId('model-endpoint');
    expect(await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-provider')))).toEqual(['up', 'nokey']);
    expect(await rows.nth(0).innerText()).toBe('up $0.5 in · $1.5 out');
    expect(await rows.nth(1).innerText()).toBe('nokey $0.4 in · $1.2 out');
    // A single-provider model lists no endpoints; the provider filter finds a model by any endpoint.
    expect(await page.locator('[data-model-id="m-primary"] [data-testid="model-endpoints"]').count()).toBe(0);
    await page.getByTestId('provider-filter').selectOption('nokey');
    await expect
      .poll(() => page.getByTestId('model-card').evaluateAll((els) => els.map((e) => e.getAttribute('data-model-id'))))
      .toEqual(models.filter((m) => m.provider === 'nokey' || m.id === 'm-multi').map((m) => m.id));
    await shoot(page, 'models-endpoints');
  });

  it('"Try it" masks the key on screen and copies it complete', async () => {
    const { page } = await openPage(env);
    await signIn(page, env.gw.userKey);
    const card = page.locator('[data-testid="model-card"][data-model-id="saferouter/demo"]');
    await card.getByText('Try it').click();
    for (const language of ['curl', 'Python', 'TypeScript']) {
      await card.getByRole('button', { name: language, exact: true }).click();
      const shown = (await card.getByTestId('snippet').textContent()) ?? '';
      expect(shown).toContain('saferouter/demo');
      expect(shown).not.toContain(env.gw.userKey);
      await card.getByTestId('snippet-copy').click();
      await expect.poll(() => card.getByTestId('snippet-copy').textContent()).toBe('Copied');
      const copied = await page.evaluate(() => navigator.clipboard.readText());
      expect(copied).toContain(env.gw.userKey);
      expect(copied).toContain(`${env.gw.url}/v1`);
    }
  });

  it('shows Keys only to the admin, and a deep link reloads into the app', async () => {
    const { page } = await openPage(env, { path: '/credits' });
    await signIn(page, ADMIN_KEY);
    expect(await page.getByTestId('nav-keys').count()).toBe(1);
    expect(new URL(page.url()).pathname).toBe('/credits');
    await page.reload();
    await page.getByTestId('nav-credits').waitFor();
    expect(await page.getByTestId('nav-credits').getAttribute('aria-current')).toBe('page');
    await page.getByTestId('nav-models').click();
    expect(new URL(page.url()).pathname).toBe('/models');
  });

  it('fits a 360 px phone without horizontal scrolling', async () => {
    const { page } = await openPage(env, { width: 360, height: 780 });
    await signIn(page, env.gw.userKey);
    await page.getByTestId('model-card').first().waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await shoot(page, 'models-phone');
  });
});
