/**
 * The Keys page end to end, in real Chromium against a real gateway serving the dashboard built
 * from source, signed in with the admin key:
 * - a key created with a name and credit shows its secret once; the secret works against the API,
 *   and after Done (and a reload) it is nowhere in the page;
 * - the gateway's validation error (400 naming `limits.rpm`) is shown beside the form;
 * - rename in place: Enter saves (the API has the new name), Escape cancels;
 * - top up from the table raises the key's balance;
 * - revoke through the confirmation dialog: the row shows revoked without actions, and the API
 *   refuses the key;
 * - a user key has no Keys link and /keys says "Admin only";
 * - no console errors; the only failed request is the 400 provoked on purpose.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, openPage, shoot, signIn, SKIP_BROWSER, startDashboardEnv, type DashboardEnv } from './fixtures.js';

interface WireKey {
  id: string;
  name: string;
  balance_usd: string;
  revoked_at: number | null;
}

describe.skipIf(SKIP_BROWSER)('the Keys page in Chromium', { timeout: 90_000 }, () => {
  let env: DashboardEnv;
  const allKeys = async (): Promise<WireKey[]> => {
    const res = await fetch(`${env.gw.url}/v1/keys`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    return ((await res.json()) as { data: WireKey[] }).data;
  };
  const status = async (secret: string): Promise<number> =>
    (await fetch(`${env.gw.url}/v1/key`, { headers: { authorization: `Bearer ${secret}` } })).status;
  const openKeys = async (): Promise<Page> => {
    const { page } = await openPage(env);
    await signIn(page, ADMIN_KEY);
    await page.getByTestId('nav-keys').click();
    await page.getByRole('heading', { level: 1, name: 'Keys' }).waitFor();
    await page.getByTestId('key-row').first().waitFor();
    return page;
  };
  const rowOf = (page: Page, id: string) => page.locator(`[data-testid="key-row"][data-key-id="${id}"]`);

  /** The key the suite creates in the browser, shared by the tests that follow. */
  let made: { id: string; secret: string } | undefined;

  beforeAll(async () => {
    env = await startDashboardEnv();
  });

  afterAll(async () => {
    for (const o of env.pages) expect(o.errors, 'console errors').toEqual([]);
    expect(env.pages.flatMap((o) => o.httpErrors)).toEqual([400]);
    await env?.close();
  });

  it('shows the gateway’s validation error beside the form', async () => {
    const page = await openKeys();
    await page.getByTestId('key-create-name').fill('too fast');
    await page.getByTestId('key-create-rpm').fill('0');
    await page.getByTestId('key-create-submit').click();
    const error = page.getByTestId('key-create-error');
    await expect.poll(() => error.textContent()).toContain('limits.rpm');
    expect(await page.getByTestId('key-create-rpm').getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByTestId('key-secret').count()).toBe(0);
    // A bad amount is caught before anything is sent.
    await page.getByTestId('key-create-rpm').fill('');
    await page.getByTestId('key-create-credit').fill('1.1234567');
    await page.getByTestId('key-create-submit').click();
    await expect.poll(() => error.textContent()).toContain('6 decimals');
    expect((await allKeys()).some((k) => k.name === 'too fast')).toBe(false);
  });

  it('creates a key and shows its working secret exactly once', async () => {
    const page = await openKeys();
    const before = await page.getByTestId('key-row').count();
    await page.getByTestId('key-create-name').fill('made in the browser');
    await page.getByTestId('key-create-credit').fill('3.25');
    await page.getByTestId('key-create-rpm').fill('120');
    await page.getByTestId('key-create-submit').click();
    const shown = page.getByTestId('key-secret');
    await shown.waitFor();
    const secret = ((await shown.textContent()) ?? '').trim();
    expect(secret).toMatch(/^sk-sr-/);
    expect(await page.getByTestId('key-secret-panel').textContent()).toContain('you won’t see this again');
    await page.getByTestId('key-secret-copy').click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);

    const me = await fetch(`${env.gw.url}/v1/key`, { headers: { authorization: `Bearer ${secret}` } });
    expect(me.status).toBe(200);
    const info = (await me.json()) as { id: string; name: string; balance_usd: string; limits: { rpm: number } };
    expect(info).toMatchObject({ name: 'made in the browser', limits: { rpm: 120 } });
    expect(Number(info.balance_usd)).toBe(3.25);
    made = { id: info.id, secret };

    const row = rowOf(page, info.id);
    await expect.poll(() => page.getByTestId('key-row').count()).toBe(before + 1);
    expect(await row.getByTestId('key-balance').textContent()).toBe('$3.25');
    expect(await row.textContent()).toContain('120 rpm');

    await page.getByTestId('key-secret-done').click();
    await expect.poll(() => page.getByTestId('key-secret').count()).toBe(0);
    expect(await page.content()).not.toContain(secret);
    await page.reload();
    await rowOf(page, info.id).waitFor();
    expect(await page.content()).not.toContain(secret);
    expect(await page.evaluate(() => JSON.stringify(localStorage))).not.toContain(secret);
  });

  it('renames a key in place: Enter saves, Escape cancels', async () => {
    if (made === undefined) throw new Error('needs the key created above');
    const page = await openKeys();
    const row = rowOf(page, made.id);
    await row.getByTestId('key-rename').click();
    const input = row.getByTestId('key-rename-input');
    await input.fill('renamed in place');
    await input.press('Enter');
    await expect.poll(() => row.getByTestId('key-name').textContent()).toBe('renamed in place');
    expect((await allKeys()).find((k) => k.id === made?.id)?.name).toBe('renamed in place');
    // Focus goes back to the edit button.
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('key-rename');

    await row.getByTestId('key-rename').click();
    await row.getByTestId('key-rename-input').fill('never saved');
    await row.getByTestId('key-rename-input').press('Escape');
    await expect.poll(() => row.getByTestId('key-name').textContent()).toBe('renamed in place');
    expect((await allKeys()).find((k) => k.id === made?.id)?.name).toBe('renamed in place');
  });

  it('tops a key up from its row', async () => {
    if (made === undefined) throw new Error('needs the key created above');
    const page = await openKeys();
    const row = rowOf(page, made.id);
    await row.getByTestId('key-topup').click();
    const form = page.getByTestId('topup-form');
    await form.getByTestId('topup-amount').fill('1.75');
    await form.getByTestId('topup-submit').click();
    await expect.poll(() => form.getByTestId('topup-done').textContent()).toContain('$5.00');
    await expect.poll(() => row.getByTestId('key-balance').textContent()).toBe('$5.00');
    expect(Number((await allKeys()).find((k) => k.id === made?.id)?.balance_usd)).toBe(5);
  });

  it('revokes a key after confirming in a dialog, and the API refuses it', async () => {
    if (made === undefined) throw new Error('needs the key created above');
    const { id, secret } = made;
    const page = await openKeys();
    const row = rowOf(page, id);
    await row.getByTestId('key-revoke').click();
    const dialog = page.locator('dialog.confirm[open]');
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain('renamed in place');
    // Cancel keeps the key.
    await dialog.getByRole('button', { name: 'Cancel', exact: true }).click();
    await expect.poll(() => page.locator('dialog.confirm[open]').count()).toBe(0);
    expect(await status(secret)).toBe(200);

    await row.getByTestId('key-revoke').click();
    await dialog.getByRole('button', { name: 'Revoke', exact: true }).click();
    await expect.poll(() => row.getAttribute('data-status')).toBe('revoked');
    expect(await row.getByTestId('key-status').textContent()).toBe('revoked');
    expect(await row.getByRole('button').count()).toBe(0);
    expect(await page.locator('dialog.confirm[open]').count()).toBe(0);
    await expect.poll(() => status(secret), { timeout: 3_000 }).toBe(401);
    expect((await allKeys()).find((k) => k.id === id)?.revoked_at).not.toBeNull();
    await shoot(page, 'keys');
  });

  it('is not offered to a user key, and says "Admin only" when opened', async () => {
    const { page } = await openPage(env);
    await signIn(page, env.gw.userKey);
    expect(await page.getByTestId('nav-keys').count()).toBe(0);
    await page.goto(`${env.gw.url}/keys`);
    await page.getByText('Admin only').waitFor();
    expect(await page.getByTestId('key-row').count()).toBe(0);
  });

  it('fits a 360 px phone without horizontal scrolling', async () => {
    const { page } = await openPage(env, { width: 360, height: 780 });
    await signIn(page, ADMIN_KEY);
    await page.getByTestId('nav-keys').click();
    await page.getByTestId('key-row').first().waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
  });
});
