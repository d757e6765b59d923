import { InvalidArgumentError } from '@saferouter/errors';
import { describe, expect, it } from 'vitest';
import { costMicros, type Pricing } from './money.js';
import {
  affordableOutputTokens,
  holdMicros,
  InsufficientCreditsError,
  insufficientCreditsMessage,
  promptAffordable,
  type InsufficientCredits,
} from './hold.js';

const sonnet: Pricing = { inputMicrosPerMillion: 3_000_000, outputMicrosPerMillion: 15_000_000 };

describe('holdMicros', () => {
  it('is the cost of the prompt plus every allowed output token, rounded up', () => {
    expect(holdMicros(sonnet, { promptTokens: 1200, maxOutputTokens: 4096 })).toBe(65_040);
    expect(
      holdMicros({ inputMicrosPerMillion: 1, outputMicrosPerMillion: 1 }, { promptTokens: 1, maxOutputTokens: 1 }),
    ).toBe(1);
    expect(
      holdMicros({ inputMicrosPerMillion: 0, outputMicrosPerMillion: 0 }, { promptTokens: 1e9, maxOutputTokens: 1e9 }),
    ).toBe(0);
  });

  it('validates its input', () => {
    expect(() => holdMicros(sonnet, { promptTokens: 1, maxOutputTokens: -1 })).toThrow(/input\.maxOutputTokens/);
    expect(() => holdMicros(sonnet, null as unknown as { promptTokens: number; maxOutputTokens: number })).toThrow(
      InvalidArgumentError,
    );
  });
});

describe('affordableOutputTokens', () => {
  it('is the floor of what the remaining budget pays for', () => {
    const p: Pricing = { inputMicrosPerMillion: 1_000_000, outputMicrosPerMillion: 2_000_000 };
    // 1000 µ$ = 1e9 µ$/M-units; prompt 100 × 1e6 = 1e8; (9e8) / 2e6 = 450.
    expect(affordableOutputTokens(p, 1_000, 100)).toBe(450);
    expect(affordableOutputTokens(p, 1_000, 1_000)).toBe(0); // the prompt takes it all
    expect(affordableOutputTokens(p, 1_000, 1_001)).toBe(0); // not even the prompt
    expect(affordableOutputTokens(p, 0, 0)).toBe(0);
  });

  it('agrees with costMicros: n is affordable, n + 1 is not', () => {
    let seed = 7;
    const rand = (max: number): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % max;
    };
    for (let i = 0; i < 500; i++) {
      const p: Pricing = { inputMicrosPerMillion: rand(20_000_000), outputMicrosPerMillion: 1 + rand(80_000_000) };
      const available = rand(5_000_000);
      const prompt = rand(200_000);
      const n = affordableOutputTokens(p, available, prompt);
      if (!promptAffordable(p, available, prompt)) {
        expect(n).toBe(0);
        continue;
      }
      expect(costMicros(p, { promptTokens: prompt, completionTokens: n })).toBeLessThanOrEqual(available);
      expect(costMicros(p, { promptTokens: prompt, completionTokens: n + 1 })).toBeGreaterThan(available);
    }
  });

  it('is unbounded (MAX_SAFE_INTEGER) when output is free and the prompt affordable', () => {
    expect(affordableOutputTokens({ inputMicrosPerMillion: 1, outputMicrosPerMillion: 0 }, 5, 10)).toBe(
      Number.MAX_SAFE_INTEGER,
    );
    expect(affordableOutputTokens({ inputMicrosPerMillion: 0, outputMicrosPerMillion: 1 }, 1e15, 0)).toBe(
      Number.MAX_SAFE_INTEGER,
    );
  });

  it('validates its arguments', () => {
    expect(() => affordableOutputTokens(sonnet, -1, 0)).toThrow(/availableMicros/);
    expect(() => affordableOutputTokens(sonnet, 1, 0.5)).toThrow(/promptTokens/);
  });
});

