import { InvalidArgumentError } from '@saferouter/errors';
import { describe, expect, it } from 'vitest';
import { deliveredText } from './delivered-text.js';

const chunk = (delta: Record<string, unknown>, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({
    id: 'c1',
    object: 'chat.completion.chunk',
    choices: [{ index: 0, delta, finish_reason: null }],
    ...extra,
  });

describe('deliveredText', () => {
  it('reads content, reasoning and tool-call text, in order', () => {
    expect(deliveredText(chunk({ role: 'assistant', content: '' }))).toBe('');
    expect(deliveredText(chunk({ reasoning_content: 'Think: 2+2. ' }))).toBe('Think: 2+2. ');
    expect(deliveredText(chunk({ content: '世界 😀' }))).toBe('世界 😀');
    const call = { index: 0, id: 't1', type: 'function', function: { name: 'lookup', arguments: '{"q":"é"}' } };
    expect(deliveredText(chunk({ tool_calls: [call] }))).toBe('lookup{"q":"é"}');
  });

  it('reads `reasoning`, `refusal` and every choice of n > 1', () => {
    expect(deliveredText(chunk({ reasoning: 'r', refusal: 'no' }))).toBe('rno');
    const both = JSON.stringify({
      choices: [
        { index: 0, delta: { content: 'A' } },
        { index: 1, delta: { content: 'B' } },
      ],
    });
    expect(deliveredText(both)).toBe('AB');
  });

  it('is empty for [DONE], usage-only chunks, comments and junk, without throwing', () => {
    for (const data of [
      '[DONE]',
      '',
      JSON.stringify({ choices: [], usage: { prompt_tokens: 3, completion_tokens: 9 } }),
      '{"content": oops',
      '{"choices":"x","content":1}',
      '{"choices":[null,{"delta":{"content":5}}]}',
    ]) {
      expect(deliveredText(data), data).toBe('');
    }
  });

  it('rejects a non-string', () => {
    expect(() => deliveredText(42 as unknown as string)).toThrow(InvalidArgumentError);
  });
});
