// Usage and finish_reason as billing reads them from whatever an upstream sends.
import { describe, expect, it } from 'vitest';
import { readFinishReason, readUsage } from './response-fields.js';

describe('readUsage', () => {
  it('keeps extra fields and fills total_tokens', () => {
    expect(readUsage({ usage: { prompt_tokens: 3, completion_tokens: 4, prompt_cache_hit_tokens: 1 } })).toEqual({
      prompt_tokens: 3,
      completion_tokens: 4,
      total_tokens: 7,
      prompt_cache_hit_tokens: 1,
    });
  });

  it('turns counts billing cannot use into safe whole numbers', () => {
    const usage = readUsage({ usage: { prompt_tokens: 2.2, completion_tokens: 1e300, total_tokens: -5 } });
    expect(usage).toMatchObject({ prompt_tokens: 3, completion_tokens: Number.MAX_SAFE_INTEGER, total_tokens: 0 });
    expect(readUsage({ usage: { prompt_tokens: 'x', completion_tokens: Number.NaN } })).toMatchObject({
      prompt_tokens: 0,
      completion_tokens: 0,
    });
  });

  it('reads nothing from junk', () => {
    for (const junk of [null, 1, 'usage', [], { usage: null }, { usage: [] }]) expect(readUsage(junk)).toBeUndefined();
  });
});

describe('readFinishReason', () => {
  it('reads the first choice’s string reason only', () => {
    expect(readFinishReason({ choices: [{ finish_reason: 'length' }] })).toBe('length');
    expect(readFinishReason({ choices: [{ finish_reason: null }] })).toBeUndefined();
    expect(readFinishReason({ choices: {} })).toBeUndefined();
  });
});
