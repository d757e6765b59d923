/**
 * Interop with the Vercel AI SDK's `@ai-sdk/openai` provider, whose default model speaks the
 * Responses API, driven by a `fetch` that answers through this package.
 */
import { createOpenAI } from '@ai-sdk/openai';
import { generateText, jsonSchema, stepCountIs, streamText, tool, type ToolSet } from 'ai';
import { describe, expect, it } from 'vitest';
import { toResponsesUsage } from './index.js';
import {
  deepseekReasoningChunks,
  deepseekToolChunks,
  deepseekToolCompletion,
  deepseekUsage,
  fakeResponsesFetch,
  openaiCompletion,
  openaiTextChunks,
  openaiToolChunks,
  type FakeUpstream,
} from './testing/fixtures.js';

function model(upstream: FakeUpstream, modelId = 'deepseek-v4-flash') {
  const fake = fakeResponsesFetch(upstream);
  const provider = createOpenAI({ apiKey: 'x', baseURL: 'http://local/v1', fetch: fake.fetch });
  return { model: provider(modelId), calls: fake.calls };
}

// A tool the caller executes itself (no `execute`). The cast works around ai 6's `ToolSet` type,
// which rejects an execute-less tool under `exactOptionalPropertyTypes`.
const tools: ToolSet = {
  get_weather: tool({
    description: 'Current weather for a city',
    inputSchema: jsonSchema<{ city: string; unit?: string | undefined }>({
      type: 'object',
      properties: { city: { type: 'string' }, unit: { type: 'string' } },
      required: ['city'],
      additionalProperties: false,
    }),
  }) as ToolSet[string],
};

describe('@ai-sdk/openai (Responses API by default)', () => {
  it('generateText: text and usage', async () => {
    const { model: m, calls } = model({ completion: openaiCompletion });
    const result = await generateText({ model: m, system: 'Be brief.', prompt: 'Say hello', maxOutputTokens: 50 });
    expect(result.text).toBe('Hello, world!');
    expect(result.finishReason).toBe('stop');
    expect(result.usage.inputTokens).toBe(12);
    expect(result.usage.outputTokens).toBe(4);
    expect(calls[0]!.url).toBe('http://local/v1/responses');
    expect(calls[0]!.chat).toMatchObject({
      max_tokens: 50,
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Say hello' },
      ],
    });
  });

  it('generateText: reasoning and a tool call', async () => {
    const { model: m } = model({ completion: deepseekToolCompletion });
    const result = await generateText({ model: m, prompt: 'Weather in Paris?', tools });
    expect(result.reasoningText).toBe('I need the weather tool.');
    expect(result.toolCalls.map((c) => [c.toolCallId, c.toolName, c.input])).toEqual([
      ['call_00_ds', 'get_weather', { city: 'Paris' }],
    ]);
    expect(result.finishReason).toBe('tool-calls');
    expect(result.usage.reasoningTokens).toBe(33);
    expect(result.usage.cachedInputTokens).toBe(16);
  });

  it('streamText: text deltas and usage', async () => {
    const { model: m, calls } = model({ chunks: openaiTextChunks, splitEvery: 29 });
    const errors: unknown[] = [];
    const result = streamText({ model: m, prompt: 'Say hello', onError: ({ error }) => void errors.push(error) });
    const deltas: string[] = [];
    for await (const delta of result.textStream) deltas.push(delta);
    expect(errors).toEqual([]);
    expect(deltas.join('')).toBe('Hello, world!');
    expect(await result.text).toBe('Hello, world!');
    expect(await result.finishReason).toBe('stop');
    expect((await result.usage).totalTokens).toBe(16);
    expect(calls[0]!.request.stream).toBe(true);
    expect(calls[0]!.chat.stream_options).toEqual({ include_usage: true });
  });

  it('streamText: DeepSeek reasoning arrives as reasoning, the answer as text', async () => {
    const usage = { ...toResponsesUsage(deepseekUsage)!, cost: 0.0000123 };
    const { model: m } = model({ chunks: deepseekReasoningChunks, splitEvery: 13, usage });
    const errors: unknown[] = [];
    const result = streamText({ model: m, prompt: '9.11 or 9.8?', onError: ({ error }) => void errors.push(error) });
    expect(await result.text).toBe('9.8 is greater.');
    expect(await result.reasoningText).toBe('Compare 9.11 and 9.8: 0.8 > 0.11.');
    expect(errors).toEqual([]);
    const reported = await result.usage;
    expect([reported.inputTokens, reported.cachedInputTokens, reported.reasoningTokens]).toEqual([20, 16, 33]);
    expect(reported.raw).toMatchObject({ cost: 0.0000123 });
  });

  it('streamText: a tool call streamed in argument deltas', async () => {
    const { model: m } = model({ chunks: openaiToolChunks, splitEvery: 7 });
    const errors: unknown[] = [];
    const result = streamText({
      model: m,
      prompt: 'Weather in Paris?',
      tools,
      onError: ({ error }) => void errors.push(error),
    });
    const inputDeltas: string[] = [];
    for await (const part of result.fullStream) if (part.type === 'tool-input-delta') inputDeltas.push(part.delta);
    expect(errors).toEqual([]);
    expect(inputDeltas).toEqual(['{"', 'city":"Pa', 'ris","unit"', ':"c"}']);
    const calls = await result.toolCalls;
    expect(calls.map((c) => [c.toolCallId, c.toolName, c.input])).toEqual([
      ['call_Wx1', 'get_weather', { city: 'Paris', unit: 'c' }],
    ]);
    expect(await result.finishReason).toBe('tool-calls');
  });

  it('streamText: a length finish is reported as length, with the text so far', async () => {
    const truncated = openaiTextChunks.map((c, i) =>
      i === 4 ? { choices: [{ index: 0, delta: {}, finish_reason: 'length' }] } : c,
    );
    const { model: m } = model({ chunks: truncated });
    const result = streamText({ model: m, prompt: 'Say hello', maxOutputTokens: 4 });
    expect(await result.text).toBe('Hello, world!');
    expect(await result.finishReason).toBe('length');
  });

  it('streamText: reasoning then a tool call (DeepSeek)', async () => {
    const { model: m } = model({ chunks: deepseekToolChunks });
    const result = streamText({ model: m, prompt: 'Weather in Paris?', tools });
    expect(await result.reasoningText).toBe('I need the weather tool.');
    expect((await result.toolCalls).map((c) => c.input)).toEqual([{ city: 'Paris' }]);
  });
});

