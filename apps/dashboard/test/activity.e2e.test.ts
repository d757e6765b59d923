/**
 * The Activity page end to end, in real Chromium against a real gateway serving the dashboard
 * built from source. Requests are made through the API first (the demo model, streamed and not,
 * a fallback whose first attempt fails, and an upstream 500), then:
 * - a row per attempt appears, the error filter keeps only the failed ones, and the stats' total
 *   and success rate agree with the rows;
 * - the request and latency charts render (uPlot canvases) and are rebuilt on a theme change;
 * - a request made while the page is open appears without a reload; Pause stops polling until
 *   Resume;
 * - a key without activity gets the empty state; a 360 px phone does not scroll sideways;
 * - an attempt served with the caller's own provider key (BYOK, sealed and uploaded through
 *   @saferouter/verify) carries the 'your key' chip, and one served with the gateway's does not;
 * - no console errors, and no failed HTTP requests.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sealProviderKey, uploadProviderKey } from '@saferouter/verify';
import {
  createKey,
  openPage,
  shoot,
  signIn,
  SKIP_BROWSER,
  startDashboardEnv,
  type DashboardEnv,
  type OpenedPage,
} from './fixtures.js';

interface WireEntry {
  model: string;
  status: number;
}

/** The page polls every 5 s; a new request is recorded within ~200 ms (batched writes). */
const POLL_MS = 5_000;

