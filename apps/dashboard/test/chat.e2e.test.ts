/**
 * The Chat page end to end, in real Chromium against a real gateway serving the dashboard built
 * from source (the demo models paced 40 ms per chunk, paid models on the fake upstream):
 * - a model picked in the drawer streams token by token; the thinking block is open while the
 *   reasoning streams and folds once the answer starts; the answer quotes the message back and
 *   shows tokens and latency;
 * - Stop mid-stream keeps a shorter answer, marked stopped, and the gateway logged the request;
 * - the conversation survives a reload, is renamed inline and deleted after a confirmation;
 * - markdown code blocks get a copy button; a paid model's cost is the `usage.cost` the gateway charged;
 * - errors stay inline with the user's message kept: an interrupted stream, a 402 naming the
 *   tokens the balance affords, a 429 saying when to retry;
 * - a 360 px phone gets no horizontal scrolling;
 * - no console errors anywhere.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

const THINKING = 'saferouter/demo-thinking';
const FIRST = 'Hello from the chat e2e test';
/** Long, so the answer that quotes it streams for well over a second. */
const SECOND =
  'Please repeat this rather long sentence back to me, so that the streamed answer lasts long enough to be stopped';

/** The demo model's whole answer (packages/router/src/demo.ts). */
const demoAnswer = (model: string, said: string): string =>
  `Hello! I am SafeRouter's built-in demo model (${model}). I answer offline, so no upstream provider was called and this reply costs nothing. You said: "${said}"`;

/** The gateway check behind the channel takes a second or two in the browser; logs settle asynchronously. */
const POLL = { timeout: 15_000 };

const LATENCY = /^\d[\d,.]* (ms|s)$/;

async function pickModel(page: Page, id: string): Promise<void> {
  await page.getByTestId('model-picker').click();
  await page.locator(`[data-testid="model-option"][data-model-id="${id}"]`).click();
  await expect.poll(() => page.getByTestId('model-picker').textContent(), POLL).toContain(id);
}

async function send(page: Page, text: string): Promise<void> {
  await page.getByTestId('chat-input').fill(text);
  await page.getByTestId('chat-input').press('Enter');
}

/** Records the last answer's thinking-block state and content length at every DOM change. */
async function recordThinking(page: Page): Promise<void> {
  await page.evaluate(() => {
    const seen: { open: string | null; content: number }[] = [];
    (window as unknown as { thinkingSeen: typeof seen }).thinkingSeen = seen;
    const snap = (): void => {
      const answers = document.querySelectorAll('[data-testid="assistant-message"]');
      const last = answers[answers.length - 1];
      if (last === undefined) return;
      const open = last.querySelector('[data-testid="thinking-block"]')?.getAttribute('data-open') ?? null;
      const content = last.querySelector('.markdown')?.textContent?.length ?? 0;
      const prev = seen[seen.length - 1];
      if (prev === undefined || prev.open !== open || prev.content !== content) seen.push({ open, content });
    };
    new MutationObserver(snap).observe(document.body, {
      subtree: true,
      childList: true,
      attributes: true,
      characterData: true,
    });
  });
}

/** Clicks Stop (in the page) once the streaming answer shows its first content. */
async function stopWhenContentStarts(page: Page): Promise<void> {
  await page.evaluate(
    () =>
      new Promise<void>((resolve) => {
        const check = (): boolean => {
          const streaming = document.querySelector(
            '[data-testid="assistant-message"][data-status="streaming"] .markdown',
          );
          const stop = document.querySelector<HTMLButtonElement>('[data-testid="chat-stop"]');
          if (streaming === null || stop === null) return false;
          stop.click();
          return true;
        };
        if (check()) return resolve();
        const observer = new MutationObserver(() => {
          if (!check()) return;
          observer.disconnect();
          resolve();
        });
        observer.observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
      }),
  );
}

