/**
 * The shape of the answer itself: usage extras passed verbatim, tool calls (whole and streamed in
 * pieces), finish-reason overrides, empty answers, where a stream reports usage, and the request
 * as recorded. Parsed from real HTTP responses.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_CONTENT,
  DEFAULT_REASONING,
  startFakeUpstream,
  type FakeBehavior,
  type FakeUpstream,
} from './index.js';
import { chat, chunksOf, deltaOf, HELLO, parseSse, readAll } from './test-client.js';

let up: FakeUpstream;
beforeAll(async () => {
  up = await startFakeUpstream();
});
afterAll(() => up.close());
beforeEach(() => up.reset());

type Json = Record<string, unknown>;
interface Choice {
  delta: Json;
  finish_reason: string | null;
}

async function generate(model: string): Promise<Json> {
  return (await (await chat(up.url, { model, messages: HELLO })).json()) as Json;
}

async function stream(model: string, includeUsage = true): Promise<Json[]> {
  const res = await chat(up.url, {
    model,
    messages: HELLO,
    stream: true,
    ...(includeUsage ? { stream_options: { include_usage: true } } : {}),
  });
  const items = parseSse((await readAll(res)).text);
  expect(items.at(-1)).toEqual({ kind: 'data', data: '[DONE]' });
  return chunksOf(items);
}

const choicesOf = (chunk: Json): Choice[] => chunk['choices'] as Choice[];
const finishes = (chunks: Json[]): (string | null)[] =>
  chunks.flatMap((c) => choicesOf(c).map((choice) => choice.finish_reason));

/** Rebuilds tool calls from stream deltas the way the openai SDK does: by `index`, concatenating arguments. */
function reassemble(chunks: Json[]): { id: string; type: string; name: string; arguments: string }[] {
  const calls: { id: string; type: string; name: string; arguments: string }[] = [];
  for (const chunk of chunks) {
    const parts = (deltaOf(chunk)?.['tool_calls'] ?? []) as {
      index: number;
      id?: string;
      type?: string;
      function?: { name?: string; arguments?: string };
    }[];
    for (const part of parts) {
      const call = (calls[part.index] ??= { id: '', type: '', name: '', arguments: '' });
      if (part.id !== undefined) call.id = part.id;
      if (part.type !== undefined) call.type = part.type;
      if (part.function?.name !== undefined) call.name = part.function.name;
      call.arguments += part.function?.arguments ?? '';
    }
  }
  return calls;
}

describe('usage extras', () => {
  const behavior: FakeBehavior = {
    usage: {
      prompt_tokens: 100,
      completion_tokens: 20,
      prompt_cache_hit_tokens: 80,
      prompt_tokens_details: { cached_tokens: 80 },
      completion_tokens_details: { reasoning_tokens: 12 },
    },
  };
  const expected = {
    prompt_tokens: 100,
    completion_tokens: 20,
    total_tokens: 120,
    prompt_cache_hit_tokens: 80,
    prompt_tokens_details: { cached_tokens: 80 },
    completion_tokens_details: { reasoning_tokens: 12 },
  };

  it('are sent verbatim, without the default cache counters, in the non-stream body', async () => {
    up.setBehavior('m', behavior);
    expect((await generate('m'))['usage']).toEqual(expected);
  });

  it('are sent verbatim in the stream usage chunk', async () => {
    up.setBehavior('m', behavior);
    const last = (await stream('m')).at(-1);
    expect(last).toMatchObject({ choices: [] });
    expect(last?.['usage']).toEqual(expected);
  });

  it('keep estimated counts when only extras are given, and may override total_tokens', async () => {
    up.setBehavior('m', { content: 'x'.repeat(40), usage: { prompt_tokens_details: { cached_tokens: 1 } } });
    expect((await generate('m'))['usage']).toEqual({
      prompt_tokens: 3,
      completion_tokens: 10,
      total_tokens: 13,
      prompt_tokens_details: { cached_tokens: 1 },
    });
    up.setBehavior('m', { usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 5 } });
    expect((await generate('m'))['usage']).toEqual({ prompt_tokens: 1, completion_tokens: 1, total_tokens: 5 });
  });

  it('leave the default DeepSeek usage shape alone when there are none', async () => {
    up.setBehavior('m', { usage: { prompt_tokens: 7, completion_tokens: 3 } });
    expect((await generate('m'))['usage']).toEqual({
      prompt_tokens: 7,
      completion_tokens: 3,
      total_tokens: 10,
      prompt_tokens_details: { cached_tokens: 0 },
      prompt_cache_hit_tokens: 0,
      prompt_cache_miss_tokens: 7,
    });
  });
});

