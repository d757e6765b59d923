import { describe, expect, it } from 'vitest';
import { createResponsesStream, parseResponsesRequest, type ResponseContext, type ResponsesUsage } from './index.js';
import {
  deepseekReasoningChunks,
  deepseekToolChunks,
  openaiParallelToolChunks,
  openaiTextChunks,
  openaiToolChunks,
  parseSse,
} from './testing/fixtures.js';

type Event = Record<string, unknown> & { type: string; sequence_number: number };

const ctx: ResponseContext = {
  id: 'resp_s1',
  createdAt: 1_760_000_000,
  model: 'deepseek-v4-flash',
  request: parseResponsesRequest({ model: 'deepseek-v4-flash', input: 'Hi', stream: true }),
};

const usage: ResponsesUsage = {
  input_tokens: 20,
  input_tokens_details: { cached_tokens: 16 },
  output_tokens: 41,
  output_tokens_details: { reasoning_tokens: 33 },
  total_tokens: 61,
  cost: 0.000042,
};

function run(
  chunks: readonly unknown[],
  end: Parameters<ReturnType<typeof createResponsesStream>['finish']>[0] = { usage, status: 'completed' },
): Event[] {
  const s = createResponsesStream(ctx);
  const text = s.start() + chunks.map((c) => s.chunk(c)).join('') + s.finish(end);
  const events = parseSse(text) as Event[];
  checkInvariants(events);
  return events;
}

/**
 * What every stream must satisfy, whatever its input: sequence numbers 0…n-1; created and
 * in_progress first and one terminal event last; items added at the next output index and done
 * exactly once; deltas only for open items, adding up to the done text; the terminal response's
 * output equal to the done items, in order.
 */
function checkInvariants(events: Event[]) {
  expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
  expect(events[0]!.type).toBe('response.created');
  expect(events[1]!.type).toBe('response.in_progress');
  const last = events.at(-1)!;
  expect(['response.completed', 'response.incomplete', 'response.failed']).toContain(last.type);
  const open = new Map<number, { id: string; text: string }>();
  const done: unknown[] = [];
  for (const e of events.slice(2, -1)) {
    const index = e['output_index'] as number;
    if (e.type === 'response.output_item.added') {
      expect(index).toBe(open.size + done.length);
      open.set(index, { id: (e['item'] as { id: string }).id, text: '' });
      continue;
    }
    const item = open.get(index);
    expect(item, `${e.type} for an open item`).toBeDefined();
    if (e.type !== 'response.output_item.done') expect(e['item_id']).toBe(item!.id);
    if (e.type.endsWith('.delta')) item!.text += e['delta'] as string;
    if (e.type === 'response.output_text.done' || e.type === 'response.reasoning_summary_text.done') {
      expect(e['text']).toBe(item!.text);
    }
    if (e.type === 'response.function_call_arguments.done') expect(e['arguments']).toBe(item!.text);
    if (e.type === 'response.output_item.done') {
      open.delete(index);
      done[index] = e['item'];
    }
  }
  expect(open.size).toBe(0);
  expect((last['response'] as { output: unknown[] }).output).toEqual(done);
}

const types = (events: Event[]) => events.map((e) => e.type);