describe.skipIf(SKIP_BROWSER)('the Chat page in Chromium', { timeout: 90_000 }, () => {
  let env: DashboardEnv;
  let chat: OpenedPage;

  beforeAll(async () => {
    env = await startDashboardEnv();
  });

  afterAll(async () => {
    for (const o of env.pages) expect(o.errors, 'console errors').toEqual([]);
    await env?.close();
  });

  it('streams a thinking model token by token: thinking open, then folded once the answer starts', async () => {
    chat = await openPage(env, { path: '/chat' });
    const { page } = chat;
    await signIn(page, env.gw.userKey);
    expect(new URL(page.url()).pathname).toBe('/chat');
    // The empty state offers example prompts; the default model is the free demo.
    await page.getByTestId('chat-example').first().waitFor();
    await expect.poll(() => page.getByTestId('model-picker').textContent(), POLL).toContain('saferouter/demo');
    await expect.poll(() => page.getByTestId('channel-note').getAttribute('data-sealed'), POLL).not.toBe('pending');
    expect(await page.getByTestId('channel-note').getAttribute('data-sealed')).not.toBe('failed');

    await pickModel(page, THINKING);
    await recordThinking(page);
    await send(page, FIRST);
    const answer = page.getByTestId('assistant-message').last();
    await page.locator('[data-testid="assistant-message"][data-status="done"]').waitFor();

    const seen = (await page.evaluate('window.thinkingSeen')) as { open: string | null; content: number }[];
    const openWhileThinking = seen.findIndex((s) => s.open === 'true' && s.content === 0);
    const foldedWithContent = seen.findIndex((s) => s.open === 'false' && s.content > 0);
    expect(openWhileThinking, JSON.stringify(seen)).toBeGreaterThanOrEqual(0);
    expect(foldedWithContent, JSON.stringify(seen)).toBeGreaterThan(openWhileThinking);
    // Token by token: the content grew in several steps, not all at once.
    expect(new Set(seen.map((s) => s.content)).size).toBeGreaterThan(3);

    expect(await answer.locator('.markdown').innerText()).toBe(demoAnswer(THINKING, FIRST));
    expect(await answer.getByTestId('answer-model').innerText()).toContain(THINKING);
    expect(await answer.getByTestId('answer-tokens').innerText()).toMatch(/^\d+ in · \d+ out$/);
    expect(await answer.getByTestId('answer-cost').innerText()).toMatch(/^\$0/);
    expect(await answer.getByTestId('answer-ttft').innerText()).toMatch(LATENCY);
    expect(await answer.getByTestId('answer-total').innerText()).toMatch(LATENCY);
    // The thinking block stays folded, and the user can reopen it.
    const thinking = answer.getByTestId('thinking-block');
    expect(await thinking.getAttribute('data-open')).toBe('false');
    await thinking.getByRole('button').click();
    expect(await thinking.getAttribute('data-open')).toBe('true');
    expect(await thinking.innerText()).toContain('the last user message has');
    expect(await page.getByTestId('user-message').innerText()).toContain(FIRST);
    // The conversation is named after its first message.
    expect(await page.getByTestId('conversation-title').innerText()).toBe(FIRST);
  });

  it('stops an answer mid-stream: the partial answer stays, marked stopped, and the gateway logged it', async () => {
    const { page } = chat;
    await send(page, SECOND);
    // Stop as soon as the answer's content begins to stream. The click is made in the page, in
    // the same frame the first content appears: a click from here takes a few hundred ms on a
    // busy machine, and the demo's whole answer streams in about half a second.
    await stopWhenContentStarts(page);
    const stopped = page.locator('[data-testid="assistant-message"][data-status="stopped"]');
    await stopped.waitFor();
    expect(await page.getByTestId('chat-stop').count()).toBe(0);
    expect(await page.getByTestId('chat-send').count()).toBe(1);
    expect(await stopped.getByTestId('answer-stopped').innerText()).toMatch(/stopped/i);
    const partial = await stopped.locator('.markdown').innerText();
    expect(partial.length).toBeGreaterThan(0);
    expect(partial.length).toBeLessThan(demoAnswer(THINKING, SECOND).length);
    expect(demoAnswer(THINKING, SECOND).startsWith(partial.trimEnd())).toBe(true);
    expect(await stopped.getByTestId('answer-total').innerText()).toMatch(LATENCY);

    // The gateway logged the stopped request under the id the page shows.
    const requestId = await stopped.getAttribute('data-request-id');
    expect(requestId).toMatch(/\S/);
    await expect
      .poll(async () => {
        const res = await fetch(`${env.gw.url}/v1/activity?request_id=${encodeURIComponent(requestId!)}`, {
          headers: { authorization: `Bearer ${env.gw.userKey}` },
        });
        return ((await res.json()) as { data: { request_id: string; model: string }[] }).data;
      }, POLL)
      .toEqual([expect.objectContaining({ request_id: requestId, model: THINKING })]);
    // And the page reads the billed tokens back from that log.
    await expect.poll(() => stopped.getByTestId('answer-tokens').innerText(), POLL).toMatch(/^\d+ in · \d+ out$/);
    await shoot(page, 'chat');
  });

  it('keeps the conversation across a reload, renames it inline and deletes it after a confirmation', async () => {
    const { page } = chat;
    await page.reload();
    await page.getByTestId('conversation-item').first().waitFor();
    expect(await page.getByTestId('conversation-item').count()).toBe(1);
    expect(await page.getByTestId('conversation-item').getAttribute('data-current')).toBe('true');
    expect(await page.getByTestId('user-message').allInnerTexts()).toEqual([
      expect.stringContaining(FIRST),
      expect.stringContaining(SECOND),
    ]);
    const statuses = await page
      .getByTestId('assistant-message')
      .evaluateAll((els) => els.map((e) => e.dataset['status']));
    expect(statuses).toEqual(['done', 'stopped']);
    // The last model used is the default again.
    expect(await page.getByTestId('model-picker').textContent()).toContain(THINKING);

    await page.getByTestId('conversation-rename').click();
    await page.getByTestId('conversation-title-input').fill('Renamed by the e2e test');
    await page.getByTestId('conversation-title-input').press('Enter');
    await expect.poll(() => page.getByTestId('conversation-title').innerText(), POLL).toBe('Renamed by the e2e test');
    // Escape cancels an edit.
    await page.getByTestId('conversation-rename').click();
    await page.getByTestId('conversation-title-input').fill('Not this name');
    await page.getByTestId('conversation-title-input').press('Escape');
    await expect.poll(() => page.getByTestId('conversation-title').innerText(), POLL).toBe('Renamed by the e2e test');
    await page.reload();
    await expect.poll(() => page.getByTestId('conversation-title').innerText(), POLL).toBe('Renamed by the e2e test');

    // Delete asks first; Cancel keeps it, Delete removes it.
    await page.getByTestId('conversation-delete').click();
    await page.getByRole('button', { name: 'Cancel' }).click();
    expect(await page.getByTestId('conversation-item').count()).toBe(1);
    await page.getByTestId('conversation-delete').click();
    await page.getByTestId('confirm-delete').click();
    await expect.poll(() => page.getByTestId('conversation-item').count(), POLL).toBe(0);
    await page.getByTestId('chat-example').first().waitFor();
    expect(await page.getByTestId('assistant-message').count()).toBe(0);
    expect(await page.evaluate(() => localStorage.getItem('saferouter.chat.conversations'))).toBe('[]');
  });

  it('renders markdown with a copy button per code block, and a paid model’s exact cost (usage.cost)', async () => {
    env.upstream.setBehavior('m-primary', {
      content: 'Here it is:\n\n```ts\nconst answer = 42;\n```\n\nDone.',
      chunks: 4,
      chunkDelayMs: 20,
    });
    try {
      const { page } = chat;
      await pickModel(page, 'm-primary');
      await send(page, 'Show me some code');
      const answer = page.locator('[data-testid="assistant-message"][data-status="done"]').last();
      await answer.waitFor();
      expect(await answer.locator('pre code').innerText()).toContain('const answer = 42;');
      await answer.getByTestId('code-copy').click();
      await expect.poll(() => answer.getByTestId('code-copy').innerText(), POLL).toBe('Copied');
      expect(await page.evaluate(() => navigator.clipboard.readText())).toBe('const answer = 42;\n');
      // The stream's usage carries the charged cost, so it is shown as is, not as an estimate.
      expect(await answer.getByTestId('answer-cost').innerText()).toMatch(/^\$0\.\d+$/);
      expect(await answer.getByTestId('answer-tokens').innerText()).toMatch(/^\d+ in · \d+ out$/);
    } finally {
      env.upstream.reset();
    }
  });

  it('says inline that a stream was interrupted, keeping the message to retry', async () => {
    env.upstream.setBehavior('m-primary', { cutAfterChunks: 3, chunkDelayMs: 20, chunks: 8 });
    try {
      const { page } = chat;
      await send(page, 'This answer will be cut');
      const failed = page.locator('[data-testid="assistant-message"][data-status="error"]');
      await failed.waitFor();
      expect(await failed.getByTestId('answer-error').innerText()).toMatch(/interrupted/i);
      expect(await page.getByTestId('user-message').last().innerText()).toContain('This answer will be cut');
      // Retry, with the upstream healthy again, replaces the error with an answer.
      env.upstream.reset();
      await failed.getByTestId('answer-retry').click();
      await expect
        .poll(() => page.locator('[data-testid="assistant-message"][data-status="error"]').count(), POLL)
        .toBe(0);
      await page.locator('[data-testid="assistant-message"][data-status="done"]').nth(1).waitFor();
      expect(await page.getByTestId('user-message').count()).toBe(2);
    } finally {
      env.upstream.reset();
    }
  });

  it('shows a 402 inline with the tokens the balance affords', async () => {
    const poor = await createKey(env, 'poor', '0.000001');
    const { page } = await openPage(env, { path: '/chat' });
    await signIn(page, poor);
    await pickModel(page, 'm-primary');
    await send(page, 'Can I afford this?');
    const failed = page.locator('[data-testid="assistant-message"][data-status="error"]');
    await failed.waitFor();
    expect(await failed.getByTestId('answer-error').getAttribute('data-error-status')).toBe('402');
    const text = await failed.getByTestId('answer-error').innerText();
    expect(text).toMatch(/affords \d+ output tokens?/);
    expect(text).toMatch(/afford/);
    // The message stays, ready to retry; no toast, the error is in the conversation.
    expect(await page.getByTestId('user-message').innerText()).toContain('Can I afford this?');
    expect(await failed.getByTestId('answer-retry').count()).toBe(1);
  });

  it('shows a 429 inline, saying when to retry', async () => {
    const res = await fetch(`${env.gw.url}/v1/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'one-at-a-time', credit_usd: '1', limits: { concurrency: 1 } }),
    });
    expect(res.status).toBe(201);
    const key = ((await res.json()) as { key: string }).key;
    const { page } = await openPage(env, { path: '/chat' });
    await signIn(page, key);
    await expect.poll(() => page.getByTestId('model-picker').textContent(), POLL).toContain('saferouter/demo');
    await expect.poll(() => page.getByTestId('channel-note').getAttribute('data-sealed'), POLL).not.toBe('pending');
    // Another client holds the key's one concurrent request (a paced demo stream of over a second).
    const busy = new AbortController();
    const held = await fetch(`${env.gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: THINKING, stream: true, messages: [{ role: 'user', content: SECOND }] }),
      signal: busy.signal,
    });
    try {
      expect(held.status).toBe(200);
      await send(page, 'Am I rate limited?');
      const failed = page.locator('[data-testid="assistant-message"][data-status="error"]');
      await failed.waitFor();
      expect(await failed.getByTestId('answer-error').getAttribute('data-error-status')).toBe('429');
      expect(await failed.getByTestId('answer-error').innerText()).toMatch(/retry in \d+ s/i);
    } finally {
      busy.abort();
      await held.body?.cancel().catch(() => undefined);
    }
  });

  it('fits a 360 px phone, with the conversations folded away', async () => {
    const { page } = await openPage(env, { path: '/chat', width: 360, height: 780 });
    await signIn(page, env.gw.userKey);
    await send(page, 'Hello from a phone');
    await page.locator('[data-testid="assistant-message"][data-status="done"]').waitFor();
    expect(await page.getByTestId('conversation-item').first().isVisible()).toBe(false);
    await page.getByRole('button', { name: /^Conversations \(1\)$/ }).click();
    expect(await page.getByTestId('conversation-item').first().isVisible()).toBe(true);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await shoot(page, 'chat-phone');
  });
});