describe('@ai-sdk/openai multi-step tool loops', () => {
  const executed = {
    get_weather: tool({
      description: 'Current weather for a city',
      inputSchema: jsonSchema<{ city: string }>({
        type: 'object',
        properties: { city: { type: 'string' } },
        required: ['city'],
      }),
      execute: async ({ city }) => `${city}: 18C`,
    }),
  };

  it('with store: false, the second step carries reasoning, the call and its result back as chat', async () => {
    let turn = 0;
    const fake = fakeResponsesFetch(() =>
      turn++ === 0 ? { completion: deepseekToolCompletion } : { completion: openaiCompletion },
    );
    const provider = createOpenAI({ apiKey: 'x', baseURL: 'http://local/v1', fetch: fake.fetch });
    const result = await generateText({
      model: provider('deepseek-v4-flash'),
      prompt: 'Weather in Paris?',
      tools: executed,
      stopWhen: stepCountIs(2),
      providerOptions: { openai: { store: false } },
    });
    expect(result.text).toBe('Hello, world!');
    expect(fake.calls[1]!.chat.messages).toEqual([
      { role: 'user', content: 'Weather in Paris?' },
      {
        role: 'assistant',
        content: null,
        reasoning_content: 'I need the weather tool.',
        tool_calls: [
          { id: 'call_00_ds', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_00_ds', content: 'Paris: 18C' },
    ]);
  });

  it('streamText with store: false does the same from a stream', async () => {
    let turn = 0;
    const fake = fakeResponsesFetch(() =>
      turn++ === 0 ? { chunks: deepseekToolChunks } : { chunks: openaiTextChunks },
    );
    const provider = createOpenAI({ apiKey: 'x', baseURL: 'http://local/v1', fetch: fake.fetch });
    const errors: unknown[] = [];
    const result = streamText({
      model: provider('deepseek-v4-flash'),
      prompt: 'Weather in Paris?',
      tools: executed,
      stopWhen: stepCountIs(2),
      providerOptions: { openai: { store: false } },
      onError: ({ error }) => void errors.push(error),
    });
    expect(await result.text).toBe('Hello, world!');
    expect(errors).toEqual([]);
    expect(fake.calls[1]!.chat.messages).toEqual([
      { role: 'user', content: 'Weather in Paris?' },
      {
        role: 'assistant',
        content: null,
        reasoning_content: 'I need the weather tool.',
        tool_calls: [
          { id: 'call_00_ds', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_00_ds', content: 'Paris: 18C' },
    ]);
  });

  it('with the default store: true, the item_reference it sends is refused with a 400 that says what to do', async () => {
    let turn = 0;
    const fake = fakeResponsesFetch(() =>
      turn++ === 0 ? { completion: deepseekToolCompletion } : { completion: openaiCompletion },
    );
    const provider = createOpenAI({ apiKey: 'x', baseURL: 'http://local/v1', fetch: fake.fetch });
    const err = await generateText({
      model: provider('deepseek-v4-flash'),
      prompt: 'Weather in Paris?',
      tools: executed,
      stopWhen: stepCountIs(2),
      maxRetries: 0,
    }).catch((e: unknown) => e);
    expect(String((err as Error).message)).toMatch(/store to false/);
    expect((err as { statusCode?: number }).statusCode).toBe(400);
  });
});
