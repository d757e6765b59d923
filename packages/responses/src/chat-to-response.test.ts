import { describe, expect, it } from 'vitest';
import { chatToResponse, parseResponsesRequest, toResponsesUsage, type ResponseContext } from './index.js';
import { deepseekToolCompletion, deepseekUsage, openaiCompletion } from './testing/fixtures.js';

const ctx = (body: Record<string, unknown> = {}): ResponseContext => ({
  id: 'resp_abc',
  createdAt: 1_760_000_000,
  model: 'glm-4.6',
  request: parseResponsesRequest({ model: 'glm-4.6', input: 'Hi', ...body }),
});

describe('chatToResponse', () => {
  it('turns a text completion into a completed Response with one message item', () => {
    const res = chatToResponse(openaiCompletion, ctx());
    expect(res).toMatchObject({
      id: 'resp_abc',
      object: 'response',
      created_at: 1_760_000_000,
      status: 'completed',
      error: null,
      incomplete_details: null,
      model: 'glm-4.6',
      output: [
        {
          type: 'message',
          id: 'msg_abc_0',
          status: 'completed',
          role: 'assistant',
          content: [{ type: 'output_text', text: 'Hello, world!', annotations: [] }],
        },
      ],
      usage: {
        input_tokens: 12,
        input_tokens_details: { cached_tokens: 0 },
        output_tokens: 4,
        output_tokens_details: { reasoning_tokens: 0 },
        total_tokens: 16,
      },
      store: false,
      tool_choice: 'auto',
      tools: [],
      parallel_tool_calls: true,
      text: { format: { type: 'text' } },
      metadata: {},
    });
  });

  it('puts reasoning first, then the tool calls, and reports the usage it is given', () => {
    const usage = { ...toResponsesUsage(deepseekUsage)!, cost: 0.000123 };
    const res = chatToResponse(deepseekToolCompletion, ctx(), usage);
    expect(res['output']).toEqual([
      { id: 'rs_abc_0', type: 'reasoning', summary: [{ type: 'summary_text', text: 'I need the weather tool.' }] },
      {
        id: 'msg_abc_1',
        type: 'message',
        status: 'completed',
        role: 'assistant',
        content: [{ type: 'output_text', text: '', annotations: [], logprobs: [] }],
      },
      {
        id: 'fc_abc_2',
        type: 'function_call',
        status: 'completed',
        call_id: 'call_00_ds',
        name: 'get_weather',
        arguments: '{"city": "Paris"}',
      },
    ]);
    expect(res['usage']).toEqual(usage);
  });

  it('omits the message item when a tool call comes with null content', () => {
    const completion = structuredClone(deepseekToolCompletion) as {
      choices: Array<{ message: Record<string, unknown> }>;
    };
    completion.choices[0]!.message['content'] = null;
    const output = chatToResponse(completion, ctx())['output'] as Array<{ type: string }>;
    expect(output.map((item) => item.type)).toEqual(['reasoning', 'function_call']);
  });

  it('reports a length finish as incomplete: max_output_tokens', () => {
    const truncated = structuredClone(openaiCompletion);
    truncated.choices[0]!.finish_reason = 'length';
    const res = chatToResponse(truncated, ctx({ max_output_tokens: 4 }));
    expect(res['status']).toBe('incomplete');
    expect(res['incomplete_details']).toEqual({ reason: 'max_output_tokens' });
    expect(res['max_output_tokens']).toBe(4);
    expect((res['output'] as Array<{ status: string }>)[0]!.status).toBe('incomplete');
  });

  it('echoes the request settings and metadata', () => {
    const res = chatToResponse(
      openaiCompletion,
      ctx({
        instructions: 'Be brief.',
        temperature: 0.5,
        top_p: 0.9,
        tool_choice: 'none',
        parallel_tool_calls: false,
        metadata: { trace: 't' },
        reasoning: { effort: 'low', summary: 'auto' },
        text: { format: { type: 'json_object' } },
        tools: [{ type: 'function', name: 'f' }],
      }),
    );
    expect(res).toMatchObject({
      instructions: 'Be brief.',
      temperature: 0.5,
      top_p: 0.9,
      tool_choice: 'none',
      parallel_tool_calls: false,
      metadata: { trace: 't' },
      reasoning: { effort: 'low', summary: 'auto' },
      text: { format: { type: 'json_object' } },
      tools: [{ type: 'function', name: 'f', description: null, parameters: null, strict: null }],
    });
  });
});

describe('toResponsesUsage', () => {
  it('reads OpenAI and DeepSeek usage, keeping cost', () => {
    expect(toResponsesUsage({ ...deepseekUsage, prompt_tokens_details: undefined, cost: 0.5 })).toEqual({
      input_tokens: 20,
      input_tokens_details: { cached_tokens: 16 },
      output_tokens: 41,
      output_tokens_details: { reasoning_tokens: 33 },
      total_tokens: 61,
      cost: 0.5,
    });
    expect(toResponsesUsage({ prompt_tokens: 3, completion_tokens: 2 })?.total_tokens).toBe(5);
    expect(toResponsesUsage(null)).toBeUndefined();
  });
});
