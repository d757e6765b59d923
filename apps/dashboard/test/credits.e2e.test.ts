/**
 * The Credits page end to end, in real Chromium against real gateways serving the dashboard
 * built from source:
 * - a user key with $7.50 sees that balance; after a paid request its usage lists the model and
 *   the spend chart draws;
 * - on a gateway without self top-up the form is absent and the page says top-ups need the admin;
 *   on a second gateway (same build and browser) started with `selfTopup: true` the form is
 *   there, refuses a bad amount before sending it, and a top-up of 2.5 makes $10.00;
 * - the admin picks a key (its balance is not the admin's own) and tops it up;
 * - no console errors, and no failed HTTP requests.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../../gateway/test/helpers.js';
import {
  ADMIN_KEY,
  createKey,
  openPage,
  shoot,
  signIn,
  SKIP_BROWSER,
  startDashboardEnv,
  type DashboardEnv,
  type OpenedPage,
} from './fixtures.js';

describe.skipIf(SKIP_BROWSER)('the Credits page in Chromium', { timeout: 90_000 }, () => {
  let env: DashboardEnv;
  /** The same build and browser, served by a gateway that lets keys top themselves up. */
  let selfEnv: DashboardEnv;
  let selfGw: TestGateway | undefined;
  const openCredits = async (on: DashboardEnv, key: string): Promise<OpenedPage> => {
    const o = await openPage(on);
    await signIn(o.page, key);
    await o.page.getByTestId('nav-credits').click();
    await o.page.getByRole('heading', { level: 1, name: 'Credits' }).waitFor();
    return o;
  };
  const balanceOf = async (on: DashboardEnv, key: string): Promise<number> => {
    const res = await fetch(`${on.gw.url}/v1/credits`, { headers: { authorization: `Bearer ${key}` } });
    return Number(((await res.json()) as { balance_usd: string }).balance_usd);
  };

  beforeAll(async () => {
    env = await startDashboardEnv();
    selfGw = await startTestGateway(env.upstream.url, {
      dashboardDir: env.dist,
      demoChunkDelayMs: 40,
      selfTopup: true,
    });
    selfEnv = { ...env, gw: selfGw };
  });

  afterAll(async () => {
    for (const o of env.pages) {
      expect(o.errors, 'console errors').toEqual([]);
      expect(o.httpErrors, 'failed requests').toEqual([]);
    }
    await selfGw?.close();
    await env?.close();
  });

  it('shows a user key its balance, then its usage and spend after a paid request', async () => {
    const key = await createKey(env, 'c', '7.5');
    const { page } = await openCredits(env, key);
    await expect.poll(() => page.getByTestId('credits-balance').textContent()).toBe('$7.50');
    expect(await page.getByTestId('credits-available').textContent()).toBe('$7.50');
    await page.getByText('No requests yet').waitFor();

    const res = await fetch(`${env.gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm-primary', messages: [{ role: 'user', content: 'Hello' }] }),
    });
    expect(res.status).toBe(200);
    await res.text();
    const after = await balanceOf(env, key);
    expect(after).toBeLessThan(7.5);
    // Activity is written in batches: reload until the request is counted.
    await expect
      .poll(async () => {
        await page.reload();
        await page.getByTestId('credits-balance').waitFor();
        return page.locator('[data-testid="usage-row"][data-model="m-primary"]').count();
      })
      .toBe(1);
    expect(Number((await page.getByTestId('credits-balance').textContent())?.replace('$', ''))).toBe(after);
    await page.locator('[data-testid="chart-spend"] .uplot canvas').waitFor();
    await shoot(page, 'credits');
  });

  it('offers no top-up where the operator did not allow it, and says to ask the admin', async () => {
    const key = await createKey(env, 'no top-up', '1');
    const { page } = await openCredits(env, key);
    await page.getByTestId('credits-balance').waitFor();
    expect(await page.getByTestId('topup-form').count()).toBe(0);
    expect(await page.getByTestId('credits-topup-unavailable').textContent()).toMatch(/need the admin/i);
  });

  it('lets a user key top itself up where self top-up is on', async () => {
    const key = await createKey(selfEnv, 'c', '7.5');
    const { page } = await openCredits(selfEnv, key);
    await expect.poll(() => page.getByTestId('credits-balance').textContent()).toBe('$7.50');
    const form = page.getByTestId('topup-form');
    // Refused here, before anything is sent.
    for (const bad of ['abc', '-1', '0', '1.1234567']) {
      await form.getByTestId('topup-amount').fill(bad);
      await form.getByTestId('topup-submit').click();
      await expect.poll(() => form.getByTestId('topup-error').count()).toBe(1);
      expect(await form.getByTestId('topup-amount').getAttribute('aria-invalid')).toBe('true');
    }
    expect(await balanceOf(selfEnv, key)).toBe(7.5);
    await form.getByTestId('topup-amount').fill('2.5');
    await form.getByTestId('topup-submit').click();
    await expect.poll(() => page.getByTestId('credits-balance').textContent()).toBe('$10.00');
    expect(await form.getByTestId('topup-error').count()).toBe(0);
    expect(await balanceOf(selfEnv, key)).toBe(10);
  });

  it('lets the admin pick a key and top it up', async () => {
    const key = await createKey(env, 'picked by the admin', '2');
    const id = (
      (await (await fetch(`${env.gw.url}/v1/key`, { headers: { authorization: `Bearer ${key}` } })).json()) as {
        id: string;
      }
    ).id;
    const { page } = await openCredits(env, ADMIN_KEY);
    await page.getByText('Choose a key', { exact: true }).waitFor();
    await page.getByTestId('credits-key-select').selectOption(id);
    await expect.poll(() => page.getByTestId('credits-balance').textContent()).toBe('$2.00');
    expect(new URL(page.url()).searchParams.get('key_id')).toBe(id);
    await page.getByTestId('topup-amount').fill('0.5');
    await page.getByTestId('topup-submit').click();
    await expect.poll(() => page.getByTestId('credits-balance').textContent()).toBe('$2.50');
    expect(await balanceOf(env, key)).toBe(2.5);
    // The choice survives a reload (it is in the URL).
    await page.reload();
    await expect.poll(() => page.getByTestId('credits-balance').textContent()).toBe('$2.50');
    await shoot(page, 'credits-admin');
  });

  it('fits a 360 px phone without horizontal scrolling', async () => {
    const { page } = await openPage(env, { width: 360, height: 780 });
    await signIn(page, env.gw.userKey);
    await page.getByTestId('nav-credits').click();
    await page.getByTestId('credits-balance').waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
  });
});
