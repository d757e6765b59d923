/**
 * End-to-end failure behaviour against the real server: fallback, bubble-up, timeouts,
 * mid-stream cuts, client disconnects, capability matching and bad input.
 */
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '@saferouter/fake-upstream';
import { ADMIN_KEY, startTestGateway, type TestGateway } from './helpers.js';

let upstream: FakeUpstream;
let gw: TestGateway;

beforeAll(async () => {
  upstream = await startFakeUpstream();
  gw = await startTestGateway(upstream.url, { bodyLimitBytes: 64 * 1024 });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});
beforeEach(() => upstream.reset());

function chat(
  body: unknown,
  init: { key?: string | null; method?: string; raw?: string; signal?: AbortSignal } = {},
): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const key = init.key === undefined ? gw.userKey : init.key;
  if (key !== null) headers.authorization = `Bearer ${key}`;
  return fetch(`${gw.url}/v1/chat/completions`, {
    method: init.method ?? 'POST',
    headers,
    ...(init.method === 'GET' ? {} : { body: init.raw ?? JSON.stringify(body) }),
    ...(init.signal ? { signal: init.signal } : {}),
  });
}

const msg = [{ role: 'user', content: 'hello' }];

async function expectError(
  res: Response,
  status: number,
  type?: string,
  code?: string,
): Promise<{ error: { message: string; type: string; code: string } }> {
  expect(res.status).toBe(status);
  expect(res.headers.get('x-request-id')).toMatch(/^req_[0-9a-f]{32}$/);
  const json = (await res.json()) as { error: { message: string; type: string; code: string } };
  expect(typeof json.error.message).toBe('string');
  if (type) expect(json.error.type).toBe(type);
  if (code) expect(json.error.code).toBe(code);
  return json;
}

