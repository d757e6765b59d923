/**
 * Realistic chat-completions answers for the tests, as upstreams send them: OpenAI style (a
 * `role` chunk with empty content, deltas, a finish chunk, then a `choices: []` usage chunk) and
 * DeepSeek style (`reasoning_content` deltas with `content: null`, usage in the finish chunk with
 * `prompt_cache_hit_tokens`). Plus a fake `fetch` that answers `POST …/responses` through this
 * package, so the real clients can be driven without a network.
 */
import { chatToResponse } from '../chat-to-response.js';
import { parseResponsesRequest } from '../parse-request.js';
import { createResponsesStream } from '../stream.js';
import { toChatRequest } from '../to-chat.js';
import type { ChatRequestBody } from '@saferouter/router';
import type { ResponsesRequest, ResponsesUsage } from '../types.js';

const base = {
  id: 'chatcmpl-9x1',
  object: 'chat.completion.chunk',
  created: 1_760_000_000,
  model: 'gpt-4o-mini-2024-07-18',
};
const chunk = (delta: Record<string, unknown>, finish: string | null = null) => ({
  ...base,
  system_fingerprint: 'fp_44709d6fcb',
  choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
});

/** OpenAI: "Hello, world!" then a usage-only chunk. */
export const openaiTextChunks: unknown[] = [
  chunk({ role: 'assistant', content: '', refusal: null }),
  chunk({ content: 'Hello' }),
  chunk({ content: ', wor' }),
  chunk({ content: 'ld!' }),
  chunk({}, 'stop'),
  {
    ...base,
    system_fingerprint: 'fp_44709d6fcb',
    choices: [],
    usage: {
      prompt_tokens: 12,
      completion_tokens: 4,
      total_tokens: 16,
      prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0 },
    },
  },
];

/** OpenAI: one tool call, its arguments in four deltas, then usage. */
export const openaiToolChunks: unknown[] = [
  chunk({
    role: 'assistant',
    content: null,
    tool_calls: [{ index: 0, id: 'call_Wx1', type: 'function', function: { name: 'get_weather', arguments: '' } }],
    refusal: null,
  }),
  chunk({ tool_calls: [{ index: 0, function: { arguments: '{"' } }] }),
  chunk({ tool_calls: [{ index: 0, function: { arguments: 'city":"Pa' } }] }),
  chunk({ tool_calls: [{ index: 0, function: { arguments: 'ris","unit"' } }] }),
  chunk({ tool_calls: [{ index: 0, function: { arguments: ':"c"}' } }] }),
  chunk({}, 'tool_calls'),
  { ...base, choices: [], usage: { prompt_tokens: 80, completion_tokens: 18, total_tokens: 98 } },
];

/** OpenAI: two parallel tool calls, interleaved by index. */
export const openaiParallelToolChunks: unknown[] = [
  chunk({ role: 'assistant', content: null }),
  chunk({
    tool_calls: [{ index: 0, id: 'call_A', type: 'function', function: { name: 'get_weather', arguments: '' } }],
  }),
  chunk({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }),
  chunk({
    tool_calls: [{ index: 1, id: 'call_B', type: 'function', function: { name: 'get_time', arguments: '{"tz"' } }],
  }),
  chunk({ tool_calls: [{ index: 0, function: { arguments: '"Oslo"}' } }] }),
  chunk({ tool_calls: [{ index: 1, function: { arguments: ':"CET"}' } }] }),
  chunk({}, 'tool_calls'),
  { ...base, choices: [], usage: { prompt_tokens: 90, completion_tokens: 30, total_tokens: 120 } },
];

const ds = {
  id: '2b1c5a8e-0d0f-4f7e-9d7a-2f3f1c1e8a11',
  object: 'chat.completion.chunk',
  created: 1_760_000_100,
  model: 'deepseek-reasoner',
  system_fingerprint: 'fp_ffc7281d48_prod0820_fp8_kvcache',
};
const dsChunk = (delta: Record<string, unknown>, finish: string | null = null, usage?: unknown) => ({
  ...ds,
  choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  ...(usage === undefined ? {} : { usage }),
});

export const deepseekUsage = {
  prompt_tokens: 20,
  completion_tokens: 41,
  total_tokens: 61,
  prompt_tokens_details: { cached_tokens: 16 },
  completion_tokens_details: { reasoning_tokens: 33 },
  prompt_cache_hit_tokens: 16,
  prompt_cache_miss_tokens: 4,
};

/** DeepSeek: reasoning, then the answer "9.8 is greater.", usage in the finish chunk. */
export const deepseekReasoningChunks: unknown[] = [
  dsChunk({ role: 'assistant', content: null, reasoning_content: '' }),
  dsChunk({ content: null, reasoning_content: 'Compare 9.11' }),
  dsChunk({ content: null, reasoning_content: ' and 9.8: 0.8 > 0.11.' }),
  dsChunk({ content: '9.8', reasoning_content: null }),
  dsChunk({ content: ' is greater.', reasoning_content: null }),
  dsChunk({ content: '', reasoning_content: null }, 'stop', deepseekUsage),
];

