/**
 * Non-stream replies, routing, auth and error statuses, over real HTTP on 127.0.0.1.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_CONTENT, DEFAULT_REASONING, startFakeUpstream, type FakeUpstream } from './index.js';
import { AUTH, chat, HELLO } from './test-client.js';

let up: FakeUpstream;
beforeAll(async () => {
  up = await startFakeUpstream();
});
afterAll(() => up.close());
beforeEach(() => up.reset());

describe('non-stream chat completion', () => {
  it('returns a DeepSeek-shaped chat.completion with the model echoed', async () => {
    const res = await chat(up.url, { model: 'deepseek-chat', messages: HELLO });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      object: 'chat.completion',
      model: 'deepseek-chat',
      choices: [{ index: 0, message: { role: 'assistant', content: DEFAULT_CONTENT }, finish_reason: 'stop' }],
    });
    expect(body['id']).toMatch(/^chatcmpl-/);
    expect(body['created']).toBeTypeOf('number');
    const msg = (body['choices'] as { message: Record<string, unknown> }[])[0]?.message;
    expect(msg).not.toHaveProperty('reasoning_content');
  });

  it('estimates usage from the prompt and the content at ~4 chars per token', async () => {
    const content = 'x'.repeat(40);
    up.setBehavior('m', { content });
    const messages = [
      { role: 'system', content: 'abcd'.repeat(5) },
      { role: 'user', content: [{ type: 'text', text: 'efgh'.repeat(5) }] },
    ];
    const body = (await (await chat(up.url, { model: 'm', messages })).json()) as { usage: Record<string, number> };
    expect(body.usage).toMatchObject({ prompt_tokens: 10, completion_tokens: 10, total_tokens: 20 });
  });

  it('reports overridden usage and custom content', async () => {
    up.setBehavior('m', { content: 'Hi.', usage: { prompt_tokens: 7, completion_tokens: 3 } });
    const body = (await (await chat(up.url, { model: 'm', messages: HELLO })).json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      choices: [{ message: { content: 'Hi.' } }],
      usage: { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 },
    });
  });

  it('adds reasoning_content before the content when reasoning is on', async () => {
    up.setBehavior('deepseek-reasoner', { reasoning: true });
    const body = (await (await chat(up.url, { model: 'deepseek-reasoner', messages: HELLO })).json()) as Record<
      string,
      unknown
    >;
    expect(body).toMatchObject({
      choices: [{ message: { role: 'assistant', content: DEFAULT_CONTENT, reasoning_content: DEFAULT_REASONING } }],
      usage: { completion_tokens_details: { reasoning_tokens: expect.any(Number) as number } },
    });
  });

  it('serves /chat/completions like /v1/chat/completions and records both paths', async () => {
    await chat(up.url, { model: 'a', messages: HELLO }, { path: '/chat/completions' });
    await chat(up.url, { model: 'b', messages: HELLO, max_tokens: 5 });
    expect(up.requests.map((r) => [r.path, r.model, r.stream])).toEqual([
      ['/chat/completions', 'a', false],
      ['/v1/chat/completions', 'b', false],
    ]);
    expect(up.requests[1]?.body).toMatchObject({ max_tokens: 5 });
    expect(up.requests[1]?.headers['authorization']).toBe(AUTH.authorization);
    await up.waitFor((r) => r.every((x) => x.finished && !x.aborted));
  });

  it('keyed behaviors win over the * default, which wins over the built-in', async () => {
    up.setBehavior('*', { content: 'star' });
    up.setBehavior('special', { content: 'special' });
    const get = async (model: string): Promise<unknown> =>
      (
        (await (await chat(up.url, { model, messages: HELLO })).json()) as {
          choices: { message: { content: string } }[];
        }
      ).choices[0]?.message.content;
    expect(await get('special')).toBe('special');
    expect(await get('other')).toBe('star');
    up.reset();
    expect(await get('other')).toBe(DEFAULT_CONTENT);
  });

  it('waits delayMs before answering', async () => {
    up.setBehavior('slow', { delayMs: 150 });
    const t0 = performance.now();
    const res = await chat(up.url, { model: 'slow', messages: HELLO });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(140);
    expect(res.status).toBe(200);
  });

  it('sends headers at once and blank lines while queued with keepAlive, like DeepSeek', async () => {
    up.setBehavior('queued', { delayMs: 250, keepAlive: true });
    const t0 = performance.now();
    const res = await chat(up.url, { model: 'queued', messages: HELLO });
    expect(performance.now() - t0).toBeLessThan(150);
    const text = await res.text();
    expect(text).toMatch(/^\n\n+\{/);
    expect((JSON.parse(text) as { object: string }).object).toBe('chat.completion');
  });
});

describe('routes, auth and malformed requests', () => {
  it('lists models on /v1/models and /models', async () => {
    up.setBehavior('fake-model', {});
    for (const path of ['/v1/models', '/models']) {
      const res = await fetch(`${up.url}${path}`, { headers: AUTH });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { object: string; data: { id: string }[] };
      expect(body.object).toBe('list');
      expect(body.data.map((m) => m.id)).toEqual(expect.arrayContaining(['deepseek-chat', 'fake-model']));
    }
  });

  it('answers 404 in the OpenAI error shape for unknown routes and methods', async () => {
    for (const [method, path] of [
      ['GET', '/v1/nope'],
      ['GET', '/v1/chat/completions'],
      ['POST', '/v1/models'],
    ] as const) {
      const res = await fetch(`${up.url}${path}`, { method, headers: AUTH });
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({
        error: { message: expect.any(String) as string, type: 'invalid_request_error', code: 'not_found' },
      });
    }
  });

  it('answers 401 without an authorization header and records nothing', async () => {
    const res = await chat(up.url, { model: 'm', messages: HELLO }, { auth: false });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { type: 'authentication_error', code: 'invalid_api_key' } });
    expect((await fetch(`${up.url}/v1/models`)).status).toBe(401);
    expect(up.requests).toHaveLength(0);
  });

  it('answers 400 for invalid JSON, a non-object body, and missing model or messages', async () => {
    for (const body of ['{"model":', '[1,2]', JSON.stringify({ messages: HELLO }), JSON.stringify({ model: 'm' })]) {
      const res = await chat(up.url, body);
      expect(res.status).toBe(400);
      const err = (await res.json()) as { error: Record<string, unknown> };
      expect(err.error).toMatchObject({ type: 'invalid_request_error' });
      expect(Object.keys(err.error).sort()).toEqual(['code', 'message', 'type']);
    }
    expect(up.requests).toHaveLength(0);
  });
});

describe('error statuses', () => {
  it.each([
    [400, 'invalid_request_error'],
    [402, 'invalid_request_error'],
    [429, 'rate_limit_error'],
    [500, 'api_error'],
    [503, 'service_unavailable_error'],
  ])('status %i answers an OpenAI-shaped %s, stream or not', async (status, type) => {
    up.setBehavior('m', { status });
    for (const stream of [false, true]) {
      const res = await chat(up.url, { model: 'm', messages: HELLO, stream });
      expect(res.status).toBe(status);
      expect(res.headers.get('content-type')).toBe('application/json');
      expect(await res.json()).toEqual({
        error: { message: expect.any(String) as string, type, code: String(status) },
      });
    }
  });

  it('sends a custom errorBody verbatim, after delayMs', async () => {
    const errorBody = {
      error: { message: 'Model Not Exist', type: 'invalid_request_error', param: null, code: 'invalid_request_error' },
    };
    up.setBehavior('gone', { status: 400, errorBody, delayMs: 100 });
    const t0 = performance.now();
    const res = await chat(up.url, { model: 'gone', messages: HELLO });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(90);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual(errorBody);
  });

  it('rejects malformed behaviors', () => {
    expect(() => up.setBehavior('m', { status: 99 })).toThrow(RangeError);
    expect(() => up.setBehavior('m', { delayMs: -1 })).toThrow(RangeError);
    expect(() => up.setBehavior('m', { chunks: 0 })).toThrow(RangeError);
    expect(() => up.setBehavior('', {})).toThrow(TypeError);
  });
});
