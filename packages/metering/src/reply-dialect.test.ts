// The chat-completions reply dialect: the usage a client reads is what the ledger charged, and
// `reasoning.exclude` strips reasoning from bodies and stream deltas without touching the content.
import { describe, expect, it } from 'vitest';
import { formatUsd } from '@saferouter/billing';
import type { SseEvent } from '@saferouter/router';
import { chatDialect, chatUsage, usdNumber, type ChargedUsage, type ReplyFacts } from './reply-dialect.js';

const enc = new TextEncoder();
const dec = new TextDecoder();
const FACTS: ReplyFacts = { requestId: 'req_dialect', model: 'glm-4.6', created: 1_700_000_000 };

function charged(overrides: Partial<ChargedUsage> = {}): ChargedUsage {
  return { upstream: undefined, prompt: 10, completion: 5, cached: 0, reasoning: 0, costMicros: 7, ...overrides };
}

/** An SSE event as the relay offers it to a rewriter. */
function event(json: unknown): SseEvent {
  return { event: undefined, data: JSON.stringify(json), id: undefined };
}

function chunk(delta: Record<string, unknown>, finishReason: string | null = null): Record<string, unknown> {
  return {
    id: 'chatcmpl-1',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'up',
    choices: [{ index: 0, delta, finish_reason: finishReason }],
  };
}

/** The rewriter's answer as text (`null` dropped, `undefined` unchanged). */
function rewritten(exclude: boolean, json: unknown): string | null | undefined {
  const rewrite = chatDialect({ excludeReasoning: exclude }, FACTS).rewrite;
  if (rewrite === undefined) throw new Error('expected a rewriter');
  const out = rewrite.event(event(json), enc.encode(`data: ${JSON.stringify(json)}\n\n`));
  return out === null || out === undefined ? out : dec.decode(out);
}

describe('chatUsage', () => {
  it('reports the billed counts, cached and reasoning tokens in OpenAI places, and the cost in USD', () => {
    expect(chatUsage(charged({ prompt: 1000, completion: 200, cached: 800, reasoning: 150, costMicros: 960 }))).toEqual(
      {
        prompt_tokens: 1000,
        completion_tokens: 200,
        total_tokens: 1200,
        prompt_tokens_details: { cached_tokens: 800 },
        completion_tokens_details: { reasoning_tokens: 150 },
        cost: 0.00096,
      },
    );
  });

  it("keeps the upstream's extra fields and details, replacing its counters and cost", () => {
    const upstream = {
      prompt_tokens: 1,
      completion_tokens: 2,
      total_tokens: 99,
      prompt_cache_hit_tokens: 600,
      prompt_tokens_details: { cached_tokens: 1, audio_tokens: 3 },
      completion_tokens_details: { reasoning_tokens: 1, accepted_prediction_tokens: 4 },
      cost: 123,
      system_fingerprint: 'fp',
    };
    const usage = chatUsage(
      charged({ upstream, prompt: 700, completion: 40, cached: 600, reasoning: 30, costMicros: 1_234_567 }),
    );
    expect(usage).toEqual({
      prompt_tokens: 700,
      completion_tokens: 40,
      total_tokens: 740,
      prompt_cache_hit_tokens: 600,
      prompt_tokens_details: { cached_tokens: 600, audio_tokens: 3 },
      completion_tokens_details: { reasoning_tokens: 30, accepted_prediction_tokens: 4 },
      cost: 1.234567,
      system_fingerprint: 'fp',
    });
    // The upstream object itself is left as it was.
    expect(upstream.total_tokens).toBe(99);
    expect(upstream.prompt_tokens_details).toEqual({ cached_tokens: 1, audio_tokens: 3 });
  });

  it('ignores upstream details that are not objects', () => {
    const upstream = {
      prompt_tokens: 1,
      completion_tokens: 1,
      total_tokens: 2,
      prompt_tokens_details: null,
      completion_tokens_details: [3],
    };
    expect(chatUsage(charged({ upstream }))).toMatchObject({
      prompt_tokens_details: { cached_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0 },
      cost: 0.000007,
    });
  });

  it('the cost is exactly the micro-dollars charged: Math.round(cost × 1e6) === micros, and its JSON is the exact decimal', () => {
    const values: number[] = [];
    for (let m = 0; m <= 100_000; m++) values.push(m);
    for (let p = 1; p <= 1e13; p *= 10) values.push(p - 1, p, p + 1, 3 * p + 7);
    let seed = 7;
    for (let i = 0; i < 20_000; i++) {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      values.push((seed * 4_657) % 10_000_000_000_000); // up to $10M
    }
    const wrong: number[] = [];
    for (const micros of values) {
      const cost = chatUsage(charged({ costMicros: micros }))['cost'] as number;
      const wire = JSON.parse(JSON.stringify({ cost })) as { cost: number };
      if (Math.round(cost * 1e6) !== micros || Math.round(wire.cost * 1e6) !== micros) wrong.push(micros);
      else if (JSON.stringify(cost) !== formatUsd(micros)) wrong.push(micros);
    }
    expect(wrong).toEqual([]);
    expect(usdNumber(204)).toBe(0.000204);
    expect(JSON.stringify(usdNumber(1))).toBe('0.000001');
  });
});

