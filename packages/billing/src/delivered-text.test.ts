import { InvalidArgumentError } from '@saferouter/errors';
import { describe, expect, it } from 'vitest';
import { createDeliveredTextCounter, extractDeliveredText, MAX_EVENT_CHARS } from './delivered-text.js';
import { estimateCompletionTokens, utf8ByteLength } from './estimate.js';

const event = (delta: Record<string, unknown>, extra: Record<string, unknown> = {}): string =>
  `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: null }], ...extra })}\n\n`;

const TRANSCRIPT = [
  ': keep-alive comment\n\n',
  event({ role: 'assistant', content: '' }),
  event({ reasoning_content: 'Think: 2+2. ' }),
  event({ content: 'Bonjour ' }),
  'event: message\nid: 7\n' + event({ content: '世界 😀' }),
  event({ tool_calls: [{ index: 0, id: 't1', type: 'function', function: { name: 'lookup', arguments: '' } }] }),
  event({ tool_calls: [{ index: 0, function: { arguments: '{"q":"é"}' } }] }),
  `data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: 3, completion_tokens: 9, total_tokens: 12 } })}\n\n`,
  'data: [DONE]\n\n',
].join('');
const TEXT = 'Think: 2+2. Bonjour 世界 😀lookup{"q":"é"}';

describe('extractDeliveredText', () => {
  it('collects content, reasoning and tool-call text, skipping everything else', () => {
    expect(extractDeliveredText(TRANSCRIPT)).toBe(TEXT);
    expect(extractDeliveredText(new TextEncoder().encode(TRANSCRIPT))).toBe(TEXT);
  });

  it('reads `reasoning`, `refusal` and every choice of n > 1', () => {
    const sse =
      event({ reasoning: 'r' }) +
      event({ refusal: 'no' }) +
      `data: ${JSON.stringify({
        choices: [
          { index: 0, delta: { content: 'A' } },
          { index: 1, delta: { content: 'B' } },
        ],
      })}\n\n`;
    expect(extractDeliveredText(sse)).toBe('rnoAB');
  });

  it('accepts CRLF and CR line endings and multi-line data', () => {
    expect(extractDeliveredText(event({ content: 'x' }).replaceAll('\n', '\r\n'))).toBe('x');
    expect(extractDeliveredText(event({ content: 'y' }).replaceAll('\n', '\r'))).toBe('y');
    expect(extractDeliveredText('data: {"choices":[{"delta":\ndata: {"content":"z"}}]}\n\n')).toBe('z');
    expect(extractDeliveredText('data:{"choices":[{"delta":{"content":"no space"}}]}\n\n')).toBe('no space');
  });

  it('ignores malformed JSON and odd shapes without throwing', () => {
    const sse =
      'data: {"content": oops\n\n' +
      'data: {"choices":"x","content":1}\n\n' +
      'data: {"choices":[null,{"delta":{"content":5}}]}\n\n' +
      event({ content: 'ok' });
    expect(extractDeliveredText(sse)).toBe('ok');
  });

  it('does not count an event cut before its blank line', () => {
    expect(extractDeliveredText(event({ content: 'whole' }) + event({ content: 'cut' }).slice(0, -1))).toBe('whole');
    expect(extractDeliveredText(event({ content: 'whole' }) + event({ content: 'cut' }).slice(0, 30))).toBe('whole');
  });

  it('rejects input that is neither a string nor bytes', () => {
    expect(() => extractDeliveredText(42 as unknown as string)).toThrow(InvalidArgumentError);
  });
});

describe('createDeliveredTextCounter', () => {
  it('counts the same bytes however the stream is chunked (split multibyte chars, split CRLF)', () => {
    const bytes = new TextEncoder().encode(TRANSCRIPT.replaceAll('\n', '\r\n'));
    const expected = utf8ByteLength(TEXT);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const counter = createDeliveredTextCounter();
      counter.push(bytes.subarray(0, cut));
      counter.push(bytes.subarray(cut));
      expect(counter.textBytes, `cut at ${cut}`).toBe(expected);
    }
    const byteByByte = createDeliveredTextCounter();
    for (const b of bytes) byteByByte.push(new Uint8Array([b]));
    expect(byteByByte.textBytes).toBe(expected);
  });

  it('treats CR + LF in separate chunks as one line end, and a following LF as the blank line', () => {
    const counter = createDeliveredTextCounter();
    for (const part of ['data: {"choices":[{"delta":{"content":"ab"}}]}', '\r', '\n', '\n']) counter.push(part);
    expect(counter.textBytes).toBe(2);
    const crOnly = createDeliveredTextCounter();
    for (const part of ['data: {"choices":[{"delta":{"content":"ab"}}]}', '\r', '\r']) crOnly.push(part);
    expect(crOnly.textBytes).toBe(2); // counted at once, not only when the next byte arrives
  });

  it('estimates tokens with the same rule as estimateCompletionTokens', () => {
    const counter = createDeliveredTextCounter();
    counter.push(TRANSCRIPT);
    expect(counter.estimatedTokens()).toBe(estimateCompletionTokens(TEXT));
    expect(counter.estimatedTokens()).toBe(Math.ceil(utf8ByteLength(TEXT) / 3));
  });

  it('grows as text is delivered and starts at zero', () => {
    const counter = createDeliveredTextCounter();
    expect(counter.textBytes).toBe(0);
    expect(counter.estimatedTokens()).toBe(0);
    let previous = 0;
    for (let i = 0; i < 50; i++) {
      counter.push(event({ content: 'tok ' }));
      expect(counter.textBytes).toBe(previous + 4);
      previous = counter.textBytes;
    }
  });

  it('drops an oversized event instead of buffering it, then carries on', () => {
    const counter = createDeliveredTextCounter();
    const huge = event({ content: 'x'.repeat(MAX_EVENT_CHARS + 10) });
    for (let i = 0; i < huge.length; i += 65_536) counter.push(huge.slice(i, i + 65_536));
    counter.push(event({ content: 'after' }));
    expect(counter.textBytes).toBe(5);
  });
});
