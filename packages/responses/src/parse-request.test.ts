import { SafeRouterError } from '@saferouter/errors';
import { describe, expect, it } from 'vitest';
import { parseResponsesRequest } from './index.js';

/** The 400 a body is refused with, as `{ code, param }` plus its message. */
function refusal(body: unknown): { code: string; param: string | undefined; message: string } {
  try {
    parseResponsesRequest(body);
  } catch (err) {
    if (!SafeRouterError.isInstance(err)) throw err;
    expect(err.statusCode).toBe(400);
    expect(err.type).toBe('invalid_request_error');
    return { code: err.code, param: err.param, message: err.message };
  }
  throw new Error('expected a 400');
}

const ok = { model: 'glm-4.6', input: 'Hi' };

describe('parseResponsesRequest', () => {
  it('reads a string input as one user message and keeps only what was sent', () => {
    expect(parseResponsesRequest(ok)).toEqual({
      model: 'glm-4.6',
      input: [{ type: 'message', role: 'user', content: 'Hi' }],
    });
  });

  it('treats null fields as absent', () => {
    expect(
      parseResponsesRequest({ ...ok, instructions: null, previous_response_id: null, tools: null, truncation: null }),
    ).toEqual(parseResponsesRequest(ok));
  });

  it('normalises message items, parts, function calls, outputs and reasoning items', () => {
    const req = parseResponsesRequest({
      model: 'm',
      input: [
        { role: 'developer', content: 'Be terse.' },
        {
          type: 'message',
          role: 'user',
          content: [
            { type: 'input_text', text: 'What is this?' },
            { type: 'input_image', image_url: 'data:image/png;base64,AAAA', detail: 'low' },
            { type: 'input_image', image_url: 'https://x/y.png', detail: 'original' },
          ],
        },
        {
          id: 'rs_1',
          type: 'reasoning',
          summary: [
            { type: 'summary_text', text: 'a' },
            { type: 'summary_text', text: 'b' },
          ],
        },
        {
          id: 'msg_1',
          type: 'message',
          role: 'assistant',
          status: 'completed',
          content: [{ type: 'output_text', text: 'A cat.', annotations: [] }],
        },
        { type: 'function_call', id: 'fc_1', call_id: 'c1', name: 'f', arguments: '{}', status: 'completed' },
        {
          type: 'function_call_output',
          call_id: 'c1',
          output: [
            { type: 'input_text', text: 'o' },
            { type: 'input_text', text: 'k' },
          ],
        },
      ],
    });
    expect(req.input).toEqual([
      { type: 'message', role: 'developer', content: 'Be terse.' },
      {
        type: 'message',
        role: 'user',
        content: [
          { type: 'text', text: 'What is this?' },
          { type: 'image', url: 'data:image/png;base64,AAAA', detail: 'low' },
          { type: 'image', url: 'https://x/y.png', detail: undefined },
        ],
      },
      { type: 'reasoning', text: 'a\n\nb' },
      { type: 'message', role: 'assistant', content: [{ type: 'text', text: 'A cat.' }] },
      { type: 'function_call', call_id: 'c1', name: 'f', arguments: '{}' },
      { type: 'function_call_output', call_id: 'c1', output: 'ok' },
    ]);
  });

  it('reads every translated field', () => {
    const req = parseResponsesRequest({
      model: 'm',
      input: 'Hi',
      instructions: 'Be brief.',
      max_output_tokens: 256,
      tools: [{ type: 'function', name: 'f', parameters: { type: 'object', properties: {} }, strict: true }],
      tool_choice: { type: 'function', name: 'f' },
      temperature: 0.2,
      top_p: 0.9,
      stream: true,
      text: {
        format: { type: 'json_schema', name: 'out', schema: { type: 'object' }, strict: true },
        verbosity: 'low',
      },
      reasoning: { effort: 'high', summary: 'auto' },
      safety_identifier: 'u-1',
      parallel_tool_calls: false,
      metadata: { trace: 't1' },
      store: true,
      include: ['reasoning.encrypted_content'],
      models: ['a', 'b'],
      provider: { sort: 'price' },
      stream_options: { include_obfuscation: false },
      prompt_cache_key: 'k',
      max_tool_calls: 3,
      truncation: 'disabled',
      background: false,
      service_tier: 'auto',
      top_logprobs: 0,
    });
    expect(req).toEqual({
      model: 'm',
      input: [{ type: 'message', role: 'user', content: 'Hi' }],
      instructions: 'Be brief.',
      max_output_tokens: 256,
      tools: [
        {
          type: 'function',
          name: 'f',
          description: null,
          parameters: { type: 'object', properties: {} },
          strict: true,
        },
      ],
      tool_choice: { type: 'function', name: 'f' },
      temperature: 0.2,
      top_p: 0.9,
      stream: true,
      text: {
        format: { type: 'json_schema', name: 'out', schema: { type: 'object' }, strict: true },
        verbosity: 'low',
      },
      reasoning: { effort: 'high', summary: 'auto' },
      user: 'u-1',
      parallel_tool_calls: false,
      metadata: { trace: 't1' },
      store: true,
      include: ['reasoning.encrypted_content'],
      models: ['a', 'b'],
      provider: { sort: 'price' },
    });
  });

  it('prefers user over safety_identifier', () => {
    expect(parseResponsesRequest({ ...ok, user: 'a', safety_identifier: 'b' }).user).toBe('a');
  });

  it.each([
    [{ ...ok, previous_response_id: 'resp_1' }, 'previous_response_id'],
    [{ ...ok, conversation: 'conv_1' }, 'conversation'],
    [{ ...ok, background: true }, 'background'],
    [{ ...ok, prompt: { id: 'pmpt_1' } }, 'prompt'],
    [{ ...ok, truncation: 'auto' }, 'truncation'],
    [{ ...ok, top_logprobs: 5 }, 'top_logprobs'],
    [{ ...ok, service_tier: 'flex' }, 'service_tier'],
    [{ ...ok, context_management: [{ type: 'compaction' }] }, 'context_management'],
    [{ ...ok, tools: [{ type: 'web_search' }] }, 'tools[0].type'],
    [
      {
        ...ok,
        tools: [
          { type: 'function', name: 'f' },
          { type: 'file_search', vector_store_ids: [] },
        ],
      },
      'tools[1].type',
    ],
    [{ ...ok, tool_choice: { type: 'allowed_tools', mode: 'auto', tools: [] } }, 'tool_choice.type'],
    [{ ...ok, include: ['reasoning.encrypted_content', 'message.output_text.logprobs'] }, 'include[1]'],
    [{ ...ok, input: [{ type: 'item_reference', id: 'msg_1' }] }, 'input[0]'],
    [{ ...ok, input: [{ type: 'web_search_call', id: 'ws_1' }] }, 'input[0].type'],
    [{ ...ok, input: [{ role: 'user', content: [{ type: 'input_file', file_id: 'file-1' }] }] }, 'input[0].content[0]'],
    [
      { ...ok, input: [{ role: 'user', content: [{ type: 'input_image', file_id: 'file-1' }] }] },
      'input[0].content[0].file_id',
    ],
    [
      { ...ok, input: [{ role: 'system', content: [{ type: 'input_image', image_url: 'https://x' }] }] },
      'input[0].content',
    ],
    [
      {
        ...ok,
        input: [
          { type: 'function_call_output', call_id: 'c', output: [{ type: 'input_image', image_url: 'https://x' }] },
        ],
      },
      'input[0].output[0]',
    ],
  ])('refuses an untranslated feature with a 400 naming it (%#)', (body, param) => {
    const err = refusal(body);
    expect(err.code).toBe('unsupported_feature');
    expect(err.param).toBe(param);
    expect(err.message).toMatch(/not supported/);
  });

  it('says what to do about an item_reference', () => {
    expect(refusal({ ...ok, input: [{ type: 'item_reference', id: 'x' }] }).message).toMatch(/store to false/);
  });

  it.each([
    [{ input: 'Hi' }, 'model', 'missing_required_parameter'],
    [{ model: 'm' }, 'input', 'missing_required_parameter'],
    [{ model: 7, input: 'Hi' }, 'model', 'invalid_value'],
    [{ model: '', input: 'Hi' }, 'model', 'invalid_value'],
    [{ model: 'm', input: 42 }, 'input', 'invalid_value'],
    [{ model: 'm', input: [] }, 'input', 'invalid_value'],
    [{ ...ok, input: ['Hi'] }, 'input[0]', 'invalid_value'],
    [{ ...ok, input: [{ role: 'robot', content: 'x' }] }, 'input[0].role', 'invalid_value'],
    [{ ...ok, input: [{ role: 'user', content: 5 }] }, 'input[0].content', 'invalid_value'],
    [
      { ...ok, input: [{ role: 'user', content: [{ type: 'input_text', text: 1 }] }] },
      'input[0].content[0].text',
      'invalid_value',
    ],
    [{ ...ok, input: [{ type: 'function_call', call_id: 'c', name: 'f' }] }, 'input[0].arguments', 'invalid_value'],
    [{ ...ok, input: [{ type: 'function_call_output', output: 'x' }] }, 'input[0].call_id', 'invalid_value'],
    [{ ...ok, input: [{ content: 'x' }] }, 'input[0].type', 'invalid_value'],
    [{ ...ok, instructions: 1 }, 'instructions', 'invalid_value'],
    [{ ...ok, max_output_tokens: 0 }, 'max_output_tokens', 'invalid_value'],
    [{ ...ok, max_output_tokens: 1.5 }, 'max_output_tokens', 'invalid_value'],
    [{ ...ok, max_output_tokens: '10' }, 'max_output_tokens', 'invalid_value'],
    [{ ...ok, temperature: 3 }, 'temperature', 'invalid_value'],
    [{ ...ok, top_p: 'x' }, 'top_p', 'invalid_value'],
    [{ ...ok, stream: 'yes' }, 'stream', 'invalid_value'],
    [{ ...ok, tools: {} }, 'tools', 'invalid_value'],
    [{ ...ok, tools: [{ type: 'function' }] }, 'tools[0].name', 'invalid_value'],
    [{ ...ok, tools: [{ type: 'function', name: 'f', parameters: [] }] }, 'tools[0].parameters', 'invalid_value'],
    [{ ...ok, tools: [{ type: 'function', name: 'f', strict: 'yes' }] }, 'tools[0].strict', 'invalid_value'],
    [{ ...ok, tool_choice: 'always' }, 'tool_choice', 'invalid_value'],
    [{ ...ok, tool_choice: { type: 'function' } }, 'tool_choice.name', 'invalid_value'],
    [{ ...ok, text: { format: { type: 'yaml' } } }, 'text.format.type', 'invalid_value'],
    [{ ...ok, text: { format: { type: 'json_schema', schema: {} } } }, 'text.format.name', 'invalid_value'],
    [
      { ...ok, text: { format: { type: 'json_schema', name: 'x', schema: 'y' } } },
      'text.format.schema',
      'invalid_value',
    ],
    [{ ...ok, text: { verbosity: 'loud' } }, 'text.verbosity', 'invalid_value'],
    [{ ...ok, text: { formats: {} } }, 'text.formats', 'unknown_parameter'],
    [{ ...ok, reasoning: { effort: 'extreme' } }, 'reasoning.effort', 'invalid_value'],
    [{ ...ok, reasoning: 'high' }, 'reasoning', 'invalid_value'],
    [{ ...ok, reasoning: { mode: 'x' } }, 'reasoning.mode', 'unknown_parameter'],
    [{ ...ok, user: 5 }, 'user', 'invalid_value'],
    [{ ...ok, safety_identifier: 5 }, 'safety_identifier', 'invalid_value'],
    [{ ...ok, parallel_tool_calls: 1 }, 'parallel_tool_calls', 'invalid_value'],
    [{ ...ok, metadata: { a: 1 } }, 'metadata.a', 'invalid_value'],
    [{ ...ok, metadata: ['a'] }, 'metadata', 'invalid_value'],
    [
      { ...ok, metadata: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v'])) },
      'metadata',
      'invalid_value',
    ],
    [{ ...ok, store: 'no' }, 'store', 'invalid_value'],
    [{ ...ok, include: ['everything'] }, 'include[0]', 'invalid_value'],
    [{ ...ok, models: 'a' }, 'models', 'invalid_value'],
    [{ ...ok, provider: 'x' }, 'provider', 'invalid_value'],
    [{ ...ok, max_tokens: 10 }, 'max_tokens', 'unknown_parameter'],
    [{ ...ok, messages: [] }, 'messages', 'unknown_parameter'],
  ])('refuses a malformed field with a 400 naming it (%#)', (body, param, code) => {
    const err = refusal(body);
    expect(err.param).toBe(param);
    expect(err.code).toBe(code);
  });

  it('treats prototype names as unknown parameters, never as table entries (found by the gateway fuzz)', () => {
    for (const key of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      const body = JSON.parse(`{"model":"m","input":"x","${key}":""}`) as unknown;
      expect(refusal(body)).toMatchObject({ code: 'unknown_parameter', param: key });
    }
  });

  it('refuses a body that is not an object', () => {
    for (const body of [null, [], 'x', 1]) expect(refusal(body).code).toBe('invalid_value');
  });

  it('never quotes an odd key or type back', () => {
    const err = refusal({ ...ok, 'sk-secret value!': 1 });
    expect(err.code).toBe('unknown_parameter');
    expect(err.message).not.toContain('secret');
    expect(err.param).toBeUndefined();
    expect(refusal({ ...ok, input: [{ type: 'sk-secret value!' }] }).message).not.toContain('secret');
  });
});
