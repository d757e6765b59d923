/**
 * Stream replies: the SSE wire format, chunk order, include_usage, keep-alives, pacing and
 * mid-stream deaths, parsed from real HTTP responses.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_CONTENT, DEFAULT_REASONING, startFakeUpstream, type FakeUpstream } from './index.js';
import { chat, chunksOf, deltaOf, HELLO, parseSse, readAll } from './test-client.js';

let up: FakeUpstream;
beforeAll(async () => {
  up = await startFakeUpstream();
});
afterAll(() => up.close());
beforeEach(() => up.reset());

const joinDeltas = (chunks: Record<string, unknown>[], field: string): string =>
  chunks
    .map((c) => deltaOf(c)?.[field])
    .filter((v): v is string => typeof v === 'string')
    .join('');

describe('stream format', () => {
  it('emits role, content deltas, a stop chunk and [DONE] as text/event-stream', async () => {
    const res = await chat(up.url, { model: 'deepseek-chat', messages: HELLO, stream: true });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const { text, error } = await readAll(res);
    expect(error).toBeUndefined();
    const items = parseSse(text);
    expect(items.at(-1)).toEqual({ kind: 'data', data: '[DONE]' });
    expect(items.every((i) => i.kind === 'data')).toBe(true);

    const chunks = chunksOf(items);
    expect(chunks).toHaveLength(1 + 8 + 1);
    const ids = new Set(chunks.map((c) => c['id']));
    expect(ids.size).toBe(1);
    for (const c of chunks) expect(c).toMatchObject({ object: 'chat.completion.chunk', model: 'deepseek-chat' });
    expect(deltaOf(chunks[0] as Record<string, unknown>)).toEqual({ role: 'assistant', content: '' });
    expect(joinDeltas(chunks, 'content')).toBe(DEFAULT_CONTENT);
    const finishes = chunks.map((c) => (c['choices'] as { finish_reason: unknown }[])[0]?.finish_reason);
    expect(finishes.slice(0, -1).every((f) => f === null)).toBe(true);
    expect(finishes.at(-1)).toBe('stop');
    expect(chunks.some((c) => 'usage' in c)).toBe(false);
    expect(up.requests[0]).toMatchObject({ stream: true, finished: true, aborted: false });
  });

  it('appends a choices:[] usage chunk before [DONE] only with stream_options.include_usage', async () => {
    up.setBehavior('m', { usage: { prompt_tokens: 11, completion_tokens: 22 } });
    const withUsage = parseSse(
      (
        await readAll(
          await chat(up.url, { model: 'm', messages: HELLO, stream: true, stream_options: { include_usage: true } }),
        )
      ).text,
    );
    const last = chunksOf(withUsage).at(-1);
    expect(last).toMatchObject({ choices: [], usage: { prompt_tokens: 11, completion_tokens: 22, total_tokens: 33 } });
    expect(withUsage.at(-1)).toEqual({ kind: 'data', data: '[DONE]' });

    const off = parseSse(
      (
        await readAll(
          await chat(up.url, { model: 'm', messages: HELLO, stream: true, stream_options: { include_usage: false } }),
        )
      ).text,
    );
    expect(chunksOf(off).some((c) => 'usage' in c)).toBe(false);
    expect(chunksOf(off).length).toBe(chunksOf(withUsage).length - 1);
  });

  it('streams reasoning_content deltas with content null before the content deltas', async () => {
    up.setBehavior('deepseek-reasoner', { reasoning: true, chunks: 3 });
    const chunks = chunksOf(
      parseSse((await readAll(await chat(up.url, { model: 'deepseek-reasoner', messages: HELLO, stream: true }))).text),
    );
    const deltas = chunks.map((c) => deltaOf(c) ?? {});
    expect(deltas[0]).toEqual({ role: 'assistant', content: null, reasoning_content: '' });
    const reasoning = deltas.slice(1, 4);
    const content = deltas.slice(4, 7);
    for (const d of reasoning) expect(d['content']).toBeNull();
    for (const d of content) expect(d['reasoning_content']).toBeNull();
    expect(reasoning.map((d) => d['reasoning_content']).join('')).toBe(DEFAULT_REASONING);
    expect(content.map((d) => d['content']).join('')).toBe(DEFAULT_CONTENT);
    expect(deltas).toHaveLength(8);
  });

  it('splits custom content into the requested number of deltas, never more than characters', async () => {
    up.setBehavior('three', { content: 'abcdefg', chunks: 3 });
    up.setBehavior('tiny', { content: 'ab', chunks: 8 });
    const three = chunksOf(
      parseSse((await readAll(await chat(up.url, { model: 'three', messages: HELLO, stream: true }))).text),
    );
    expect(three.slice(1, -1).map((c) => deltaOf(c)?.['content'])).toEqual(['abc', 'def', 'g']);
    const tiny = chunksOf(
      parseSse((await readAll(await chat(up.url, { model: 'tiny', messages: HELLO, stream: true }))).text),
    );
    expect(tiny.slice(1, -1).map((c) => deltaOf(c)?.['content'])).toEqual(['a', 'b']);
  });
});

describe('stream timing', () => {
  it('sends headers at once and the first chunk after firstChunkDelayMs', async () => {
    up.setBehavior('m', { firstChunkDelayMs: 200 });
    const t0 = performance.now();
    const res = await chat(up.url, { model: 'm', messages: HELLO, stream: true });
    expect(performance.now() - t0).toBeLessThan(150);
    const { pieces, text } = await readAll(res, t0);
    expect(pieces[0]?.at).toBeGreaterThanOrEqual(190);
    expect(parseSse(text).at(-1)).toEqual({ kind: 'data', data: '[DONE]' });
  });

  it('paces chunks by chunkDelayMs', async () => {
    up.setBehavior('m', { chunkDelayMs: 40, chunks: 4 });
    const t0 = performance.now();
    const { pieces, text } = await readAll(await chat(up.url, { model: 'm', messages: HELLO, stream: true }), t0);
    // role + 4 content + stop = 6 events, 5 gaps after the first.
    expect((pieces.at(-1)?.at ?? 0) - (pieces[0]?.at ?? 0)).toBeGreaterThanOrEqual(5 * 40 - 10);
    expect(pieces.length).toBeGreaterThanOrEqual(4);
    expect(chunksOf(parseSse(text))).toHaveLength(6);
  });

  it('emits ": keep-alive" comments while the first chunk is pending', async () => {
    up.setBehavior('queued', { keepAlive: true, firstChunkDelayMs: 250 });
    const items = parseSse(
      (await readAll(await chat(up.url, { model: 'queued', messages: HELLO, stream: true }))).text,
    );
    const firstData = items.findIndex((i) => i.kind === 'data');
    expect(firstData).toBeGreaterThanOrEqual(2);
    expect(items.slice(0, firstData).every((i) => i.kind === 'comment' && i.text === 'keep-alive')).toBe(true);
    expect(items.slice(firstData).every((i) => i.kind === 'data')).toBe(true);
  });

  it('delays the headers themselves with delayMs', async () => {
    up.setBehavior('m', { delayMs: 150 });
    const t0 = performance.now();
    const res = await chat(up.url, { model: 'm', messages: HELLO, stream: true });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(140);
    expect(parseSse((await readAll(res)).text).at(-1)).toEqual({ kind: 'data', data: '[DONE]' });
  });
});

describe('mid-stream death', () => {
  it.each([
    ['at once', {}],
    ['while pacing', { chunkDelayMs: 10 }],
  ])('cutAfterChunks kills the socket after N data events, before [DONE] (%s)', async (_label, extra) => {
    up.setBehavior('dies', { cutAfterChunks: 3, ...extra });
    const res = await chat(up.url, { model: 'dies', messages: HELLO, stream: true });
    expect(res.status).toBe(200);
    const { text, error } = await readAll(res);
    expect(error).toBeInstanceOf(Error);
    expect(text).not.toContain('[DONE]');
    expect(chunksOf(parseSse(text))).toHaveLength(3);
    await up.waitFor((r) => r.length === 1);
    expect(up.requests[0]).toMatchObject({ finished: false, aborted: false });
  });

  it('cutAfterChunks: 0 dies right after the headers', async () => {
    up.setBehavior('dies', { cutAfterChunks: 0 });
    const res = await chat(up.url, { model: 'dies', messages: HELLO, stream: true });
    const { text, error } = await readAll(res);
    expect(error).toBeInstanceOf(Error);
    expect(text).toBe('');
  });

  it('a cut beyond the last event still withholds [DONE]', async () => {
    up.setBehavior('dies', { cutAfterChunks: 1000, chunks: 2 });
    const { text, error } = await readAll(await chat(up.url, { model: 'dies', messages: HELLO, stream: true }));
    expect(error).toBeInstanceOf(Error);
    expect(chunksOf(parseSse(text))).toHaveLength(4);
    expect(text).not.toContain('[DONE]');
  });
});