describe('promptAffordable', () => {
  it('compares the rounded-up prompt cost with the balance', () => {
    const p: Pricing = { inputMicrosPerMillion: 1_000_000, outputMicrosPerMillion: 0 };
    expect(promptAffordable(p, 2, 2)).toBe(true);
    expect(promptAffordable(p, 1, 2)).toBe(false);
    expect(promptAffordable({ inputMicrosPerMillion: 1, outputMicrosPerMillion: 0 }, 0, 1)).toBe(false); // 1e-6 µ$ rounds up to 1
  });
});

const info = (overrides: Partial<InsufficientCredits> = {}): InsufficientCredits => ({
  requestedTokens: 8192,
  affordableTokens: 1234,
  promptTokens: 500,
  availableMicros: 20_010,
  requiredMicros: 124_380,
  promptAffordable: true,
  ...overrides,
});

describe('insufficientCreditsMessage', () => {
  it("speaks OpenRouter's words and names the top-up route", () => {
    expect(insufficientCreditsMessage(info())).toBe(
      'This request requires more credits, or fewer max_tokens. You requested up to 8192 tokens, but can only afford 1234. ' +
        'To increase, add credits with POST /v1/credits/topup.',
    );
  });

  it('says so when not even the prompt is affordable', () => {
    const message = insufficientCreditsMessage(
      info({ affordableTokens: 0, promptAffordable: false, availableMicros: 1_500 }),
    );
    expect(message).toContain('Its prompt (about 500 tokens) alone costs more than the available $0.0015');
    expect(message).toContain('no output tokens are affordable');
    expect(message).toContain('POST /v1/credits/topup');
    expect(message).not.toContain('max_tokens');
  });
});

describe('InsufficientCreditsError', () => {
  it('carries a 402 in OpenAI error shape and the affordable tokens', () => {
    const err = new InsufficientCreditsError(info());
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('InsufficientCreditsError');
    expect(err.statusCode).toBe(402);
    expect(err.type).toBe('insufficient_quota');
    expect(err.code).toBe('insufficient_credits');
    expect(err.affordableTokens).toBe(1234);
    expect(err.requestedTokens).toBe(8192);
    expect(err.availableMicros).toBe(20_010);
    expect(err.requiredMicros).toBe(124_380);
    expect(err.toJSON()).toEqual({
      error: {
        message: insufficientCreditsMessage(info()),
        type: 'insufficient_quota',
        code: 'insufficient_credits',
        metadata: {
          affordable_tokens: 1234,
          requested_tokens: 8192,
          prompt_tokens: 500,
          available_usd: '0.02001',
          required_usd: '0.12438',
        },
      },
    });
    expect(JSON.parse(JSON.stringify(err))).toEqual(err.toJSON());
    // The bytes a client gets (and a receipt hashes) carry the same metadata.
    expect(JSON.parse(new TextDecoder().decode(err.responseBody()))).toEqual(err.toJSON());
  });

  it('says in metadata when no output token is affordable', () => {
    const err = new InsufficientCreditsError(
      info({ affordableTokens: 0, promptAffordable: false, availableMicros: 0, requiredMicros: 1 }),
    );
    expect(err.toJSON().error.metadata).toEqual({
      affordable_tokens: 0,
      requested_tokens: 8192,
      prompt_tokens: 500,
      available_usd: '0',
      required_usd: '0.000001',
    });
  });

  it('is recognised by marker, and joins the router error family', () => {
    const err: unknown = new InsufficientCreditsError(info());
    expect(InsufficientCreditsError.isInstance(err)).toBe(true);
    expect(InsufficientCreditsError.isInstance(new Error('x'))).toBe(false);
    expect(InsufficientCreditsError.isInstance(null)).toBe(false);
    // SafeRouterError.isInstance() checks this registered symbol; fallback reads isRetryable.
    expect((err as Record<symbol, unknown>)[Symbol.for('saferouter.error')]).toBe(true);
    expect((err as { isRetryable: boolean }).isRetryable).toBe(true);
  });
});