describe('createResponsesStream', () => {
  it('emits the full message sequence for an OpenAI text stream', () => {
    const events = run(openaiTextChunks);
    expect(types(events)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(events[0]).toMatchObject({ response: { id: 'resp_s1', status: 'in_progress', output: [], usage: null } });
    expect(events[4]).toEqual({
      type: 'response.output_text.delta',
      sequence_number: 4,
      item_id: 'msg_s1_0',
      output_index: 0,
      content_index: 0,
      delta: 'Hello',
      logprobs: [],
    });
    expect(events.at(-1)).toMatchObject({
      response: {
        status: 'completed',
        usage,
        output: [{ type: 'message', status: 'completed', content: [{ type: 'output_text', text: 'Hello, world!' }] }],
      },
    });
  });

  it('streams DeepSeek reasoning as a summary item before the message', () => {
    const events = run(deepseekReasoningChunks);
    expect(types(events)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.reasoning_summary_part.added',
      'response.reasoning_summary_text.delta',
      'response.reasoning_summary_text.delta',
      'response.reasoning_summary_text.done',
      'response.reasoning_summary_part.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect((events.at(-1)!['response'] as { output: unknown[] }).output).toEqual([
      {
        id: 'rs_s1_0',
        type: 'reasoning',
        summary: [{ type: 'summary_text', text: 'Compare 9.11 and 9.8: 0.8 > 0.11.' }],
      },
      {
        id: 'msg_s1_1',
        type: 'message',
        status: 'completed',
        role: 'assistant',
        content: [{ type: 'output_text', text: '9.8 is greater.', annotations: [], logprobs: [] }],
      },
    ]);
  });

  it('streams a tool call as a function_call item with argument deltas', () => {
    const events = run(openaiToolChunks);
    expect(types(events).slice(2)).toEqual([
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(events[2]!['item']).toEqual({
      id: 'fc_s1_0',
      type: 'function_call',
      status: 'in_progress',
      call_id: 'call_Wx1',
      name: 'get_weather',
      arguments: '',
    });
    expect(events.at(-2)!['item']).toMatchObject({ status: 'completed', arguments: '{"city":"Paris","unit":"c"}' });
  });

  it('keeps interleaved parallel tool calls apart', () => {
    const events = run(openaiParallelToolChunks);
    const output = (events.at(-1)!['response'] as { output: Array<Record<string, unknown>> }).output;
    expect(output.map((o) => [o['call_id'], o['name'], o['arguments']])).toEqual([
      ['call_A', 'get_weather', '{"city":"Oslo"}'],
      ['call_B', 'get_time', '{"tz":"CET"}'],
    ]);
  });

  it('handles reasoning, then a tool call whose last chunk carries finish and usage', () => {
    const events = run(deepseekToolChunks, { usage: undefined, status: 'completed' });
    const final = events.at(-1)!['response'] as { output: Array<Record<string, unknown>>; usage: unknown };
    expect(final.output.map((o) => o['type'])).toEqual(['reasoning', 'function_call']);
    expect(final.output[1]!['arguments']).toBe('{"city": "Paris"}');
    // No usage from the caller: the chunks' own, translated.
    expect(final.usage).toMatchObject({
      input_tokens: 20,
      input_tokens_details: { cached_tokens: 16 },
      output_tokens: 41,
    });
  });

  it('handles one chunk carrying reasoning, content, two tool calls, finish and usage at once', () => {
    const everything = {
      choices: [
        {
          index: 0,
          delta: {
            reasoning_content: 'think',
            content: 'text',
            tool_calls: [
              { index: 0, id: 'c0', function: { name: 'a', arguments: '{}' } },
              { index: 1, id: 'c1', function: { name: 'b', arguments: '{"x":1}' } },
            ],
          },
          finish_reason: 'tool_calls',
        },
      ],
      usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 },
    };
    const events = run([everything, { choices: [] }]);
    const output = (events.at(-1)!['response'] as { output: Array<Record<string, unknown>> }).output;
    expect(output.map((o) => o['type'])).toEqual(['reasoning', 'message', 'function_call', 'function_call']);
    expect(output.map((o) => o['id'])).toEqual(['rs_s1_0', 'msg_s1_1', 'fc_s1_2', 'fc_s1_3']);
  });

  it('opens a new item each time reasoning and text alternate', () => {
    const d = (delta: Record<string, unknown>) => ({ choices: [{ index: 0, delta }] });
    const events = run([
      d({ reasoning_content: 'a' }),
      d({ content: 'b' }),
      d({ reasoning_content: 'c' }),
      d({ content: 'd' }),
    ]);
    const output = (events.at(-1)!['response'] as { output: Array<{ type: string }> }).output;
    expect(output.map((o) => o.type)).toEqual(['reasoning', 'message', 'reasoning', 'message']);
  });

  it('buffers arguments that arrive before the function name', () => {
    const d = (tc: Record<string, unknown>) => ({ choices: [{ index: 0, delta: { tool_calls: [tc] } }] });
    const events = run([
      d({ index: 0, function: { arguments: '{"a"' } }),
      d({ index: 0, id: 'late', function: { name: 'f', arguments: ':1}' } }),
    ]);
    expect(events[2]).toMatchObject({ type: 'response.output_item.added', item: { call_id: 'late', name: 'f' } });
    expect(events[3]).toMatchObject({ type: 'response.function_call_arguments.delta', delta: '{"a":1}' });
    expect(events.at(-2)!['item']).toMatchObject({ arguments: '{"a":1}' });
  });

  it('closes a nameless call at the end with a generated call id', () => {
    const events = run([
      { choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: '{}' } }] } }] },
    ]);
    expect(events.at(-2)!['item']).toMatchObject({
      type: 'function_call',
      call_id: 'call_s1_0',
      name: '',
      arguments: '{}',
    });
  });

  it('ends incomplete when the chunks finished with length', () => {
    const chunks = [{ choices: [{ index: 0, delta: { content: 'Hel' }, finish_reason: 'length' }] }];
    const events = run(chunks);
    expect(events.at(-1)).toMatchObject({
      type: 'response.incomplete',
      response: { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' }, usage },
    });
    expect(events.at(-2)!['item']).toMatchObject({ status: 'incomplete' });
  });

  it('ends failed, closing open items as incomplete, with the error', () => {
    const events = run(openaiTextChunks.slice(0, 3), {
      usage: undefined,
      status: 'failed',
      error: { code: 'upstream_error', message: 'The upstream closed the connection.' },
    });
    expect(events.at(-1)).toMatchObject({
      type: 'response.failed',
      response: { status: 'failed', error: { code: 'upstream_error', message: 'The upstream closed the connection.' } },
    });
    expect(events.at(-2)!['item']).toMatchObject({ status: 'incomplete', content: [{ text: 'Hello, wor' }] });
  });

  it('ends with only the lifecycle events when nothing came', () => {
    expect(types(run([]))).toEqual(['response.created', 'response.in_progress', 'response.completed']);
  });

  it('ignores chunks without choices or with empty deltas, and anything after finish', () => {
    const s = createResponsesStream(ctx);
    s.start();
    expect(s.chunk({ choices: [] })).toBe('');
    expect(s.chunk({ choices: [{ index: 0, delta: { content: '' } }] })).toBe('');
    expect(s.chunk('junk')).toBe('');
    expect(s.finish({ usage, status: 'completed' })).toContain('response.completed');
    expect(s.chunk(openaiTextChunks[1])).toBe('');
    expect(s.finish({ usage, status: 'completed' })).toBe('');
  });

  it('starts by itself when the first call is a chunk', () => {
    const s = createResponsesStream(ctx);
    const events = parseSse(s.chunk(openaiTextChunks[1]));
    expect(events.map((e) => e['type']).slice(0, 2)).toEqual(['response.created', 'response.in_progress']);
    expect(s.start()).toBe('');
  });
});