describe('tool calls', () => {
  const toolCalls = [
    { name: 'get_weather', arguments: '{"city":"Paris","unit":"celsius"}' },
    { name: 'get_time', arguments: '{"tz":"Europe/Paris"}' },
  ];

  it('answer a non-stream call with message.tool_calls and finish_reason tool_calls', async () => {
    up.setBehavior('m', { toolCalls });
    const body = await generate('m');
    expect(body['choices']).toEqual([
      {
        index: 0,
        message: {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'call_fake_0', type: 'function', function: toolCalls[0] },
            { id: 'call_fake_1', type: 'function', function: toolCalls[1] },
          ],
        },
        logprobs: null,
        finish_reason: 'tool_calls',
      },
    ]);
  });

  it('stream a header delta per call, then its arguments across several deltas', async () => {
    up.setBehavior('m', { toolCalls, chunks: 4 });
    const chunks = await stream('m');
    const deltas = chunks.map(deltaOf).filter((d): d is Json => d !== undefined && 'tool_calls' in d);
    // Per call: one header, then four argument pieces.
    expect(deltas).toHaveLength(2 * (1 + 4));
    expect(deltas[0]).toEqual({
      tool_calls: [{ index: 0, id: 'call_fake_0', type: 'function', function: { name: 'get_weather', arguments: '' } }],
    });
    expect(deltas[1]).toEqual({ tool_calls: [{ index: 0, function: { arguments: '{"city":"' } }] });
    expect(chunks.some((c) => typeof deltaOf(c)?.['content'] === 'string' && deltaOf(c)?.['content'] !== '')).toBe(
      false,
    );
    expect(reassemble(chunks)).toEqual([
      { id: 'call_fake_0', type: 'function', ...toolCalls[0] },
      { id: 'call_fake_1', type: 'function', ...toolCalls[1] },
    ]);
    expect(finishes(chunks).filter((f) => f !== null)).toEqual(['tool_calls']);
    expect(chunks.at(-1)?.['usage']).toMatchObject({ completion_tokens: expect.any(Number) as number });
  });

  it('come after reasoning and explicit content', async () => {
    up.setBehavior('m', { toolCalls: toolCalls.slice(0, 1), reasoning: true, content: 'Let me check.' });
    const chunks = await stream('m', false);
    const kinds = chunks.map((c) => {
      const d = deltaOf(c) ?? {};
      if ('tool_calls' in d) return 't';
      if (typeof d['reasoning_content'] === 'string' && d['reasoning_content'] !== '') return 'r';
      return typeof d['content'] === 'string' && d['content'] !== '' ? 'c' : '-';
    });
    expect(kinds.join('').replace(/(.)\1+/g, '$1')).toBe('-rct-');
    const body = await generate('m');
    expect(choicesOf(body)[0]).toMatchObject({
      message: { content: 'Let me check.', reasoning_content: DEFAULT_REASONING },
      finish_reason: 'tool_calls',
    });
  });
});

describe('finishReason and emptyCompletion', () => {
  it('override the finish reason in both modes', async () => {
    up.setBehavior('m', { finishReason: 'length' });
    expect(choicesOf(await generate('m'))[0]?.finish_reason).toBe('length');
    expect(finishes(await stream('m')).filter((f) => f !== null)).toEqual(['length']);
  });

  it('null omits the finish reason: no finish chunk in a stream, null in a body', async () => {
    up.setBehavior('m', { finishReason: null });
    expect(choicesOf(await generate('m'))[0]?.finish_reason).toBeNull();
    const chunks = await stream('m', false);
    expect(finishes(chunks).every((f) => f === null)).toBe(true);
    // role + 8 content deltas, and nothing else.
    expect(chunks).toHaveLength(1 + 8);
    expect(chunks.map((c) => deltaOf(c)?.['content'] ?? '').join('')).toBe(DEFAULT_CONTENT);
  });

  it('an empty completion has no content deltas and 0 completion tokens', async () => {
    up.setBehavior('m', { emptyCompletion: true });
    const body = await generate('m');
    expect(choicesOf(body)[0]).toMatchObject({ message: { role: 'assistant', content: '' }, finish_reason: 'stop' });
    expect(body['usage']).toMatchObject({ completion_tokens: 0 });
    const chunks = await stream('m');
    expect(chunks.map(deltaOf)).toEqual([{ role: 'assistant', content: '' }, { content: '' }, undefined]);
    expect(chunks.at(-1)?.['usage']).toMatchObject({ completion_tokens: 0 });
  });

  it('an empty completion without a finish reason is just the role chunk', async () => {
    up.setBehavior('m', { emptyCompletion: true, finishReason: null });
    const chunks = await stream('m', false);
    expect(chunks.map(deltaOf)).toEqual([{ role: 'assistant', content: '' }]);
  });
});

