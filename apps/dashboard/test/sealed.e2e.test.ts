/**
 * Prompts leave the browser sealed. Against a gateway that refuses plaintext request bodies on
 * /v1/* (SAFEROUTER_REQUIRE_EHBP=1), the dashboard still chats, compares and creates a key:
 * every body it sends goes through createSecureFetch (the gateway verified first, then EHBP to
 * the attested key). On the wire, the chat request carries the EHBP header and a body in which
 * the prompt does not appear; the same request in plaintext is refused by that gateway.
 */
import type { Request as PwRequest } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, openPage, signIn, SKIP_BROWSER, startDashboardEnv, type DashboardEnv } from './fixtures.js';

const PROMPT = 'a prompt that must never cross the wire in plaintext 7f3a';
const POLL = { timeout: 20_000 };

describe.skipIf(SKIP_BROWSER)('sealed prompts against a gateway that requires EHBP', { timeout: 120_000 }, () => {
  let env: DashboardEnv;

  beforeAll(async () => {
    env = await startDashboardEnv({ requireEhbp: true });
  });
  afterAll(async () => {
    for (const o of env.pages) {
      expect(o.errors, 'console errors').toEqual([]);
      expect(o.httpErrors, 'HTTP errors').toEqual([]);
    }
    await env?.close();
  });

  it('refuses a plaintext chat request: the premise of this suite', async () => {
    const res = await fetch(`${env.gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${env.gw.userKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'saferouter/demo', messages: [{ role: 'user', content: PROMPT }] }),
    });
    expect(res.status).toBe(400);
  });

  it('chats, with the prompt sealed on the wire', async () => {
    const o = await openPage(env, { path: '/chat' });
    const { page } = o;
    const sent: PwRequest[] = [];
    page.on('request', (r) => {
      if (new URL(r.url()).pathname === '/v1/chat/completions') sent.push(r);
    });
    await signIn(page, env.gw.userKey);
    await expect.poll(() => page.getByTestId('channel-note').getAttribute('data-sealed'), POLL).toBe('true');
    await page.getByTestId('chat-input').fill(PROMPT);
    await page.getByTestId('chat-send').click();
    await expect.poll(() => page.getByTestId('assistant-message').last().textContent(), POLL).toContain(PROMPT);
    expect(sent).toHaveLength(1);
    const request = sent[0]!;
    expect(await request.headerValue('ehbp-encapsulated-key')).toMatch(/^[0-9a-f]{64}$/);
    const body = request.postDataBuffer();
    expect(body).not.toBeNull();
    expect(body!.includes(Buffer.from(PROMPT))).toBe(false);
    expect(body!.includes(Buffer.from('saferouter/demo'))).toBe(false);
  });

  it('compares two models through the sealed channel', async () => {
    const o = await openPage(env, { path: '/compare' });
    const { page } = o;
    await signIn(page, env.gw.userKey);
    await expect.poll(() => page.getByTestId('channel-note').getAttribute('data-sealed'), POLL).toBe('true');
    await page.getByTestId('compare-input').fill(PROMPT);
    await page.getByTestId('compare-send').click();
    await expect
      .poll(() => page.locator('[data-testid="compare-column"][data-status="done"]').count(), POLL)
      .toBe(await page.getByTestId('compare-column').count());
  });

  it('creates a key (a request with a body) through the sealed channel', async () => {
    const o = await openPage(env, { path: '/keys' });
    const { page } = o;
    await signIn(page, ADMIN_KEY);
    await page.getByTestId('key-create-name').fill('sealed create');
    await page.getByTestId('key-create-submit').click();
    const secret = (await page.getByTestId('key-secret').textContent({ timeout: 20_000 }))?.trim() ?? '';
    expect(secret).toMatch(/^sk-sr-/);
    expect((await fetch(`${env.gw.url}/v1/key`, { headers: { authorization: `Bearer ${secret}` } })).status).toBe(200);
  });
});
