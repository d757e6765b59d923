// The SSE tap on whole and split streams (events and UTF-8 sequences cut at every byte).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createSseTap } from './sse-tap.js';

const encoder = new TextEncoder();

function chunkEvent(delta: Record<string, unknown>, finish: string | null = null, extra: Record<string, unknown> = {}): string {
  return `data: ${JSON.stringify({ object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: finish }], ...extra })}\n\n`;
}

const stream = [
  ': keep-alive\n\n',
  chunkEvent({ role: 'assistant', content: '' }),
  chunkEvent({ reasoning_content: '思考中… 🤔' }),
  chunkEvent({ content: 'Grüße aus 東京 🌸' }),
  chunkEvent({}, 'stop'),
  `data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: 12, completion_tokens: 30, total_tokens: 42, prompt_cache_hit_tokens: 8 } })}\n\n`,
  'data: [DONE]\n\n',
].join('');
const bytes = encoder.encode(stream);

/** Feeds `data` cut at the given offsets. */
function feed(data: Uint8Array, cuts: number[]) {
  const tap = createSseTap();
  let from = 0;
  for (const at of [...cuts, data.byteLength]) {
    tap.push(data.subarray(from, at));
    from = at;
  }
  return tap.result();
}

const expected = {
  usage: { prompt_tokens: 12, completion_tokens: 30, total_tokens: 42, prompt_cache_hit_tokens: 8 },
  finishReason: 'stop',
  bytes: bytes.byteLength,
  done: true,
};

afterEach(() => {
  vi.restoreAllMocks();
});

describe('createSseTap', () => {
  it('reads a whole stream in one chunk', () => {
    expect(feed(bytes, [])).toEqual(expected);
  });

  it('reads the same when cut at every single byte (events and UTF-8 sequences split)', () => {
    expect(feed(bytes, Array.from({ length: bytes.byteLength - 1 }, (_, i) => i + 1))).toEqual(expected);
  });

  it('reads the same for every two-way split', () => {
    for (let at = 1; at < bytes.byteLength; at++) {
      expect(feed(bytes, [at])).toEqual(expected);
    }
  });

  it('handles a multibyte character split inside a usage-bearing event', () => {
    const text = `data: {"choices":[{"delta":{"content":"🌍"},"finish_reason":"length"}],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}\n\n`;
    const data = encoder.encode(text);
    const emoji = data.indexOf(0xf0);
    const result = feed(data, [emoji + 1, emoji + 2, emoji + 3]);
    expect(result.finishReason).toBe('length');
    expect(result.usage?.total_tokens).toBe(3);
    expect(result.done).toBe(false);
  });

  it('only parses events that carry a usage object or a finish reason', () => {
    const parse = vi.spyOn(JSON, 'parse');
    const events = [chunkEvent({ role: 'assistant' }, null, { usage: null })];
    for (let i = 0; i < 50; i++) events.push(chunkEvent({ content: `tok${i} "usage" finish_reason` }, null, { usage: null }));
    events.push(chunkEvent({}, 'stop', { usage: null }));
    events.push(`data: {"choices":[],"usage": {"prompt_tokens":1,"completion_tokens":51,"total_tokens":52}}\n\n`);
    events.push('data: [DONE]\n\n');
    const tap = createSseTap();
    for (const event of events) tap.push(encoder.encode(event));
    expect(parse).toHaveBeenCalledTimes(2);
    expect(tap.result()).toMatchObject({ finishReason: 'stop', usage: { total_tokens: 52 }, done: true });
  });

  it('keeps the last non-null usage and finish reason, tolerating spaces and CRLF', () => {
    const tap = createSseTap();
    tap.push(encoder.encode('data: {"choices": [{"finish_reason" : "tool_calls"}], "usage": {"prompt_tokens": 5}}\r\n\r\n'));
    tap.push(encoder.encode('data: {"choices":[{"finish_reason":null}],"usage":null}\r\n\r\n'));
    const result = tap.result();
    expect(result.finishReason).toBe('tool_calls');
    expect(result.usage).toEqual({ prompt_tokens: 5, completion_tokens: 0, total_tokens: 5 });
  });

  it('ignores data that is not JSON and reports no [DONE] without one', () => {
    const tap = createSseTap();
    tap.push(encoder.encode('data: {"usage": {oops\n\ndata: hello\n\n'));
    expect(tap.result()).toEqual({ usage: undefined, finishReason: undefined, bytes: 36, done: false });
    expect(tap.done).toBe(false);
  });

  it('does not treat a [DONE] inside a content string, or an unterminated one, as the end', () => {
    const tap = createSseTap();
    tap.push(encoder.encode(chunkEvent({ content: 'data: [DONE]' })));
    tap.push(encoder.encode('data: [DONE]'));
    expect(tap.done).toBe(false);
    tap.push(encoder.encode('\n\n'));
    expect(tap.done).toBe(true);
  });
});
