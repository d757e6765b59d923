import { describe, expect, it } from 'vitest';
import { parseResponsesRequest, toChatRequest } from './index.js';

const chat = (body: Record<string, unknown>) => toChatRequest(parseResponsesRequest(body));

describe('toChatRequest', () => {
  it('sends only the model and messages for a bare request', () => {
    expect(chat({ model: 'm', input: 'Hi' })).toEqual({ model: 'm', messages: [{ role: 'user', content: 'Hi' }] });
  });

  it('puts instructions first, as a system message, and developer messages as system', () => {
    expect(
      chat({
        model: 'm',
        instructions: 'Be brief.',
        input: [
          { role: 'developer', content: 'No emoji.' },
          { role: 'user', content: 'Hi' },
        ],
      }).messages,
    ).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'system', content: 'No emoji.' },
      { role: 'user', content: 'Hi' },
    ]);
  });

  it('maps the settings onto their chat-completions names', () => {
    expect(
      chat({
        model: 'm',
        input: 'Hi',
        max_output_tokens: 300,
        temperature: 0.3,
        top_p: 0.8,
        stream: true,
        tools: [
          {
            type: 'function',
            name: 'get_weather',
            description: 'Weather',
            parameters: { type: 'object' },
            strict: true,
          },
          { type: 'function', name: 'now', strict: null },
        ],
        tool_choice: 'required',
        parallel_tool_calls: false,
        text: { format: { type: 'json_object' }, verbosity: 'high' },
        reasoning: { effort: 'xhigh', summary: 'detailed' },
        user: 'end-user-7',
        metadata: { a: 'b' },
        store: false,
        models: ['m', 'n'],
        provider: { order: ['deepseek'] },
      }),
    ).toEqual({
      model: 'm',
      messages: [{ role: 'user', content: 'Hi' }],
      models: ['m', 'n'],
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: 300,
      temperature: 0.3,
      top_p: 0.8,
      tools: [
        {
          type: 'function',
          function: { name: 'get_weather', description: 'Weather', parameters: { type: 'object' }, strict: true },
        },
        { type: 'function', function: { name: 'now' } },
      ],
      tool_choice: 'required',
      parallel_tool_calls: false,
      response_format: { type: 'json_object' },
      verbosity: 'high',
      reasoning: { effort: 'high' },
      user: 'end-user-7',
      provider: { order: ['deepseek'] },
    });
  });

  it('maps a function tool_choice, a json_schema format, and OpenRouter reasoning fields', () => {
    const body = chat({
      model: 'm',
      input: 'Hi',
      tool_choice: { type: 'function', name: 'f' },
      text: {
        format: { type: 'json_schema', name: 'out', description: 'd', schema: { type: 'object' }, strict: true },
      },
      reasoning: { effort: 'none', max_tokens: 100, exclude: true, enabled: false },
    });
    expect(body['tool_choice']).toEqual({ type: 'function', function: { name: 'f' } });
    expect(body.response_format).toEqual({
      type: 'json_schema',
      json_schema: { name: 'out', description: 'd', schema: { type: 'object' }, strict: true },
    });
    expect(body['reasoning']).toEqual({ effort: 'none', max_tokens: 100, exclude: true, enabled: false });
  });

  it('sends no response_format for plain text, and no reasoning for a summary-only object', () => {
    const body = chat({ model: 'm', input: 'Hi', text: { format: { type: 'text' } }, reasoning: { summary: 'auto' } });
    expect('response_format' in body).toBe(false);
    expect('reasoning' in body).toBe(false);
  });

  it('folds reasoning, text and function calls into one assistant message, then the tool results', () => {
    const body = chat({
      model: 'm',
      input: [
        { role: 'user', content: 'Weather in Paris and Oslo?' },
        { type: 'reasoning', id: 'rs_1', summary: [{ type: 'summary_text', text: 'Two lookups.' }] },
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Checking.', annotations: [] }] },
        { type: 'function_call', call_id: 'c1', name: 'get_weather', arguments: '{"city":"Paris"}' },
        { type: 'function_call', call_id: 'c2', name: 'get_weather', arguments: '{"city":"Oslo"}' },
        { type: 'function_call_output', call_id: 'c1', output: '18C' },
        { type: 'function_call_output', call_id: 'c2', output: '9C' },
        { type: 'reasoning', id: 'rs_2', summary: [{ type: 'summary_text', text: 'Both known.' }] },
        { type: 'message', role: 'assistant', content: 'Paris 18C, Oslo 9C.' },
        { role: 'user', content: 'Thanks' },
      ],
    });
    expect(body.messages).toEqual([
      { role: 'user', content: 'Weather in Paris and Oslo?' },
      {
        role: 'assistant',
        content: 'Checking.',
        reasoning_content: 'Two lookups.',
        tool_calls: [
          { id: 'c1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
          { id: 'c2', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'c1', content: '18C' },
      { role: 'tool', tool_call_id: 'c2', content: '9C' },
      { role: 'assistant', content: 'Paris 18C, Oslo 9C.', reasoning_content: 'Both known.' },
      { role: 'user', content: 'Thanks' },
    ]);
  });

  it('gives a tool-call-only turn null content, and splits two assistant messages in a row', () => {
    const body = chat({
      model: 'm',
      input: [
        { type: 'function_call', call_id: 'c1', name: 'f', arguments: '{}' },
        { type: 'function_call_output', call_id: 'c1', output: 'x' },
        { role: 'assistant', content: 'one' },
        { role: 'assistant', content: 'two' },
      ],
    });
    expect(body.messages).toEqual([
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }],
      },
      { role: 'tool', tool_call_id: 'c1', content: 'x' },
      { role: 'assistant', content: 'one' },
      { role: 'assistant', content: 'two' },
    ]);
  });

  it('drops a reasoning item with no assistant output after it', () => {
    const body = chat({
      model: 'm',
      input: [
        { type: 'reasoning', id: 'rs_1', summary: [{ type: 'summary_text', text: 'hmm' }] },
        { role: 'user', content: 'Hi' },
      ],
    });
    expect(body.messages).toEqual([{ role: 'user', content: 'Hi' }]);
  });

  it('sends text-only parts as a string and image parts as chat parts', () => {
    const body = chat({
      model: 'm',
      input: [
        {
          role: 'user',
          content: [
            { type: 'input_text', text: 'a' },
            { type: 'input_text', text: 'b' },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'input_text', text: 'What is this?' },
            { type: 'input_image', image_url: 'https://x/cat.png', detail: 'high' },
            { type: 'input_image', image_url: 'data:image/png;base64,AA' },
          ],
        },
      ],
    });
    expect(body.messages).toEqual([
      { role: 'user', content: 'ab' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is this?' },
          { type: 'image_url', image_url: { url: 'https://x/cat.png', detail: 'high' } },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,AA' } },
        ],
      },
    ]);
  });
});
