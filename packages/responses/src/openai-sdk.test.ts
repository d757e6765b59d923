/**
 * Interop with the real openai SDK (`client.responses`), driven by a `fetch` that answers through
 * this package: what the SDK parses, accumulates and hands back must be the upstream's answer.
 */
import OpenAI from 'openai';
import type { ResponseInputItem, ResponseStreamEvent } from 'openai/resources/responses/responses';
import { describe, expect, it } from 'vitest';
import { toResponsesUsage } from './index.js';
import {
  deepseekReasoningChunks,
  deepseekToolChunks,
  deepseekToolCompletion,
  deepseekUsage,
  fakeResponsesFetch,
  openaiCompletion,
  openaiParallelToolChunks,
  openaiTextChunks,
  openaiToolChunks,
  type FakeUpstream,
} from './testing/fixtures.js';

function client(upstream: FakeUpstream | (() => FakeUpstream)) {
  const fake = fakeResponsesFetch(upstream);
  return {
    client: new OpenAI({ apiKey: 'x', baseURL: 'http://local/v1', fetch: fake.fetch, maxRetries: 0 }),
    calls: fake.calls,
  };
}

const weatherTool = {
  type: 'function' as const,
  name: 'get_weather',
  description: 'Current weather for a city',
  parameters: {
    type: 'object',
    properties: { city: { type: 'string' } },
    required: ['city'],
    additionalProperties: false,
  },
  strict: true,
};

describe('openai SDK: client.responses', () => {
  it('create() without streaming: output_text is the upstream text', async () => {
    const { client: openai, calls } = client({ completion: openaiCompletion });
    const res = await openai.responses.create({ model: 'glm-4.6', input: 'Say hello', instructions: 'Be brief.' });
    expect(res.output_text).toBe('Hello, world!');
    expect(res.status).toBe('completed');
    expect(res.usage?.output_tokens).toBe(4);
    expect(calls[0]!.url).toBe('http://local/v1/responses');
    expect(calls[0]!.chat.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Say hello' },
    ]);
  });

  it('create({ stream: true }): the text deltas add up to the upstream text, in sequence', async () => {
    const { client: openai } = client({ chunks: openaiTextChunks, splitEvery: 37 });
    const stream = await openai.responses.create({ model: 'glm-4.6', input: 'Say hello', stream: true });
    const events: ResponseStreamEvent[] = [];
    for await (const event of stream) events.push(event);
    const text = events.flatMap((e) => (e.type === 'response.output_text.delta' ? [e.delta] : [])).join('');
    expect(text).toBe('Hello, world!');
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    const last = events.at(-1)!;
    expect(last.type).toBe('response.completed');
    if (last.type === 'response.completed') expect(last.response.usage?.total_tokens).toBe(16);
  });

  it('responses.stream(): finalResponse() and the snapshots carry reasoning and text', async () => {
    const usage = { ...toResponsesUsage(deepseekUsage)!, cost: 0.0000123 };
    const { client: openai } = client({ chunks: deepseekReasoningChunks, splitEvery: 11, usage });
    const stream = openai.responses.stream({ model: 'deepseek-v4-flash', input: '9.11 or 9.8?' });
    const snapshots: string[] = [];
    stream.on('response.output_text.delta', (e) => snapshots.push(e.snapshot));
    const final = await stream.finalResponse();
    expect(snapshots).toEqual(['9.8', '9.8 is greater.']);
    expect(final.output_text).toBe('9.8 is greater.');
    const reasoning = final.output.find((o) => o.type === 'reasoning');
    expect(reasoning?.type === 'reasoning' && reasoning.summary[0]?.text).toBe('Compare 9.11 and 9.8: 0.8 > 0.11.');
    expect(final.usage).toMatchObject({
      input_tokens_details: { cached_tokens: 16 },
      output_tokens_details: { reasoning_tokens: 33 },
    });
  });

  it('a function call streamed in several argument deltas is reassembled', async () => {
    const { client: openai, calls } = client({ chunks: openaiToolChunks, splitEvery: 5 });
    const stream = openai.responses.stream({ model: 'glm-4.6', input: 'Weather in Paris?', tools: [weatherTool] });
    const deltas: string[] = [];
    stream.on('response.function_call_arguments.delta', (e) => deltas.push(e.delta));
    const final = await stream.finalResponse();
    expect(deltas.length).toBe(4);
    const call = final.output[0];
    expect(call?.type).toBe('function_call');
    if (call?.type !== 'function_call') return;
    expect(call.call_id).toBe('call_Wx1');
    expect(call.name).toBe('get_weather');
    expect(JSON.parse(call.arguments)).toEqual({ city: 'Paris', unit: 'c' });
    const { type: _function, ...fn } = weatherTool;
    expect(calls[0]!.chat.tools).toEqual([{ type: 'function', function: fn }]);
  });

  it('parallel tool calls stream into two function_call items', async () => {
    const { client: openai } = client({ chunks: openaiParallelToolChunks });
    const final = await openai.responses.stream({ model: 'glm-4.6', input: 'x', tools: [weatherTool] }).finalResponse();
    const args = final.output.flatMap((o) => (o.type === 'function_call' ? [[o.name, JSON.parse(o.arguments)]] : []));
    expect(args).toEqual([
      ['get_weather', { city: 'Oslo' }],
      ['get_time', { tz: 'CET' }],
    ]);
  });

  it('the tool loop: sending response.output back with the results reaches the upstream as chat', async () => {
    let turn = 0;
    const { client: openai, calls } = client(() =>
      turn++ === 0 ? { completion: deepseekToolCompletion } : { completion: openaiCompletion },
    );
    const input: ResponseInputItem[] = [{ role: 'user', content: 'Weather in Paris?' }];
    const first = await openai.responses.create({ model: 'deepseek-v4-flash', input, tools: [weatherTool] });
    const call = first.output.find((o) => o.type === 'function_call');
    expect(call?.type).toBe('function_call');
    if (call?.type !== 'function_call') return;
    input.push(...(first.output as ResponseInputItem[]), {
      type: 'function_call_output',
      call_id: call.call_id,
      output: '18C',
    });
    const second = await openai.responses.create({ model: 'deepseek-v4-flash', input, tools: [weatherTool] });
    expect(second.output_text).toBe('Hello, world!');
    expect(calls[1]!.chat.messages).toEqual([
      { role: 'user', content: 'Weather in Paris?' },
      {
        role: 'assistant',
        content: '',
        reasoning_content: 'I need the weather tool.',
        tool_calls: [
          { id: 'call_00_ds', type: 'function', function: { name: 'get_weather', arguments: '{"city": "Paris"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_00_ds', content: '18C' },
    ]);
  });

  it('a DeepSeek reasoning + tool stream accumulates both items', async () => {
    const { client: openai } = client({ chunks: deepseekToolChunks, splitEvery: 64 });
    const final = await openai.responses
      .stream({ model: 'deepseek-v4-flash', input: 'x', tools: [weatherTool] })
      .finalResponse();
    expect(final.output.map((o) => o.type)).toEqual(['reasoning', 'function_call']);
  });

  it('an untranslated feature reaches the SDK as a 400 naming it', async () => {
    const { client: openai } = client({ completion: openaiCompletion });
    const err = await openai.responses
      .create({ model: 'glm-4.6', input: 'Hi', previous_response_id: 'resp_old' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('previous_response_id');
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).code).toBe('unsupported_feature');
  });
});