describe('usageIn', () => {
  it("'last-content-chunk' puts usage in the finish chunk, with no choices:[] chunk", async () => {
    up.setBehavior('m', { usageIn: 'last-content-chunk', usage: { prompt_tokens: 5, completion_tokens: 6 } });
    const chunks = await stream('m');
    const withUsage = chunks.filter((c) => 'usage' in c);
    expect(withUsage).toHaveLength(1);
    expect(withUsage[0]).toBe(chunks.at(-1));
    expect(choicesOf(withUsage[0] as Json)[0]?.finish_reason).toBe('stop');
    expect(withUsage[0]?.['usage']).toMatchObject({ prompt_tokens: 5, completion_tokens: 6, total_tokens: 11 });
    expect(chunks.some((c) => choicesOf(c).length === 0)).toBe(false);
  });

  it("'last-content-chunk' without a finish reason uses the last delta, and still needs include_usage", async () => {
    up.setBehavior('m', { usageIn: 'last-content-chunk', finishReason: null });
    const chunks = await stream('m');
    expect(chunks.at(-1)?.['usage']).toBeDefined();
    expect(deltaOf(chunks.at(-1) as Json)?.['content']).not.toBe('');
    expect(chunks.filter((c) => 'usage' in c)).toHaveLength(1);
    expect((await stream('m', false)).some((c) => 'usage' in c)).toBe(false);
  });

  it("'final-chunk' is the default choices:[] chunk", async () => {
    up.setBehavior('m', { usageIn: 'final-chunk' });
    const chunks = await stream('m');
    expect(chunks.at(-1)).toMatchObject({ choices: [] });
    expect(chunks.at(-2)?.['usage']).toBeUndefined();
  });
});

describe('recorded request', () => {
  it('is the parsed JSON exactly as the client sent it', async () => {
    const sent = {
      model: 'm',
      messages: [...HELLO, { role: 'tool', tool_call_id: 'call_1', content: '{"t":21}' }],
      tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object', properties: {} } } }],
      tool_choice: { type: 'function', function: { name: 'f' } },
      response_format: { type: 'json_schema', json_schema: { name: 's', schema: { type: 'object' } } },
      stop: ['\n\n'],
      seed: 42,
      temperature: 0,
      top_p: 0.5,
      logprobs: true,
      thinking: { type: 'disabled' },
      user: 'u-1',
    };
    await chat(up.url, sent);
    expect(up.requests[0]?.body).toEqual(sent);
    expect(Object.keys(up.requests[0]?.body ?? {})).toEqual(Object.keys(sent));
  });
});

describe('validation of the answer fields', () => {
  it.each<[unknown, ErrorConstructor]>([
    [{ usage: 3 }, TypeError],
    [{ usage: { prompt_tokens: '1' } }, TypeError],
    [{ usage: { completion_tokens: -1 } }, RangeError],
    [{ usage: { prompt_tokens: 1.5 } }, RangeError],
    [{ toolCalls: {} }, TypeError],
    [{ toolCalls: [] }, RangeError],
    [{ toolCalls: [{ name: '', arguments: '{}' }] }, TypeError],
    [{ toolCalls: [{ name: 'f', arguments: {} }] }, TypeError],
    [{ finishReason: 1 }, TypeError],
    [{ usageIn: 'somewhere' }, RangeError],
    [{ emptyCompletion: 'yes' }, TypeError],
    [{ emptyCompletion: true, content: 'x' }, RangeError],
    [{ emptyCompletion: true, reasoning: true }, RangeError],
    [{ emptyCompletion: true, toolCalls: [{ name: 'f', arguments: '{}' }] }, RangeError],
  ])('%j is refused', (behavior, type) => {
    expect(() => up.setBehavior('m', behavior as FakeBehavior)).toThrow(type);
  });
});
