/**
 * The dashboard's pure helpers: money and token formatting, key masking, USD amount checks,
 * error messages (402 with the affordable tokens, 429 with the wait), answer costs (exact when
 * the gateway reports `usage.cost`, else estimated from catalog prices and marked so).
 */
import { describe, expect, it } from 'vitest';
import { ApiError, describeError, errorFrom, query, type Model } from './api';
import { maskKey, ms, perMillion, tokens, usd } from './format';
import { amountProblem } from '../pages/credits/amount';
import { costOf, isAnswer, type Answer } from '../pages/chat/answer';

describe('format', () => {
  it('shows exact decimal USD as given, with at least two decimals', () => {
    expect(usd('7.5')).toBe('$7.50');
    expect(usd('0.000021')).toBe('$0.000021');
    expect(usd('1234.5')).toBe('$1,234.50');
    expect(usd('10')).toBe('$10.00');
    expect(usd(undefined)).toBe('—');
  });

  it('turns per-token prices into prices per 1M tokens', () => {
    expect(perMillion('0.00000027')).toBe('$0.27');
    expect(perMillion('0.0000011')).toBe('$1.1');
    expect(perMillion('0')).toBe('free');
    expect(perMillion('not a number')).toBe('—');
  });

  it('abbreviates token counts and durations', () => {
    expect(tokens(64_000)).toBe('64K');
    expect(tokens(1_048_576)).toBe('1M');
    expect(tokens(999)).toBe('999');
    expect(ms(123.4)).toBe('123 ms');
    expect(ms(12_345)).toBe('12.3 s');
    expect(ms(null)).toBe('—');
  });

  it('masks a key to something recognisable but unusable', () => {
    const key = 'sk-sr-a6A6Qs7bDyZqVefd4DLbO547WaryADrub_Uko5867so';
    const masked = maskKey(key);
    expect(masked).toBe('sk-sr-a6A6…67so');
    expect(masked.length).toBeLessThan(20);
    expect(maskKey('short')).toBe('••••');
  });
});

describe('amountProblem', () => {
  it('accepts positive decimals with at most 6 places', () => {
    for (const ok of ['2.5', '10', '0.000001', '.5', ' 3 ']) expect(amountProblem(ok), ok).toBeUndefined();
  });
  it('refuses empty, negative, non-numeric, too precise and zero amounts', () => {
    for (const bad of ['', 'abc', '-1', '1.1234567', '1e3', '0', '0.000000'])
      expect(amountProblem(bad), bad).toBeDefined();
    expect(amountProblem('0', { allowZero: true })).toBeUndefined();
  });
});

describe('errors', () => {
  it('reads OpenAI-shaped errors, with metadata and Retry-After', async () => {
    const res = new Response(
      JSON.stringify({
        error: {
          message: 'no credit',
          type: 'insufficient_quota',
          code: 'insufficient_credits',
          metadata: { affordable_tokens: 1234 },
        },
      }),
      { status: 402, headers: { 'content-type': 'application/json' } },
    );
    const error = await errorFrom(res);
    expect(error).toBeInstanceOf(ApiError);
    expect(error.status).toBe(402);
    expect(error.code).toBe('insufficient_credits');
    expect(describeError(error)).toContain('affords 1,234 output tokens');
    const limited = await errorFrom(
      new Response(
        JSON.stringify({ error: { message: 'slow down', type: 'rate_limit_error', code: 'rate_limited' } }),
        {
          status: 429,
          headers: { 'retry-after': '7' },
        },
      ),
    );
    expect(limited.retryAfter).toBe(7);
    expect(describeError(limited)).toContain('retry in 7 s');
  });

  it('survives a body that is not JSON', async () => {
    const error = await errorFrom(new Response('<html>bad gateway</html>', { status: 502 }));
    expect(error.status).toBe(502);
    expect(error.message).toBe('The gateway answered HTTP 502.');
  });

  it('builds query strings from the set values only', () => {
    expect(query({ a: 'x y', b: undefined, c: '', d: 3 })).toBe('?a=x+y&d=3');
    expect(query({})).toBe('');
  });
});

describe('answer cost', () => {
  const model = (id: string, prompt: string, completion: string): Model => ({
    id,
    provider: 'p',
    context_length: 1,
    pricing: { prompt, completion, input_per_million_usd: '', output_per_million_usd: '' },
    capabilities: [],
    available: true,
  });
  const models = [model('a', '0.000001', '0.000002'), model('b', '0.00001', '0.00002')];
  const answer = (patch: Partial<Answer>): Answer => ({
    model: 'a',
    status: 'done',
    content: '',
    reasoning: '',
    ...patch,
  });

  it('uses usage.cost when the gateway reports it', () => {
    expect(costOf(answer({ usage: { prompt_tokens: 10, completion_tokens: 10, cost: 0.5 } }), models)).toEqual({
      usd: 0.5,
      estimated: false,
    });
  });
  it('else estimates from the answering model’s prices (a fallback’s, when one answered)', () => {
    const estimate = costOf(answer({ usage: { prompt_tokens: 100, completion_tokens: 50 } }), models);
    expect(estimate?.estimated).toBe(true);
    expect(estimate?.usd).toBeCloseTo(0.0002, 12);
    const viaFallback = costOf(
      answer({ fallbackTo: 'b', usage: { prompt_tokens: 100, completion_tokens: 50 } }),
      models,
    );
    expect(viaFallback?.usd).toBeCloseTo(0.002, 12);
  });
  it('has no cost without usage, and reads stored answers defensively', () => {
    expect(costOf(answer({}), models)).toBeUndefined();
    expect(isAnswer(answer({}))).toBe(true);
    expect(isAnswer({ model: 'a', status: 'exploded', content: '', reasoning: '' })).toBe(false);
    expect(isAnswer(null)).toBe(false);
  });
});
