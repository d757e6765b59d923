import { InvalidArgumentError } from '@saferouter/errors';
import { describe, expect, it } from 'vitest';
import {
  estimateCompletionTokens,
  estimatePromptTokens,
  IMAGE_TOKENS,
  MESSAGE_OVERHEAD_TOKENS,
  REPLY_PRIMING_TOKENS,
  tokensForBytes,
  utf8ByteLength,
  type PromptSource,
} from './estimate.js';

const ENGLISH =
  'The quick brown fox jumps over the lazy dog. Billing must never under-hold a request by much, ' +
  'so the estimate leans high: about one token per three bytes, where English averages four. ';
// ~1 token per character in every mainstream tokenizer.
const CHINESE = '我们的网关按照每个请求的实际用量计费，流被中断时按已经交付的文本估算。';
const JAPANESE = 'ストリームが切断された場合は、すでに配信されたテキストから見積もります。';

function lcg(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1_103_515_245 + 12_345) % 2 ** 31;
    return s / 2 ** 31;
  };
}

describe('utf8ByteLength', () => {
  it('matches TextEncoder, including surrogate pairs and lone surrogates', () => {
    const samples = ['', 'a', 'é', '中', '😀', 'a😀b', '\ud800', '\udc00x', '\ud800\ud800', ENGLISH, CHINESE, JAPANESE];
    const encoder = new TextEncoder();
    for (const s of samples) expect(utf8ByteLength(s), JSON.stringify(s)).toBe(encoder.encode(s).byteLength);
  });
});

describe('tokensForBytes', () => {
  it('is ceil(bytes / 3)', () => {
    expect([0, 1, 2, 3, 4, 6, 7].map(tokensForBytes)).toEqual([0, 1, 1, 1, 2, 2, 3]);
    expect(() => tokensForBytes(-1)).toThrow(InvalidArgumentError);
    expect(() => tokensForBytes(1.5)).toThrow(InvalidArgumentError);
  });
});

describe('estimatePromptTokens', () => {
  it('counts each message as overhead plus its JSON at 3 bytes per token, plus reply priming', () => {
    const message = { role: 'user', content: 'Hello, world!' };
    const json = JSON.stringify(message); // 41 bytes → 14 tokens
    expect(json.length).toBe(41);
    expect(estimatePromptTokens({ messages: [message] })).toBe(REPLY_PRIMING_TOKENS + MESSAGE_OVERHEAD_TOKENS + 14);
    expect(estimatePromptTokens({ messages: [message] })).toBe(21);
    expect(estimatePromptTokens({ messages: [] })).toBe(REPLY_PRIMING_TOKENS);
  });

  it('stays above the usual real count for English (≈ 4 characters per token)', () => {
    const text = ENGLISH.repeat(20);
    const estimate = estimatePromptTokens({ messages: [{ role: 'user', content: text }] });
    expect(estimate).toBeGreaterThanOrEqual(Math.ceil(text.length / 3));
    expect(estimate).toBeGreaterThan(Math.ceil(text.length / 4) * 1.3);
  });

  it('gives CJK text at least one token per character', () => {
    for (const text of [CHINESE.repeat(30), JAPANESE.repeat(30), '한국어 텍스트도 마찬가지입니다'.repeat(30)]) {
      // Spaces are 1 byte and usually merge into the next token, so the bound is per non-space character.
      const chars = [...text.replace(/\s/g, '')].length;
      expect(estimatePromptTokens({ messages: [{ role: 'user', content: text }] })).toBeGreaterThanOrEqual(chars);
      expect(estimateCompletionTokens(text)).toBeGreaterThanOrEqual(chars);
    }
  });

  it('is monotonic: more text or more messages never lower it', () => {
    const random = lcg(42);
    const alphabet = ['a', ' ', 'é', '中', '😀', '\n', '"', '1'];
    let messages: { role: string; content: string }[] = [];
    let previous = estimatePromptTokens({ messages });
    for (let step = 0; step < 300; step++) {
      const char = alphabet[Math.floor(random() * alphabet.length)]!;
      if (messages.length === 0 || random() < 0.1) messages = [...messages, { role: 'user', content: char }];
      else {
        const last = messages[messages.length - 1]!;
        messages = [...messages.slice(0, -1), { ...last, content: last.content + char }];
      }
      const next = estimatePromptTokens({ messages });
      expect(next).toBeGreaterThanOrEqual(previous);
      previous = next;
    }
  });

  it('adds tools and a response_format schema by their JSON', () => {
    const messages = [{ role: 'user', content: 'weather in Paris?' }];
    const tools = [
      {
        type: 'function',
        function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
      },
    ];
    const base = estimatePromptTokens({ messages });
    expect(estimatePromptTokens({ messages, tools })).toBe(base + Math.ceil(JSON.stringify(tools).length / 3));
    expect(estimatePromptTokens({ messages, tools: [] })).toBe(base);
    const responseFormat = { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object' } } };
    expect(estimatePromptTokens({ messages, response_format: responseFormat })).toBe(
      base + Math.ceil(JSON.stringify(responseFormat).length / 3),
    );
  });

  it('counts an image part as a flat allowance, not by its base64 bytes', () => {
    const dataUrl = `data:image/png;base64,${'A'.repeat(1_000_000)}`;
    const withImage = {
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'what is this?' },
            { type: 'image_url', image_url: { url: dataUrl } },
          ],
        },
      ],
    };
    const withoutImage = { messages: [{ role: 'user', content: [{ type: 'text', text: 'what is this?' }, null] }] };
    expect(estimatePromptTokens(withImage)).toBe(estimatePromptTokens(withoutImage) + IMAGE_TOKENS);
  });

  it('counts tool calls and tool results in the history', () => {
    const call = {
      role: 'assistant',
      content: null,
      tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }],
    };
    const result = { role: 'tool', tool_call_id: 'c1', content: 'x'.repeat(300) };
    expect(estimatePromptTokens({ messages: [call, result] })).toBeGreaterThan(100 + 2 * MESSAGE_OVERHEAD_TOKENS);
  });

  it('rejects a body without a messages array', () => {
    expect(() => estimatePromptTokens(null as unknown as PromptSource)).toThrow(InvalidArgumentError);
    expect(() => estimatePromptTokens({} as unknown as PromptSource)).toThrow(/body\.messages/);
    expect(() => estimatePromptTokens({ messages: [], tools: {} as unknown as unknown[] })).toThrow(/body\.tools/);
    expect(() => estimatePromptTokens({ messages: [{ n: 1n }] })).toThrow(InvalidArgumentError);
  });
});

describe('estimateCompletionTokens', () => {
  it('is ceil(UTF-8 bytes / 3)', () => {
    expect(estimateCompletionTokens('')).toBe(0);
    expect(estimateCompletionTokens('Bonjour !')).toBe(3);
    expect(estimateCompletionTokens('héllo')).toBe(2);
    expect(estimateCompletionTokens('中文')).toBe(2);
    expect(estimateCompletionTokens('😀')).toBe(2);
  });

  it('grows with the text', () => {
    let previous = 0;
    for (let n = 0; n < 100; n++) {
      const next = estimateCompletionTokens('x中'.repeat(n));
      expect(next).toBeGreaterThanOrEqual(previous);
      previous = next;
    }
  });

  it('rejects a non-string', () => {
    expect(() => estimateCompletionTokens(42 as unknown as string)).toThrow(/deliveredText/);
  });
});
