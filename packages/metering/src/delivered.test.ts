// A cut stream's charge: the text of the whole events delivered, however they were chunked.
import { describe, expect, it } from 'vitest';
import { utf8ByteLength, tokensForBytes } from '@saferouter/billing';
import { deliveredCompletionTokens } from './delivered.js';

const enc = new TextEncoder();
const event = (delta: Record<string, unknown>): string =>
  `data: ${JSON.stringify({ object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: null }] })}\n\n`;

const TRANSCRIPT = [
  ': keep-alive\n\n',
  event({ role: 'assistant', content: '' }),
  event({ reasoning_content: 'Think: 2+2. ' }),
  'event: message\nid: 7\n' + event({ content: 'Bonjour 世界 😀' }),
  event({ tool_calls: [{ index: 0, function: { name: 'lookup', arguments: '{"q":"é"}' } }] }),
  `data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: 3, completion_tokens: 9 } })}\n\n`,
].join('');
const TEXT = 'Think: 2+2. Bonjour 世界 😀lookup{"q":"é"}';

describe('deliveredCompletionTokens', () => {
  it('counts the same text however the bytes are chunked, with any line ends', () => {
    for (const eol of ['\n', '\r\n', '\r']) {
      const bytes = enc.encode(TRANSCRIPT.replaceAll('\n', eol));
      for (let cut = 0; cut <= bytes.length; cut += 3) {
        expect(
          deliveredCompletionTokens([bytes.subarray(0, cut), bytes.subarray(cut)]),
          `${JSON.stringify(eol)} cut ${cut}`,
        ).toBe(tokensForBytes(utf8ByteLength(TEXT)));
      }
    }
  });

  it('does not count an event cut before its end', () => {
    const whole = event({ content: 'whole' });
    expect(deliveredCompletionTokens([enc.encode(whole + event({ content: 'cut off here' }).slice(0, -1))])).toBe(
      tokensForBytes(utf8ByteLength('whole')),
    );
  });

  it('is 0 for nothing delivered', () => {
    expect(deliveredCompletionTokens([])).toBe(0);
  });
});
