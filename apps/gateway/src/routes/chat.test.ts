/**
 * `POST /v1/chat/completions` through `app.request()`: validation that names the field, the body
 * limit, unknown and key-less models, and the demo model streaming and not.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MESSAGES, createFixture, expectError, type Fixture } from '../test-fixture.js';

const LIMIT = 1024;
let fx: Fixture;
beforeEach(async () => {
  fx = await createFixture({ bodyLimitBytes: LIMIT });
});
afterEach(async () => {
  await fx.dispose();
});

function chat(body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fx.call('/v1/chat/completions', { method: 'POST', body, headers });
}

describe('validation → 400 naming the field', () => {
  const cases: [field: string, body: Record<string, unknown>][] = [
    ['model', { messages: MESSAGES }],
    ['model', { model: '', messages: MESSAGES }],
    ['model', { model: 42, messages: MESSAGES }],
    ['model', { model: null, messages: MESSAGES }],
    ['messages', { model: 'saferouter/demo' }],
    ['messages', { model: 'saferouter/demo', messages: 'hello' }],
    ['messages', { model: 'saferouter/demo', messages: [] }],
    ['messages', { model: 'saferouter/demo', messages: [{ content: 'no role' }] }],
    ['messages', { model: 'saferouter/demo', messages: ['hello'] }],
    ['max_tokens', { model: 'saferouter/demo', messages: MESSAGES, max_tokens: 0 }],
    ['max_tokens', { model: 'saferouter/demo', messages: MESSAGES, max_tokens: 1.5 }],
    ['max_tokens', { model: 'saferouter/demo', messages: MESSAGES, max_tokens: '10' }],
    ['stream', { model: 'saferouter/demo', messages: MESSAGES, stream: 'yes' }],
    ['stream', { model: 'saferouter/demo', messages: MESSAGES, stream: 1 }],
    ['models', { model: 'saferouter/demo', messages: MESSAGES, models: 'saferouter/demo' }],
    ['models', { model: 'saferouter/demo', messages: MESSAGES, models: [''] }],
    ['models', { model: 'saferouter/demo', messages: MESSAGES, models: [1] }],
    [
      'models',
      { model: 'saferouter/demo', messages: MESSAGES, models: Array.from({ length: 11 }, () => 'saferouter/demo') },
    ],
    [
      'models',
      { model: 'saferouter/demo', messages: MESSAGES, models: Array.from({ length: 17 }, () => 'saferouter/demo') },
    ],
  ];
  it.each(cases)('%s: %j', async (field, body) => {
    const json = await expectError(await chat(body), 400, undefined, 'invalid_request_error');
    expect(json.error.message).toContain(field);
  });

  it('a missing field is reported as missing_required_parameter', async () => {
    const json = await expectError(await chat({ messages: MESSAGES }), 400, 'missing_required_parameter');
    expect(json.error.message).toBe("Missing required parameter: 'model'.");
  });

  it('a body that is not a JSON object → 400', async () => {
    await expectError(await chat([1, 2, 3]), 400, 'invalid_request');
    await expectError(await chat('"hello"'), 400, 'invalid_request');
    await expectError(await chat('null'), 400, 'invalid_request');
  });

  it('malformed or empty JSON → 400 invalid_json', async () => {
    await expectError(await chat('{"model": "saferouter/demo", '), 400, 'invalid_json');
    await expectError(await fx.call('/v1/chat/completions', { method: 'POST' }), 400, 'invalid_json');
  });

  it('a UTF-8 byte-order mark before the JSON is tolerated', async () => {
    const res = await chat(`\ufeff${JSON.stringify({ model: 'saferouter/demo', messages: MESSAGES })}`);
    expect(res.status).toBe(200);
  });

  it('null optional fields are accepted', async () => {
    const res = await chat({
      model: 'saferouter/demo',
      messages: MESSAGES,
      stream: null,
      max_tokens: null,
      tools: null,
    });
    expect(res.status).toBe(200);
  });
});

describe('body limit', () => {
  it(`a body over bodyLimitBytes (${LIMIT}) → 413 request_too_large`, async () => {
    const body = { model: 'saferouter/demo', messages: [{ role: 'user', content: 'x'.repeat(LIMIT) }] };
    const json = await expectError(await chat(body), 413, 'request_too_large', 'invalid_request_error');
    expect(json.error.message).toContain(String(LIMIT));
  });

  it('a declared content-length over the limit → 413 before reading', async () => {
    await expectError(
      await chat({ model: 'saferouter/demo', messages: MESSAGES }, { 'content-length': String(LIMIT + 1) }),
      413,
      'request_too_large',
    );
  });

  it('a body just under the limit is accepted', async () => {
    const base = JSON.stringify({ model: 'saferouter/demo', messages: [{ role: 'user', content: '' }] });
    const body = JSON.stringify({
      model: 'saferouter/demo',
      messages: [{ role: 'user', content: 'x'.repeat(LIMIT - base.length) }],
    });
    expect(Buffer.byteLength(body)).toBe(LIMIT);
    expect((await chat(body)).status).toBe(200);
  });

  it('the limit counts bytes, not characters', async () => {
    // 400 three-byte characters: 400 characters, 1200 bytes.
    const body = { model: 'saferouter/demo', messages: [{ role: 'user', content: '€'.repeat(400) }] };
    await expectError(await chat(body), 413, 'request_too_large');
  });
});

describe('routing errors', () => {
  it('unknown model → 404 model_not_found', async () => {
    const json = await expectError(
      await chat({ model: 'gpt-nonexistent', messages: MESSAGES }),
      404,
      'model_not_found',
      'invalid_request_error',
    );
    expect(json.error.message).toContain('gpt-nonexistent');
  });

  it('an unknown id in models → 404 model_not_found', async () => {
    await expectError(
      await chat({ model: 'saferouter/demo', messages: MESSAGES, models: ['saferouter/demo', 'nope'] }),
      404,
      'model_not_found',
    );
  });

  it('a model whose provider has no key → 503 provider_unavailable, without a network call', async () => {
    const json = await expectError(
      await chat({ model: 'nokey/model', messages: MESSAGES }),
      503,
      'provider_unavailable',
    );
    expect(json.error.message).toContain('nokey/model');
    await expectError(
      await chat({ model: 'nokey/model', messages: MESSAGES, stream: true }),
      503,
      'provider_unavailable',
    );
  });

  it('a key-less model with a demo model after it in models falls back to the demo model', async () => {
    const res = await chat({ model: 'nokey/model', messages: MESSAGES, models: ['nokey/model', 'saferouter/demo'] });
    // Unavailable fallbacks are skipped, but the primary is always tried; the demo model is next.
    expect(res.status).toBe(200);
    expect(res.headers.get('x-saferouter-fallback-from')).toBe('nokey/model');
    expect(res.headers.get('x-saferouter-fallback-to')).toBe('saferouter/demo');
  });
});

describe('demo model', () => {
  it('non-stream answers with a chat.completion JSON', async () => {
    const res = await chat({ model: 'saferouter/demo', messages: MESSAGES });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('x-saferouter-fallback-from')).toBeNull();
    const json = (await res.json()) as {
      object: string;
      model: string;
      choices: { index: number; message: { role: string; content: string }; finish_reason: string }[];
      usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
    };
    expect(json.object).toBe('chat.completion');
    expect(json.model).toBe('saferouter/demo');
    expect(json.choices).toHaveLength(1);
    expect(json.choices[0]?.message.role).toBe('assistant');
    expect(json.choices[0]?.message.content.length).toBeGreaterThan(0);
    expect(json.choices[0]?.finish_reason).toBe('stop');
    expect(json.usage.total_tokens).toBe(json.usage.prompt_tokens + json.usage.completion_tokens);
  });

  it('is deterministic for the same messages', async () => {
    const a = (await (await chat({ model: 'saferouter/demo', messages: MESSAGES })).json()) as { choices: unknown };
    const b = (await (await chat({ model: 'saferouter/demo', messages: MESSAGES })).json()) as { choices: unknown };
    expect(a.choices).toEqual(b.choices);
  });

  it('stream answers text/event-stream chunks ending with data: [DONE]', async () => {
    const res = await chat({ model: 'saferouter/demo', messages: MESSAGES, stream: true });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    const text = await res.text();
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
    const events = text
      .split('\n\n')
      .map((e) => e.trim())
      .filter((e) => e.startsWith('data: ') && e !== 'data: [DONE]')
      .map(
        (e) => JSON.parse(e.slice('data: '.length)) as { object: string; choices: { delta: { content?: string } }[] },
      );
    expect(events.length).toBeGreaterThan(0);
    for (const e of events) expect(e.object).toBe('chat.completion.chunk');
    const content = events.map((e) => e.choices[0]?.delta.content ?? '').join('');
    const plain = (await (await chat({ model: 'saferouter/demo', messages: MESSAGES })).json()) as {
      choices: { message: { content: string } }[];
    };
    expect(content).toBe(plain.choices[0]?.message.content);
  });

  it('demo-thinking streams reasoning_content before the answer', async () => {
    const text = await (await chat({ model: 'saferouter/demo-thinking', messages: MESSAGES, stream: true })).text();
    expect(text).toContain('reasoning_content');
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
  });
});
