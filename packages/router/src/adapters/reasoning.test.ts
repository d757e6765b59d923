// Reading the `reasoning` object, the shared adapter shape (gateway-only fields dropped, fast path), and bodyAdapterFor.
import { describe, expect, it } from 'vitest';
import type { ChatRequestBody } from '../spec.js';
import {
  bodyAdapterFor,
  deepseekAdapter,
  defineBodyAdapter,
  openAICompatibleAdapter,
  reasoningIntent,
  zaiAdapter,
  type AdapterKind,
} from './index.js';

const messages = [{ role: 'user', content: 'hi' }];

describe('reasoningIntent', () => {
  it.each<[unknown, ReturnType<typeof reasoningIntent>]>([
    [undefined, undefined],
    [null, undefined],
    ['high', undefined],
    [[], undefined],
    [{}, { on: true, effort: undefined }],
    [{ enabled: true }, { on: true, effort: undefined }],
    [{ exclude: true }, { on: true, effort: undefined }],
    [{ max_tokens: 2048 }, { on: true, effort: undefined }],
    [{ effort: 'minimal' }, { on: true, effort: 'minimal' }],
    [
      { effort: 'medium', exclude: true },
      { on: true, effort: 'medium' },
    ],
    [
      { effort: 'high', enabled: true },
      { on: true, effort: 'high' },
    ],
    [{ effort: 'bogus' }, { on: true, effort: undefined }],
    [{ effort: 'none' }, { on: false }],
    [{ enabled: false }, { on: false }],
    [{ enabled: false, effort: 'high' }, { on: false }],
    [{ enabled: true, effort: 'none' }, { on: false }],
  ])('%j → %j', (value, expected) => {
    expect(reasoningIntent(value)).toEqual(expected);
  });
});

describe('defineBodyAdapter', () => {
  const adapter = defineBodyAdapter((intent) => (intent.on ? { think: intent.effort ?? 'default' } : { think: 'off' }));

  it('returns the body itself when nothing changes', () => {
    const body: ChatRequestBody = { model: 'up', messages, temperature: 0 };
    expect(adapter(body, 'up')).toBe(body);
  });

  it('copies once to set the model, leaving the client body alone', () => {
    const body: ChatRequestBody = { model: 'client', messages, temperature: 0 };
    const out = adapter(body, 'up');
    expect(out).toEqual({ model: 'up', messages, temperature: 0 });
    expect(out).not.toBe(body);
    expect(body.model).toBe('client');
  });

  it('drops models, provider and reasoning, keeps the field order, and merges the mapping', () => {
    const body: ChatRequestBody = {
      model: 'client',
      messages,
      models: ['a', 'b'],
      provider: { order: ['x'] },
      reasoning: { effort: 'low' },
      think: 'client-value',
      seed: 1,
    };
    const before = structuredClone(body);
    const out = adapter(body, 'up');
    expect(out).toEqual({ model: 'up', messages, think: 'low', seed: 1 });
    expect(Object.keys(out)).toEqual(['model', 'messages', 'think', 'seed']);
    expect(body).toEqual(before);
  });

  it('drops a reasoning value that is not an object without mapping anything', () => {
    expect(adapter({ model: 'up', messages, reasoning: 'high' }, 'up')).toEqual({ model: 'up', messages });
  });

  it('treats an explicitly undefined gateway field like an absent one', () => {
    const body: ChatRequestBody = { model: 'up', messages, provider: undefined, reasoning: undefined };
    expect(adapter(body, 'up')).toBe(body);
  });
});

describe('bodyAdapterFor', () => {
  it.each<[AdapterKind, unknown]>([
    ['openai-compatible', openAICompatibleAdapter],
    ['deepseek', deepseekAdapter],
    ['zai', zaiAdapter],
  ])('%s', (kind, adapter) => {
    expect(bodyAdapterFor(kind)).toBe(adapter);
  });

  it('throws a RangeError for an unknown kind, even one named like an Object property', () => {
    expect(() => bodyAdapterFor('demo' as AdapterKind)).toThrow(RangeError);
    expect(() => bodyAdapterFor('toString' as AdapterKind)).toThrow(RangeError);
  });
});
