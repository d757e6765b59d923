import { describe, expect, it } from 'vitest';
import { chatToResponse, createResponsesStream, parseResponsesRequest, toChatRequest } from './index.js';
import { decodeReasoningToken, encodeReasoningToken } from './reasoning-token.js';
import { deepseekReasoningChunks, deepseekToolCompletion, parseSse } from './testing/fixtures.js';

describe('reasoning tokens', () => {
  it('round-trip any text, unicode and empty included', () => {
    for (const text of ['', 'think', 'naïve — 思考 🧠', 'a'.repeat(10_000), '\u0000\n"']) {
      const token = encodeReasoningToken(text);
      expect(token).toMatch(/^srr1\.[A-Za-z0-9_-]*$/);
      expect(decodeReasoningToken(token)).toBe(text);
    }
  });

  it('ignore tokens that are not ours or not valid', () => {
    for (const token of [undefined, null, 42, 'gAAAAABo…openai', 'srr1.***', 'srr1.A', 'srr1.__8']) {
      expect(decodeReasoningToken(token)).toBeUndefined();
    }
  });

  it('are attached to reasoning items for stateless clients only', () => {
    const ctx = (extra: Record<string, unknown>) => ({
      id: 'resp_t',
      createdAt: 1,
      model: 'm',
      request: parseResponsesRequest({ model: 'm', input: 'x', ...extra }),
    });
    const reasoningOf = (extra: Record<string, unknown>) =>
      (chatToResponse(deepseekToolCompletion, ctx(extra))['output'] as Array<Record<string, unknown>>)[0]!;
    expect('encrypted_content' in reasoningOf({})).toBe(false);
    expect(reasoningOf({ store: false })['encrypted_content']).toBe(encodeReasoningToken('I need the weather tool.'));
    expect(reasoningOf({ include: ['reasoning.encrypted_content'] })['encrypted_content']).toMatch(/^srr1\./);

    const s = createResponsesStream(ctx({ store: false }));
    const events = parseSse(
      s.start() +
        deepseekReasoningChunks.map((c) => s.chunk(c)).join('') +
        s.finish({ usage: undefined, status: 'completed' }),
    );
    const reasoningEvents = events.filter((e) => (e['item'] as { type?: string } | undefined)?.type === 'reasoning');
    expect(reasoningEvents.map((e) => (e['item'] as Record<string, unknown>)['encrypted_content'])).toEqual([
      null,
      encodeReasoningToken('Compare 9.11 and 9.8: 0.8 > 0.11.'),
    ]);
  });

  it('are read back into reasoning_content, ahead of the summary', () => {
    const body = toChatRequest(
      parseResponsesRequest({
        model: 'm',
        input: [
          {
            type: 'reasoning',
            id: 'rs_1',
            summary: [{ type: 'summary_text', text: 'summary' }],
            encrypted_content: encodeReasoningToken('full reasoning'),
          },
          { type: 'function_call', call_id: 'c', name: 'f', arguments: '{}' },
          {
            type: 'reasoning',
            id: 'rs_2',
            summary: [{ type: 'summary_text', text: 'kept' }],
            encrypted_content: 'foreign',
          },
          { type: 'message', role: 'assistant', content: 'done' },
        ],
      }),
    );
    expect(body.messages).toEqual([
      {
        role: 'assistant',
        content: null,
        reasoning_content: 'full reasoning',
        tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{}' } }],
      },
      { role: 'assistant', content: 'done', reasoning_content: 'kept' },
    ]);
  });
});