describe('chatDialect.body', () => {
  const upstreamBody = {
    id: 'chatcmpl-9',
    object: 'chat.completion',
    model: 'up',
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: 'Four.',
          reasoning_content: '2+2',
          reasoning: 'also',
          reasoning_details: [],
        },
        finish_reason: 'stop',
      },
    ],
    usage: { prompt_tokens: 12, completion_tokens: 9, total_tokens: 21 },
  };

  it('re-serializes the body with the billed usage, reasoning kept without exclude', () => {
    const json = structuredClone(upstreamBody);
    const out = chatDialect({ excludeReasoning: false }, FACTS).body(
      json,
      enc.encode(JSON.stringify(upstreamBody)),
      charged({ upstream: upstreamBody.usage, prompt: 12, completion: 9, costMicros: 42 }),
    );
    expect(JSON.parse(dec.decode(out))).toEqual({
      ...upstreamBody,
      usage: {
        prompt_tokens: 12,
        completion_tokens: 9,
        total_tokens: 21,
        prompt_tokens_details: { cached_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: 0 },
        cost: 0.000042,
      },
    });
  });

  it('with exclude, strips reasoning_content, reasoning and reasoning_details from every message, content kept', () => {
    const json = structuredClone(upstreamBody);
    const out = JSON.parse(
      dec.decode(
        chatDialect({ excludeReasoning: true }, FACTS).body(
          json,
          enc.encode(JSON.stringify(upstreamBody)),
          charged({ upstream: upstreamBody.usage, prompt: 12, completion: 9, reasoning: 3, costMicros: 42 }),
        ),
      ),
    ) as typeof upstreamBody;
    expect(out.choices).toEqual([
      { index: 0, message: { role: 'assistant', content: 'Four.' }, finish_reason: 'stop' },
    ]);
    expect(out.usage).toMatchObject({ completion_tokens: 9, completion_tokens_details: { reasoning_tokens: 3 } });
  });

  it('relays a body that is not a JSON object unchanged (same bytes)', () => {
    const raw = enc.encode('<html>oops</html>');
    const dialect = chatDialect({ excludeReasoning: true }, FACTS);
    expect(dialect.body(undefined, raw, charged())).toBe(raw);
    const array = enc.encode('[1,2]');
    expect(dialect.body([1, 2], array, charged())).toBe(array);
  });
});