/** DeepSeek: reasoning, then a tool call whose last chunk also carries finish and usage. */
export const deepseekToolChunks: unknown[] = [
  dsChunk({ role: 'assistant', content: null, reasoning_content: '' }),
  dsChunk({ content: null, reasoning_content: 'I need the weather tool.' }),
  dsChunk({
    content: null,
    reasoning_content: null,
    tool_calls: [{ index: 0, id: 'call_00_ds', type: 'function', function: { name: 'get_weather', arguments: '' } }],
  }),
  dsChunk({ content: null, tool_calls: [{ index: 0, function: { arguments: '{"city": ' } }] }),
  dsChunk(
    { content: null, tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] },
    'tool_calls',
    deepseekUsage,
  ),
];

/** A non-stream OpenAI completion. */
export const openaiCompletion = {
  id: 'chatcmpl-9x2',
  object: 'chat.completion',
  created: 1_760_000_000,
  model: 'gpt-4o-mini-2024-07-18',
  choices: [
    {
      index: 0,
      message: { role: 'assistant', content: 'Hello, world!', refusal: null, annotations: [] },
      logprobs: null,
      finish_reason: 'stop',
    },
  ],
  usage: {
    prompt_tokens: 12,
    completion_tokens: 4,
    total_tokens: 16,
    prompt_tokens_details: { cached_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0 },
  },
  system_fingerprint: 'fp_44709d6fcb',
};

/** A non-stream DeepSeek completion with reasoning and a tool call. */
export const deepseekToolCompletion = {
  id: '8d7f2c1b-6a3e-4b2d-9f1e-0c4a5b6d7e8f',
  object: 'chat.completion',
  created: 1_760_000_100,
  model: 'deepseek-reasoner',
  choices: [
    {
      index: 0,
      message: {
        role: 'assistant',
        content: '',
        reasoning_content: 'I need the weather tool.',
        tool_calls: [
          {
            index: 0,
            id: 'call_00_ds',
            type: 'function',
            function: { name: 'get_weather', arguments: '{"city": "Paris"}' },
          },
        ],
      },
      logprobs: null,
      finish_reason: 'tool_calls',
    },
  ],
  usage: deepseekUsage,
  system_fingerprint: 'fp_ffc7281d48_prod0820_fp8_kvcache',
};

export interface FakeUpstream {
  /** What the fake answers with: a non-stream completion, or the chunks of a stream. */
  completion?: unknown;
  chunks?: readonly unknown[];
  /** Split each SSE write at this many bytes, to exercise the clients' event parsing. */
  splitEvery?: number;
  /** The usage the gateway would report (with `cost`); default: the upstream's own, translated. */
  usage?: ResponsesUsage;
}

export interface FakeResponsesFetch {
  fetch: typeof globalThis.fetch;
  /** Every request seen: the raw Responses body, the parsed request and the chat body sent upstream. */
  calls: Array<{ url: string; body: Record<string, unknown>; request: ResponsesRequest; chat: ChatRequestBody }>;
}

/**
 * A `fetch` that answers `POST …/responses` the way the gateway will: parse, translate to chat
 * (recorded), and answer the fake upstream's completion or chunks through this package. A refused
 * request gets the error's status and OpenAI-shaped body.
 */
export function fakeResponsesFetch(upstream: FakeUpstream | (() => FakeUpstream)): FakeResponsesFetch {
  const calls: FakeResponsesFetch['calls'] = [];
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const body = JSON.parse(String(init?.body)) as Record<string, unknown>;
    let request: ResponsesRequest;
    try {
      request = parseResponsesRequest(body);
    } catch (err) {
      const e = err as { statusCode: number; toJSON(): unknown };
      return new Response(JSON.stringify(e.toJSON()), {
        status: e.statusCode,
        headers: { 'content-type': 'application/json' },
      });
    }
    const chat = toChatRequest(request);
    calls.push({ url, body, request, chat });
    const answer = typeof upstream === 'function' ? upstream() : upstream;
    const ctx = { id: `resp_test${calls.length}`, createdAt: 1_760_000_000, model: request.model, request };
    if (request.stream !== true) {
      return Response.json(chatToResponse(answer.completion, ctx, answer.usage));
    }
    const translator = createResponsesStream(ctx);
    const parts = [translator.start(), ...(answer.chunks ?? []).map((c) => translator.chunk(c))];
    parts.push(translator.finish({ usage: answer.usage, status: 'completed' }));
    const bytes = new TextEncoder().encode(parts.join(''));
    const step = answer.splitEvery ?? bytes.length;
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < bytes.length; i += step) controller.enqueue(bytes.slice(i, i + step));
        controller.close();
      },
    });
    return new Response(stream, { headers: { 'content-type': 'text/event-stream' } });
  };
  return { fetch, calls };
}

/** Parses SSE text into its events' JSON data, checking each `event:` line names the data's type. */
export function parseSse(text: string): Array<Record<string, unknown>> {
  return text
    .split('\n\n')
    .filter((block) => block.trim() !== '')
    .map((block) => {
      const lines = block.split('\n');
      const event = lines.find((l) => l.startsWith('event: '))?.slice(7);
      const data = JSON.parse(lines.find((l) => l.startsWith('data: '))?.slice(6) ?? 'null') as Record<string, unknown>;
      if (event !== data['type'])
        throw new Error(`event line ${event} does not match data type ${String(data['type'])}`);
      return data;
    });
}