/** `expect.poll` for hooks, where vitest does not allow it. */
async function until(check: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe.skipIf(SKIP_BROWSER)('the Activity page in Chromium', { timeout: 90_000 }, () => {
  let env: DashboardEnv;
  let key: string;

  const chat = async (model: string, stream = false): Promise<number> => {
    const res = await fetch(`${env.gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model, stream, messages: [{ role: 'user', content: 'Hello' }] }),
    });
    await res.text();
    return res.status;
  };
  const entries = async (): Promise<WireEntry[]> => {
    const res = await fetch(`${env.gw.url}/v1/activity?limit=500`, { headers: { authorization: `Bearer ${key}` } });
    return ((await res.json()) as { data: WireEntry[] }).data;
  };
  const ok = (e: WireEntry): boolean => e.status >= 200 && e.status <= 299;

  beforeAll(async () => {
    env = await startDashboardEnv();
    key = await createKey(env, 'activity', '5');
    env.upstream.setBehavior('m-lonely', { status: 500 });
    expect(await chat('saferouter/demo')).toBe(200);
    expect(await chat('saferouter/demo', true)).toBe(200);
    // No provider key for m-nokey: its attempt fails and m-backup answers.
    expect(await chat('m-nokey')).toBe(200);
    // m-lonely has no fallback: the upstream's 500 reaches the client as an error.
    expect(await chat('m-lonely')).toBeGreaterThanOrEqual(500);
    // Activity is written in batches: wait until all five attempts (two of them failed) are in.
    await until(async () => {
      const all = await entries();
      return all.length >= 5 && all.filter((e) => !ok(e)).length >= 2;
    });
  });

  afterAll(async () => {
    for (const o of env.pages) {
      expect(o.errors, 'console errors').toEqual([]);
      expect(o.httpErrors, 'failed requests').toEqual([]);
    }
    await env?.close();
  });

  const openActivity = async (options: Parameters<typeof openPage>[1] = {}): Promise<OpenedPage> => {
    const o = await openPage(env, options);
    await signIn(o.page, key);
    await o.page.getByTestId('nav-activity').click();
    await o.page.getByRole('heading', { level: 1, name: 'Activity' }).waitFor();
    return o;
  };

  it('lists every attempt, filters the errors, and its stats agree with the rows', async () => {
    const wire = await entries();
    const { page } = await openActivity();
    const rows = page.getByTestId('activity-row');
    await expect.poll(() => rows.count()).toBe(wire.length);
    const outcomes = await rows.evaluateAll((els) => els.map((el) => el.getAttribute('data-outcome')));
    const successes = outcomes.filter((o) => o === 'success').length;
    expect(successes).toBe(wire.filter(ok).length);
    // The fallback's row names the model that was asked for.
    const backup = page.locator('[data-testid="activity-row"][data-model="m-backup"]');
    expect(await backup.textContent()).toContain('fallback for m-nokey');

    await expect.poll(() => page.getByTestId('stat-total').textContent()).toBe(String(wire.length));
    const rate = `${((successes / wire.length) * 100).toLocaleString('en-US', { maximumFractionDigits: 1 })}%`;
    expect(await page.getByTestId('stat-success-rate').textContent()).toBe(rate);
    const byModel = page.getByTestId('stats-by-model');
    for (const model of ['saferouter/demo', 'm-backup', 'm-nokey', 'm-lonely']) {
      expect(await byModel.locator(`tr[data-id="${model}"]`).count()).toBe(1);
    }

    await page.getByTestId('activity-filter-outcome').selectOption('error');
    const errors = wire.filter((e) => !ok(e)).length;
    await expect.poll(() => rows.count()).toBe(errors);
    expect(await rows.evaluateAll((els) => els.map((el) => el.getAttribute('data-outcome')))).toEqual(
      Array.from({ length: errors }, () => 'error'),
    );
    await page.getByTestId('activity-filter-outcome').selectOption('success');
    await expect.poll(() => rows.count()).toBe(wire.length - errors);
    await page.getByTestId('activity-filter-outcome').selectOption('');
    await page.getByTestId('activity-filter-model').selectOption('saferouter/demo');
    await expect.poll(() => rows.count()).toBe(wire.filter((e) => e.model === 'saferouter/demo').length);
    await page.getByTestId('activity-filter-model').selectOption('');
    await expect.poll(() => rows.count()).toBe(wire.length);
  });

  it('draws the request and latency charts, and rebuilds them in the other theme', async () => {
    const { page } = await openActivity();
    for (const chart of ['chart-requests', 'chart-latency']) {
      await page.locator(`[data-testid="${chart}"] .uplot canvas`).waitFor();
    }
    // Mark the current plots, switch theme with the header's toggle: the plots are new ones.
    await page.evaluate(() => document.querySelectorAll('.uplot').forEach((el) => el.setAttribute('data-old', '')));
    const before = await page.evaluate(() => document.documentElement.dataset['theme']);
    await page.getByRole('button', { name: /Switch to (dark|light) theme/ }).click();
    await expect.poll(() => page.evaluate(() => document.documentElement.dataset['theme'])).not.toBe(before);
    await expect.poll(() => page.locator('.uplot[data-old]').count()).toBe(0);
    expect(await page.locator('.chart .uplot canvas').count()).toBe(2);
    // The plot follows its container's width, before and after the window changes size.
    const widths = async (): Promise<[number, number]> => {
      const chart = page.getByTestId('chart-requests');
      const plot = (await chart.locator('canvas').boundingBox())?.width ?? 0;
      const box = (await chart.locator('.time-chart-plot').boundingBox())?.width ?? -1;
      return [Math.round(plot), Math.round(box)];
    };
    const [before1280] = await widths();
    expect(await widths()).toEqual([before1280, before1280]);
    await page.setViewportSize({ width: 700, height: 860 });
    await expect.poll(async () => (await widths())[1]).not.toBe(before1280);
    await expect
      .poll(async () => {
        const [plot, box] = await widths();
        return plot === box;
      })
      .toBe(true);
    await page.getByRole('button', { name: /Switch to (dark|light) theme/ }).click();
  });

  it('shows a new request while live, and none while paused until Resume', async () => {
    const { page } = await openActivity();
    const rows = page.getByTestId('activity-row');
    const start = (await entries()).length;
    await expect.poll(() => rows.count()).toBe(start);
    await shoot(page, 'activity');

    expect(await chat('saferouter/demo')).toBe(200);
    await expect.poll(() => rows.count(), { timeout: POLL_MS + 2_000 }).toBe(start + 1);
    expect(await page.getByTestId('activity-updated').textContent()).toMatch(/Live · updated/);

    const pause = page.getByTestId('activity-pause');
    await pause.click();
    expect(await pause.getAttribute('aria-pressed')).toBe('true');
    expect(await pause.textContent()).toBe('Resume');
    const polls: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/v1/activity')) polls.push(r.url());
    });
    expect(await chat('saferouter/demo', true)).toBe(200);
    await expect.poll(async () => (await entries()).length).toBe(start + 2);
    // Proving a negative takes waiting: longer than one polling period, and nothing was asked.
    await page.waitForTimeout(POLL_MS + 1_000);
    expect(polls).toEqual([]);
    expect(await rows.count()).toBe(start + 1);

    await pause.click();
    expect(await pause.getAttribute('aria-pressed')).toBe('false');
    await expect.poll(() => rows.count(), { timeout: 3_000 }).toBe(start + 2);
  });

  it('greets a key without activity with the empty state and a way to the chat', async () => {
    const fresh = await createKey(env, 'quiet', '1');
    const o = await openPage(env);
    await signIn(o.page, fresh);
    await o.page.getByTestId('nav-activity').click();
    await o.page.getByText('No activity yet').waitFor();
    expect(await o.page.getByRole('link', { name: 'Try the chat' }).getAttribute('href')).toBe('/chat');
  });

  it("marks the attempts served with the caller's own provider key, and only those", async () => {
    const own = await createKey(env, 'byok', '1');
    const providerKey = 'sk-caller-own-provider-key-0123456789';
    // Sealed to the gateway's attested sealing key (the mock backend here) and uploaded.
    const sealed = await sealProviderKey(env.gw.url, {
      provider: 'up',
      apiKey: providerKey,
      saferouterKey: own,
      allowMock: true,
    });
    await uploadProviderKey(env.gw.url, sealed, { saferouterKey: own });
    const ask = async (model: string): Promise<void> => {
      const res = await fetch(`${env.gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${own}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model, messages: [{ role: 'user', content: 'Hello' }] }),
      });
      expect(res.status).toBe(200);
      await res.text();
    };
    await ask('m-backup'); // provider `up`: served with the caller's key
    await ask('saferouter/demo'); // the demo provider: the gateway's own
    const served = env.upstream.requests.filter((r) => r.model === 'm-backup').at(-1);
    expect(served?.headers['authorization']).toBe(`Bearer ${providerKey}`);

    const o = await openPage(env);
    await signIn(o.page, own);
    await o.page.getByTestId('nav-activity').click();
    const row = (model: string) => o.page.locator(`[data-testid="activity-row"][data-model="${model}"]`);
    await expect.poll(() => o.page.getByTestId('activity-row').count(), { timeout: POLL_MS * 2 }).toBe(2);
    const chip = row('m-backup').getByText('your key', { exact: true });
    expect(await chip.count()).toBe(1);
    expect(await chip.getAttribute('title')).toBe('Served with your own provider key (BYOK)');
    expect(await row('saferouter/demo').getByText('your key', { exact: true }).count()).toBe(0);
  });

  it('fits a 360 px phone without horizontal scrolling', async () => {
    const { page } = await openActivity({ width: 360, height: 780 });
    await page.getByTestId('activity-row').first().waitFor();
    await page.locator('[data-testid="chart-requests"] .uplot canvas').waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await shoot(page, 'activity-phone');
  });
});