describe('chatDialect.rewrite', () => {
  it('is absent without exclude: the stream passes byte for byte', () => {
    expect(chatDialect({ excludeReasoning: false }, FACTS).rewrite).toBeUndefined();
  });

  it('only offers events that mention reasoning', () => {
    expect(chatDialect({ excludeReasoning: true }, FACTS).rewrite?.probe).toBe('"reasoning');
  });

  it('strips reasoning from a delta that also carries content, keeping the content', () => {
    const out = rewritten(true, chunk({ content: 'Hi', reasoning_content: null, reasoning: 'x' }));
    expect(out).toBe(`data: ${JSON.stringify(chunk({ content: 'Hi' }))}\n\n`);
  });

  it('drops a chunk that carried only reasoning (role and empty content included)', () => {
    expect(rewritten(true, chunk({ reasoning_content: 'Let me think' }))).toBeNull();
    expect(rewritten(true, chunk({ role: 'assistant', content: '', reasoning_content: 'Hmm' }))).toBeNull();
    expect(rewritten(true, chunk({ content: null, reasoning: 'r', reasoning_details: [{ type: 'x' }] }))).toBeNull();
    // OpenAI-style streams with include_usage put `"usage": null` on every chunk: not a usage.
    expect(rewritten(true, { ...chunk({ reasoning_content: 'r' }), usage: null })).toBeNull();
  });

  it('keeps a reasoning chunk that also ends the choice or carries usage, stripped', () => {
    expect(rewritten(true, chunk({ reasoning_content: 'done' }, 'stop'))).toBe(
      `data: ${JSON.stringify(chunk({}, 'stop'))}\n\n`,
    );
    const withUsage = { ...chunk({ reasoning_content: 'r' }), usage: { prompt_tokens: 1, completion_tokens: 1 } };
    expect(rewritten(true, withUsage)).toBe(
      `data: ${JSON.stringify({ ...chunk({}), usage: { prompt_tokens: 1, completion_tokens: 1 } })}\n\n`,
    );
  });

  it('leaves an event unchanged when there is no reasoning field (content that quotes the word, tool calls, junk)', () => {
    expect(rewritten(true, chunk({ content: 'the "reasoning" is' }))).toBeUndefined();
    expect(rewritten(true, { choices: [] })).toBeUndefined();
    const rewrite = chatDialect({ excludeReasoning: true }, FACTS).rewrite;
    expect(rewrite?.event({ event: undefined, data: '{"reasoning', id: undefined }, enc.encode(''))).toBeUndefined();
  });

  it('strips every choice of a multi-choice chunk, dropping it only when all are empty', () => {
    const two = {
      choices: [
        { index: 0, delta: { reasoning_content: 'a' }, finish_reason: null },
        { index: 1, delta: { content: 'b', reasoning_content: 'c' }, finish_reason: null },
      ],
    };
    expect(rewritten(true, two)).toBe(
      `data: ${JSON.stringify({
        choices: [
          { index: 0, delta: {}, finish_reason: null },
          { index: 1, delta: { content: 'b' }, finish_reason: null },
        ],
      })}\n\n`,
    );
  });
});

describe('chatDialect.end', () => {
  const usage = charged({
    upstream: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 },
    prompt: 3,
    completion: 4,
    costMicros: 1_500,
  });
  const billed = {
    prompt_tokens: 3,
    completion_tokens: 4,
    total_tokens: 7,
    prompt_tokens_details: { cached_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0 },
    cost: 0.0015,
  };

  it('sends the withheld usage event rewritten with what was charged', () => {
    const held = { id: 'chatcmpl-1', choices: [], usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 } };
    const out = chatDialect({ excludeReasoning: false }, FACTS).end(held, usage, { completed: true });
    expect(dec.decode(out)).toBe(`data: ${JSON.stringify({ id: 'chatcmpl-1', choices: [], usage: billed })}\n\n`);
  });

  it('with exclude, also strips reasoning from the withheld event', () => {
    const held = {
      id: 'chatcmpl-1',
      choices: [{ index: 0, delta: { content: 'x', reasoning_content: 'y' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 },
    };
    const out = chatDialect({ excludeReasoning: true }, FACTS).end(held, usage, { completed: true });
    expect(JSON.parse(dec.decode(out).slice('data: '.length))).toEqual({
      id: 'chatcmpl-1',
      choices: [{ index: 0, delta: { content: 'x' }, finish_reason: 'stop' }],
      usage: billed,
    });
  });

  it('synthesizes a usage chunk of its own when the upstream sent none', () => {
    for (const completed of [true, false]) {
      const out = chatDialect({ excludeReasoning: false }, FACTS).end(
        undefined,
        charged({ prompt: 3, completion: 4, costMicros: 1_500 }),
        { completed },
      );
      expect(dec.decode(out)).toBe(
        `data: ${JSON.stringify({
          id: 'req_dialect',
          object: 'chat.completion.chunk',
          created: 1_700_000_000,
          model: 'glm-4.6',
          choices: [],
          usage: billed,
        })}\n\n`,
      );
    }
  });

  it('keeps the terminal [DONE]', () => {
    expect(chatDialect({ excludeReasoning: false }, FACTS).dropTerminal).toBeUndefined();
  });
});
