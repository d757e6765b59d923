// The offline demo provider: valid deterministic SSE and JSON, thinking deltas, usage, cancel and abort.
import { createParser } from 'eventsource-parser';
import { describe, expect, it } from 'vitest';
import { readText } from '../test/http.js';
import { createDemoProvider, demoAnswer } from './demo.js';
import { AbortedError } from './errors.js';
import type { ChatRequestBody } from './spec.js';

const demo = createDemoProvider({ now: () => 1_700_000_000_000 });
const body: ChatRequestBody = {
  model: 'saferouter/demo',
  messages: [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'first question' },
    { role: 'assistant', content: 'ok' },
    { role: 'user', content: [{ type: 'text', text: 'What is   SafeRouter?' }] },
  ],
};

interface Chunk {
  id: string;
  object: string;
  created: number;
  model: string;
  choices: {
    index: number;
    delta: { role?: string; content?: string; reasoning_content?: string };
    finish_reason: string | null;
  }[];
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

function events(text: string): string[] {
  const out: string[] = [];
  const parser = createParser({ onEvent: (e) => out.push(e.data) });
  parser.feed(text);
  return out;
}

function chunks(text: string): Chunk[] {
  const data = events(text);
  expect(data.at(-1)).toBe('[DONE]');
  return data.slice(0, -1).map((d) => JSON.parse(d) as Chunk);
}

describe('demo provider', () => {
  it('streams valid chat.completion.chunk SSE ending in [DONE]', async () => {
    const result = await demo('saferouter/demo').doStream({ body: { ...body, stream: true } });
    const text = await readText(result.stream);
    expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
    const parsed = chunks(text);
    expect(parsed.length).toBeGreaterThan(4);
    for (const c of parsed) {
      expect(c).toMatchObject({ object: 'chat.completion.chunk', model: 'saferouter/demo', created: 1_700_000_000 });
      expect(c.id).toBe(parsed[0]?.id);
    }
    expect(parsed[0]?.choices[0]?.delta.role).toBe('assistant');
    const contentDeltas = parsed.filter((c) => (c.choices[0]?.delta.content ?? '') !== '');
    expect(contentDeltas.length).toBeGreaterThan(2);
    expect(parsed.at(-1)?.choices[0]?.finish_reason).toBe('stop');
    expect(parsed.some((c) => c.usage !== undefined)).toBe(false);
    const summary = await result.summary;
    expect(summary).toMatchObject({ completed: true, finishReason: 'stop', bytes: Buffer.byteLength(text) });
    expect(summary.usage).toBeUndefined();
  });

  it('says what it is and quotes the last user message', async () => {
    const result = await demo('saferouter/demo').doGenerate({ body });
    const json = JSON.parse(new TextDecoder().decode(result.body)) as {
      object: string;
      choices: { message: { content: string; reasoning_content?: string }; finish_reason: string }[];
    };
    expect(json.object).toBe('chat.completion');
    const content = json.choices[0]?.message.content ?? '';
    expect(content).toContain("SafeRouter's built-in demo model");
    expect(content).toContain('"What is SafeRouter?"');
    expect(content).not.toContain('first question');
    expect(json.choices[0]?.message.reasoning_content).toBeUndefined();
    expect(result.finishReason).toBe('stop');
  });

  it('is deterministic: same request, same bytes; different request, different answer', async () => {
    const a = await readText((await demo('saferouter/demo').doStream({ body })).stream);
    const b = await readText(
      (await createDemoProvider({ now: () => 1_700_000_000_000 })('saferouter/demo').doStream({ body })).stream,
    );
    expect(a).toBe(b);
    const g1 = await demo('saferouter/demo').doGenerate({ body });
    const g2 = await demo('saferouter/demo').doGenerate({ body });
    expect(g1.body).toEqual(g2.body);
    const other = demoAnswer('saferouter/demo', { ...body, messages: [{ role: 'user', content: 'something else' }] });
    expect(other.content).not.toBe(demoAnswer('saferouter/demo', body).content);
    expect(other.id).not.toBe(demoAnswer('saferouter/demo', body).id);
  });

  it('streams the same content as the non-stream answer, plus usage when asked', async () => {
    const result = await demo('saferouter/demo').doStream({
      body: { ...body, stream: true, stream_options: { include_usage: true } },
    });
    const parsed = chunks(await readText(result.stream));
    const streamed = parsed.map((c) => c.choices[0]?.delta.content ?? '').join('');
    const answer = demoAnswer('saferouter/demo', body);
    expect(streamed).toBe(answer.content);
    const usageChunk = parsed.at(-1);
    expect(usageChunk?.choices).toEqual([]);
    expect(usageChunk?.usage).toEqual(answer.usage);
    const summary = await result.summary;
    expect(summary.usage).toEqual(answer.usage);
    expect(summary.completed).toBe(true);
  });

  it('estimates usage as ceil(chars / 4)', () => {
    const answer = demoAnswer('saferouter/demo', { model: 'x', messages: [{ role: 'user', content: 'abcde' }] });
    expect(answer.usage.prompt_tokens).toBe(2);
    expect(answer.usage.completion_tokens).toBe(Math.ceil(answer.content.length / 4));
    expect(answer.usage.total_tokens).toBe(answer.usage.prompt_tokens + answer.usage.completion_tokens);
  });

  it('thinking model streams reasoning_content before content', async () => {
    const result = await demo('saferouter/demo-thinking').doStream({
      body: { ...body, stream_options: { include_usage: true } },
    });
    const parsed = chunks(await readText(result.stream));
    const kinds = parsed.map((c) =>
      c.choices[0]?.delta.reasoning_content !== undefined ? 'r' : c.choices[0]?.delta.content ? 'c' : '-',
    );
    const firstContent = kinds.indexOf('c');
    expect(kinds.indexOf('r')).toBeGreaterThan(0);
    expect(kinds.lastIndexOf('r')).toBeLessThan(firstContent);
    const answer = demoAnswer('saferouter/demo-thinking', body);
    expect(parsed.map((c) => c.choices[0]?.delta.reasoning_content ?? '').join('')).toBe(answer.reasoning);
    expect((await result.summary).usage).toMatchObject({
      completion_tokens_details: { reasoning_tokens: expect.any(Number) },
    });

    const generated = await demo('saferouter/demo-thinking').doGenerate({ body });
    const json = JSON.parse(new TextDecoder().decode(generated.body)) as {
      choices: { message: { reasoning_content?: string } }[];
    };
    expect(json.choices[0]?.message.reasoning_content).toBe(answer.reasoning);
  });

  it.each([{ enabled: false }, { effort: 'none' }, { enabled: false, effort: 'high' }])(
    'thinking model with reasoning %j: no reasoning deltas, no reasoning tokens',
    async (reasoning) => {
      const off = { ...body, reasoning, stream_options: { include_usage: true } };
      const result = await demo('saferouter/demo-thinking').doStream({ body: off });
      const text = await readText(result.stream);
      const parsed = chunks(text);
      expect(parsed.some((c) => c.choices[0]?.delta.reasoning_content !== undefined)).toBe(false);
      const answer = demoAnswer('saferouter/demo-thinking', off);
      expect(answer.reasoning).toBeUndefined();
      expect(parsed.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe(answer.content);
      const usage = (await result.summary).usage;
      expect(usage).not.toHaveProperty('completion_tokens_details');
      expect(usage?.completion_tokens).toBe(Math.ceil(answer.content.length / 4));

      const generated = await demo('saferouter/demo-thinking').doGenerate({ body: off });
      const json = JSON.parse(new TextDecoder().decode(generated.body)) as {
        choices: { message: Record<string, unknown> }[];
        usage: Record<string, unknown>;
      };
      expect(json.choices[0]?.message).not.toHaveProperty('reasoning_content');
      expect(json.usage).not.toHaveProperty('completion_tokens_details');
      // Deterministic with reasoning off too.
      expect(await readText((await demo('saferouter/demo-thinking').doStream({ body: off })).stream)).toBe(text);
    },
  );

  it.each([{ effort: 'high' }, { exclude: true }, { enabled: true }, {}])(
    'thinking model with reasoning %j still reasons and reports its reasoning tokens',
    async (reasoning) => {
      const answer = demoAnswer('saferouter/demo-thinking', { ...body, reasoning });
      expect(answer.reasoning).toBe(demoAnswer('saferouter/demo-thinking', body).reasoning);
      const reasoningTokens = Math.ceil((answer.reasoning ?? '').length / 4);
      expect(reasoningTokens).toBeGreaterThan(0);
      expect(answer.usage).toMatchObject({
        completion_tokens: Math.ceil(answer.content.length / 4) + reasoningTokens,
        completion_tokens_details: { reasoning_tokens: reasoningTokens },
      });
      const generated = await demo('saferouter/demo-thinking').doGenerate({ body: { ...body, reasoning } });
      const json = JSON.parse(new TextDecoder().decode(generated.body)) as { usage: Record<string, unknown> };
      expect(json.usage).toEqual(answer.usage);
    },
  );

  it('a model that does not think ignores reasoning', () => {
    const answer = demoAnswer('saferouter/demo', { ...body, reasoning: { effort: 'high' } });
    expect(answer.reasoning).toBeUndefined();
    expect(answer.usage).not.toHaveProperty('completion_tokens_details');
  });

  it('stops on cancel and on abort, reporting an incomplete stream', async () => {
    const slow = createDemoProvider({ chunkDelayMs: 5 });
    const cancelled = await slow('saferouter/demo').doStream({ body });
    const reader = cancelled.stream.getReader();
    await reader.read();
    await reader.cancel();
    expect(await cancelled.summary).toMatchObject({ completed: false });

    const controller = new AbortController();
    const aborted = await slow('saferouter/demo').doStream({ body, signal: controller.signal });
    setTimeout(() => controller.abort(), 12);
    const text = await readText(aborted.stream);
    expect(text).not.toContain('[DONE]');
    expect(text).toContain('"code":"stream_interrupted"');
    expect((await aborted.summary).error).toBeInstanceOf(AbortedError);

    await expect(slow('saferouter/demo').doGenerate({ body, signal: AbortSignal.abort() })).rejects.toBeInstanceOf(
      AbortedError,
    );
  });
});
