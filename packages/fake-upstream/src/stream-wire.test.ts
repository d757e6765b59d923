/**
 * Stream wire shapes: a `[DONE]` split across two writes, `\r\n` and `\r` line endings, `data:`
 * without its space, bytes after `[DONE]`, a doubled `[DONE]`, a clean end without one, and a
 * pause between the last bytes and the end of the response. Read over a bare socket where the
 * framing matters (chunk boundaries, the terminating chunk).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_CONTENT, startFakeUpstream, type FakeBehavior, type FakeUpstream } from './index.js';
import { chat, chunksOf, deltaOf, HELLO, parseSse, readAll } from './test-client.js';
import { bodyOf, rawChat, type RawResponse } from './test-raw-client.js';

let up: FakeUpstream;
beforeAll(async () => {
  up = await startFakeUpstream();
});
afterAll(() => up.close());
beforeEach(() => up.reset());

const STREAM = { model: 'm', messages: HELLO, stream: true };
const DONE = 'data: [DONE]\n\n';
/** role + 8 content deltas + the stop chunk. */
const DEFAULT_EVENTS = 10;

async function raw(behavior: FakeBehavior, body: Record<string, unknown> = STREAM): Promise<RawResponse> {
  up.setBehavior('m', behavior);
  return rawChat(up.url, body);
}

/** Asserts `text` is the default reply's events and `[DONE]`, in strict `data: …\n\n` form. */
function expectDefaultReply(text: string): void {
  const items = parseSse(text);
  expect(items.at(-1)).toEqual({ kind: 'data', data: '[DONE]' });
  const chunks = chunksOf(items);
  expect(chunks).toHaveLength(DEFAULT_EVENTS);
  expect(chunks.map((c) => deltaOf(c)?.['content'] ?? '').join('')).toBe(DEFAULT_CONTENT);
}

describe('default stream framing (the hot path)', () => {
  it('sends the whole stream as one HTTP chunk, then the terminating chunk', async () => {
    const r = await raw({});
    expect(r.terminated).toBe(true);
    expect(r.chunks).toHaveLength(1);
    expect(r.chunks[0]?.data.endsWith(`}\n\n${DONE}`)).toBe(true);
    expectDefaultReply(bodyOf(r));
  });
});

describe('doneSplitAt', () => {
  const len = DONE.length;
  // Inside "data", at the colon, the space, inside "[DONE]", and between the two newlines.
  it.each([1, 4, 5, 6, 7, 9, 12, len - 2, len - 1])(
    'splits data: [DONE] at byte %i into two writes, the events written before',
    async (at) => {
      const r = await raw({ doneSplitAt: at, doneSplitDelayMs: 80 });
      expect(r.terminated).toBe(true);
      const [events, first, second] = r.chunks.slice(-3);
      expect(first?.data).toBe(DONE.slice(0, at));
      expect(second?.data).toBe(DONE.slice(at));
      expect(events?.data.endsWith('}\n\n')).toBe(true);
      expect(r.chunks).toHaveLength(3);
      // The second part leaves only after the delay: a reader really holds half an event.
      expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(70);
      expect(r.reads.some((read) => read.bytes.toString('latin1').endsWith(`${DONE.slice(0, at)}\r\n`))).toBe(true);
      expectDefaultReply(bodyOf(r));
    },
  );

  it('defaults the pause between the parts to 50 ms', async () => {
    const r = await raw({ doneSplitAt: 9 });
    const [first, second] = r.chunks.slice(-2);
    expect(first?.data).toBe('data: [DO');
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(40);
  });

  it('splits after paced chunks, with CRLF and no space, and with the usage chunk', async () => {
    const r = await raw(
      { doneSplitAt: 10, doneSplitDelayMs: 60, chunkDelayMs: 5, chunks: 3, lineEnding: '\r\n', dataNoSpace: true },
      { ...STREAM, stream_options: { include_usage: true } },
    );
    expect(r.terminated).toBe(true);
    const [first, second] = r.chunks.slice(-2);
    expect(first?.data).toBe('data:[DONE');
    expect(second?.data).toBe(']\r\n\r\n');
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(50);
    // role + 3 content + stop + usage, each its own write before the split [DONE].
    expect(r.chunks).toHaveLength(6 + 2);
    const usage = JSON.parse(r.chunks[5]?.data.slice('data:'.length) ?? '') as Record<string, unknown>;
    expect(usage['choices']).toEqual([]);
  });

  it('splits only the first of two [DONE] events', async () => {
    const r = await raw({ doneSplitAt: 3, doneSplitDelayMs: 10, doubleDone: true });
    expect(r.chunks.slice(-2).map((c) => c.data)).toEqual([DONE.slice(0, 3), DONE.slice(3) + DONE]);
  });
});

describe('lineEnding', () => {
  it.each([
    ['\r\n', 'CRLF'],
    ['\r', 'CR'],
  ] as const)('terminates every line with %j (%s), keep-alive comments included', async (eol, _name) => {
    const r = await raw({ lineEnding: eol, keepAlive: true, firstChunkDelayMs: 120 });
    expect(r.terminated).toBe(true);
    const text = bodyOf(r);
    expect(text.startsWith(`: keep-alive${eol}${eol}`)).toBe(true);
    expect(text.endsWith(`data: [DONE]${eol}${eol}`)).toBe(true);
    // Take the terminators out: no other line break may be left.
    expect(text.split(eol).join('')).not.toMatch(/[\r\n]/);
    const items = parseSse(text.split(eol).join('\n'));
    expect(items.filter((i) => i.kind === 'comment').length).toBeGreaterThanOrEqual(1);
    expect(chunksOf(items)).toHaveLength(DEFAULT_EVENTS);
    expect(items.at(-1)).toEqual({ kind: 'data', data: '[DONE]' });
  });

  it('keeps "\\n" as the default and the one-write hot path with it', async () => {
    const r = await raw({ lineEnding: '\n' });
    expect(r.chunks).toHaveLength(1);
    expectDefaultReply(bodyOf(r));
  });
});