describe('fallback', () => {
  it('503 falls back to the next model, with fallback headers', async () => {
    upstream.setBehavior('m-primary', { status: 503 });
    upstream.setBehavior('m-backup', { content: 'from backup' });
    const res = await chat({ model: 'm-primary', messages: msg });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-saferouter-fallback-from')).toBe('m-primary');
    expect(res.headers.get('x-saferouter-fallback-to')).toBe('m-backup');
    const json = (await res.json()) as { choices: { message: { content: string } }[] };
    expect(json.choices[0]?.message.content).toBe('from backup');
    expect(upstream.requests.map((r) => r.model)).toEqual(['m-primary', 'm-backup']);
  });

  it('429 falls back', async () => {
    upstream.setBehavior('m-primary', { status: 429 });
    const res = await chat({ model: 'm-primary', messages: msg });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-saferouter-fallback-to')).toBe('m-backup');
  });

  it('a first-byte timeout falls back (streaming too)', async () => {
    upstream.setBehavior('m-primary', { hang: true });
    const res = await chat({ model: 'm-primary', messages: msg, stream: true });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-saferouter-fallback-to')).toBe('m-backup');
    expect(await res.text()).toContain('data: [DONE]');
    await upstream.waitFor((rs) => rs.some((r) => r.model === 'm-primary' && r.aborted), 3000);
  });

  it('400 bubbles up unretried with the upstream status and body', async () => {
    upstream.setBehavior('m-primary', {
      status: 400,
      errorBody: {
        error: { message: 'max_tokens too large', type: 'invalid_request_error', code: 'invalid_max_tokens' },
      },
    });
    const res = await chat({ model: 'm-primary', messages: msg });
    const json = await expectError(res, 400, 'invalid_request_error', 'invalid_max_tokens');
    expect(json.error.message).toBe('max_tokens too large');
    expect(upstream.requests.map((r) => r.model)).toEqual(['m-primary']);
  });

  it('when every model fails, the last error is returned', async () => {
    upstream.setBehavior('m-primary', { status: 503 });
    upstream.setBehavior('m-backup', { status: 502 });
    const res = await chat({ model: 'm-primary', messages: msg });
    expect(res.status).toBe(502);
    expect(upstream.requests).toHaveLength(2);
  });

  it('a provider without a key fails fast with 503, and fallback applies', async () => {
    // Alone (client order of one), the key-less model fails fast with a clear 503.
    const lonely = await chat({ model: 'm-nokey', messages: msg, models: ['m-nokey'] });
    const json = await expectError(lonely, 503, undefined, 'provider_unavailable');
    expect(json.error.message).toContain('m-nokey');
    // With its curated chain, fallback moves on to m-backup.
    const chained = await chat({ model: 'm-nokey', messages: msg });
    expect(chained.status).toBe(200);
    expect(chained.headers.get('x-saferouter-fallback-to')).toBe('m-backup');
    upstream.setBehavior('m-backup', { status: 500 });
    const started = Date.now();
    const res = await chat({ model: 'm-nokey', messages: msg });
    expect(res.status).toBe(500);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('capability matching: a tools request skips fallbacks without tools', async () => {
    upstream.setBehavior('m-tools-chain', { status: 503 });
    const tools = [{ type: 'function', function: { name: 'f', parameters: { type: 'object', properties: {} } } }];
    const res = await chat({ model: 'm-tools-chain', messages: msg, tools });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-saferouter-fallback-to')).toBe('m-backup');
    expect(upstream.requests.map((r) => r.model)).toEqual(['m-tools-chain', 'm-backup']);
    // Without tools, the cheaper non-tools model is next in line.
    upstream.reset();
    upstream.setBehavior('m-tools-chain', { status: 503 });
    const plain = await chat({ model: 'm-tools-chain', messages: msg });
    expect(plain.headers.get('x-saferouter-fallback-to')).toBe('m-notools');
  });

  it('honours a client-sent order ("models")', async () => {
    upstream.setBehavior('m-lonely', { status: 503 });
    const res = await chat({ model: 'm-lonely', models: ['m-lonely', 'm-notools'], messages: msg });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-saferouter-fallback-to')).toBe('m-notools');
    expect(upstream.requests[0]?.body.models).toBeUndefined();
  });

  it('the upstream API key never appears in any response', async () => {
    upstream.setBehavior('m-primary', { status: 500 });
    upstream.setBehavior('m-backup', { status: 500 });
    const text = await (await chat({ model: 'm-primary', messages: msg })).text();
    expect(text).not.toContain('upstream-secret-do-not-leak');
  });
});

describe('streaming', () => {
  it('passes SSE bytes through unchanged, keep-alive comments included', async () => {
    upstream.setBehavior('m-primary', { keepAlive: true, reasoning: true, chunks: 3 });
    const res = await chat({ model: 'm-primary', messages: msg, stream: true });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const text = await res.text();
    expect(text).toContain(': keep-alive');
    expect(text).toContain('reasoning_content');
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
  });

  it('a cut mid-stream becomes an SSE error event and never a clean end', async () => {
    upstream.setBehavior('m-primary', { cutAfterChunks: 2, chunks: 8 });
    upstream.setBehavior('m-backup', { content: 'must not be used' });
    const res = await chat({ model: 'm-primary', messages: msg, stream: true });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).not.toContain('[DONE]');
    const last = text.trim().split('\n\n').at(-1) ?? '';
    expect(last.startsWith('data: ')).toBe(true);
    const event = JSON.parse(last.slice(6)) as { error?: { message: string } };
    expect(event.error?.message).toBeTruthy();
    expect(upstream.requests.map((r) => r.model)).toEqual(['m-primary']);
  });

  it('a client disconnect mid-stream aborts the upstream request', async () => {
    upstream.setBehavior('m-primary', { chunks: 50, chunkDelayMs: 50 });
    const controller = new AbortController();
    const res = await chat({ model: 'm-primary', messages: msg, stream: true }, { signal: controller.signal });
    const reader = res.body!.getReader();
    await reader.read();
    controller.abort();
    await upstream.waitFor((rs) => rs.length === 1 && rs[0]!.aborted, 3000);
    expect(upstream.requests[0]?.finished).toBe(false);
    const health = await fetch(`${gw.url}/health`);
    expect(health.status).toBe(200);
  });
});

describe('bad input', () => {
  it('malformed JSON → 400', async () => {
    await expectError(await chat(null, { raw: '{"model": "m-primary", ' }), 400, 'invalid_request_error');
  });
  it('missing model → 400', async () => {
    const json = await expectError(await chat({ messages: msg }), 400, 'invalid_request_error');
    expect(json.error.message).toContain('model');
  });
  it('missing messages → 400', async () => {
    const json = await expectError(await chat({ model: 'm-primary' }), 400, 'invalid_request_error');
    expect(json.error.message).toContain('messages');
  });
  it('wrong types → 400', async () => {
    await expectError(await chat({ model: 42, messages: msg }), 400, 'invalid_request_error');
    await expectError(await chat({ model: 'm-primary', messages: 'hi' }), 400, 'invalid_request_error');
    await expectError(await chat([1, 2, 3]), 400, 'invalid_request_error');
    await expectError(await chat({ model: 'm-primary', messages: msg, stream: 'yes' }), 400, 'invalid_request_error');
  });
  it('body over the limit → 413', async () => {
    const big = 'x'.repeat(100 * 1024);
    await expectError(
      await chat({ model: 'm-primary', messages: [{ role: 'user', content: big }] }),
      413,
      'invalid_request_error',
      'request_too_large',
    );
  });
  it('body over the limit without content-length (chunked) → 413', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const url = new URL(`${gw.url}/v1/chat/completions`);
      const req = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          headers: { authorization: `Bearer ${gw.userKey}`, 'transfer-encoding': 'chunked' },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      for (let i = 0; i < 20; i++) req.write('y'.repeat(8 * 1024));
      req.end();
    });
    expect(status).toBe(413);
  });
  it('wrong method → 405 with Allow', async () => {
    const res = await chat(null, { method: 'GET' });
    await expectError(res, 405, 'invalid_request_error', 'method_not_allowed');
    expect(res.headers.get('allow')).toBe('POST');
  });
  it('missing key → 401', async () => {
    await expectError(
      await chat({ model: 'm-primary', messages: msg }, { key: null }),
      401,
      'authentication_error',
      'missing_api_key',
    );
  });
  it('unknown key → 401, and the key is not echoed', async () => {
    const bogus = 'sk-sr-bogusbogusbogusbogusbogusbogusbogusbogusbog';
    const json = await expectError(
      await chat({ model: 'm-primary', messages: msg }, { key: bogus }),
      401,
      'authentication_error',
      'invalid_api_key',
    );
    expect(json.error.message).not.toContain(bogus);
  });
  it('unknown model → 404 model_not_found', async () => {
    await expectError(await chat({ model: 'gpt-nonexistent', messages: msg }), 404, undefined, 'model_not_found');
  });
  it('unknown route → 404 in OpenAI shape', async () => {
    await expectError(await fetch(`${gw.url}/v1/nope`, { headers: { authorization: `Bearer ${gw.userKey}` } }), 404);
  });
  it('keys endpoint is admin only and validates its body', async () => {
    const asUser = await fetch(`${gw.url}/v1/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${gw.userKey}`, 'content-type': 'application/json' },
      body: '{"name":"x"}',
    });
    await expectError(asUser, 403, 'permission_error');
    const noName = await fetch(`${gw.url}/v1/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body: '{}',
    });
    await expectError(noName, 400, 'invalid_request_error');
  });
});

describe('demo models', () => {
  it('saferouter/demo-thinking streams reasoning_content offline', async () => {
    const res = await chat({ model: 'saferouter/demo-thinking', messages: msg, stream: true });
    const text = await res.text();
    expect(text).toContain('reasoning_content');
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
    expect(upstream.requests).toHaveLength(0);
  });

  it('SAFEROUTER_DEMO_CHUNK_DELAY_MS paces a demo stream chunk by chunk (the tests run unpaced)', async () => {
    const delayMs = 25;
    const paced = await startTestGateway(upstream.url, { demoChunkDelayMs: delayMs });
    try {
      const res = await fetch(`${paced.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${paced.userKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'saferouter/demo', messages: msg, stream: true }),
      });
      expect(res.status).toBe(200);
      const reader = res.body!.getReader();
      const arrivals: number[] = [];
      let text = '';
      for (let r = await reader.read(); !r.done; r = await reader.read()) {
        arrivals.push(performance.now());
        text += new TextDecoder().decode(r.value);
      }
      expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
      const events = text.split('\n\n').filter((e) => e.startsWith('data: ')).length;
      // One pause before every event but the first: the stream takes at least that long and
      // arrives in many reads, not one burst.
      expect(events).toBeGreaterThan(8);
      expect(arrivals.at(-1)! - arrivals[0]!).toBeGreaterThanOrEqual((events - 1) * delayMs * 0.8);
      expect(arrivals.length).toBeGreaterThan(events / 2);
    } finally {
      await paced.close();
    }
  });
});