describe('dataNoSpace', () => {
  it('writes data:{…} and data:[DONE] without the space', async () => {
    const r = await raw({ dataNoSpace: true });
    const text = bodyOf(r);
    expect(text).not.toContain('data: ');
    expect(text.endsWith('}\n\ndata:[DONE]\n\n')).toBe(true);
    for (const line of text.split('\n').filter((l) => l.length > 0)) expect(line).toMatch(/^data:[{[]/);
    expectDefaultReply(text.replaceAll('data:', 'data: '));
  });
});

describe('the tail after the last event', () => {
  it('afterDone writes its bytes after [DONE], before the response ends', async () => {
    const extra = 'data: {"late":true}\n\ngarbage without a newline';
    const r = await raw({ afterDone: extra });
    expect(r.terminated).toBe(true);
    const text = bodyOf(r);
    expect(text.endsWith(`}\n\n${DONE}${extra}`)).toBe(true);
    expectDefaultReply(text.slice(0, -extra.length));
  });

  it('doubleDone sends [DONE] twice', async () => {
    const text = bodyOf(await raw({ doubleDone: true }));
    expect(text.endsWith(`}\n\n${DONE}${DONE}`)).toBe(true);
    expect(text.split('[DONE]')).toHaveLength(3);
  });

  it('omitDone ends the response cleanly without any [DONE]', async () => {
    const r = await raw({ omitDone: true, chunkDelayMs: 2 });
    expect(r.terminated).toBe(true);
    const text = bodyOf(r);
    expect(text).not.toContain('[DONE]');
    expect(chunksOf(parseSse(text))).toHaveLength(DEFAULT_EVENTS);
    // A fetch client sees an orderly end, not an error: only the missing [DONE] tells.
    up.setBehavior('m', { omitDone: true });
    const read = await readAll(await chat(up.url, STREAM));
    expect(read.error).toBeUndefined();
    expect(read.text).not.toContain('[DONE]');
    expect(chunksOf(parseSse(read.text))).toHaveLength(DEFAULT_EVENTS);
  });

  it('endDelayMs holds the end of the response back after the last bytes', async () => {
    const r = await raw({ endDelayMs: 120 });
    expect(r.terminated).toBe(true);
    const lastData = r.chunks.at(-1);
    expect(lastData?.data.endsWith(`}\n\n${DONE}`)).toBe(true);
    expect((r.terminatedAt ?? 0) - (lastData?.at ?? 0)).toBeGreaterThanOrEqual(110);
    expectDefaultReply(bodyOf(r));
  });

  it('endDelayMs after a split [DONE] pauses after its second part', async () => {
    const r = await raw({ doneSplitAt: 9, doneSplitDelayMs: 60, endDelayMs: 100 });
    const [first, second] = r.chunks.slice(-2);
    expect([first?.data, second?.data]).toEqual(['data: [DO', 'NE]\n\n']);
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(50);
    expect((r.terminatedAt ?? 0) - (second?.at ?? 0)).toBeGreaterThanOrEqual(90);
  });

  it('a cut still wins over the tail', async () => {
    const r = await raw({ cutAfterChunks: 2, doneSplitAt: 9, afterDone: 'x' });
    expect(r.terminated).toBe(false);
    expect(chunksOf(parseSse(bodyOf(r)))).toHaveLength(2);
    expect(bodyOf(r)).not.toContain('DO');
  });
});

describe('validation of the wire fields', () => {
  it.each<[FakeBehavior, ErrorConstructor]>([
    [{ lineEnding: '\n\n' as '\n' }, RangeError],
    [{ lineEnding: 10 as unknown as '\n' }, TypeError],
    [{ dataNoSpace: 'yes' as unknown as boolean }, TypeError],
    [{ doubleDone: 1 as unknown as boolean }, TypeError],
    [{ omitDone: null as unknown as boolean }, TypeError],
    [{ afterDone: 42 as unknown as string }, TypeError],
    [{ doneSplitAt: '9' as unknown as number }, TypeError],
    [{ doneSplitAt: 0 }, RangeError],
    [{ doneSplitAt: 2.5 }, RangeError],
    [{ doneSplitAt: DONE.length }, RangeError],
    [{ doneSplitAt: DONE.length, dataNoSpace: true }, RangeError],
    [{ doneSplitAt: 9, omitDone: true }, RangeError],
    [{ doneSplitDelayMs: -1 }, RangeError],
    [{ doneSplitDelayMs: Number.NaN }, RangeError],
    [{ endDelayMs: -5 }, RangeError],
  ])('refuses %j with %o', (behavior, type) => {
    expect(() => up.setBehavior('m', behavior)).toThrow(type);
  });

  it('accepts the last offset inside a longer CRLF [DONE] event', () => {
    expect(() => up.setBehavior('m', { doneSplitAt: DONE.length + 1, lineEnding: '\r\n' })).not.toThrow();
  });
});
