// The OpenAI-compatible provider against real local HTTP servers: URL joining, request shape, status and transport errors, key hygiene.
import { MockAgent, Pool, errors as undiciErrors } from 'undici';
import { describe, expect, it } from 'vitest';
import { contentEvent, readText, sleep, startServer } from '../test/http.js';
import { TEST_KEY as KEY, rejection, useProviderFixture } from '../test/fixture.js';
import { NetworkError, ProviderUnavailableError, TimeoutError, UpstreamError } from './errors.js';
import { chatCompletionsURL, createOpenAICompatible } from './openai-compatible.js';
import type { ChatRequestBody } from './spec.js';

const body: ChatRequestBody = { model: 'client-name', messages: [{ role: 'user', content: 'hi' }] };
const { cleanups, serve, provider } = useProviderFixture();

const completion = JSON.stringify({
  id: 'x',
  object: 'chat.completion',
  choices: [{ index: 0, message: { role: 'assistant', content: 'hello' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
});

describe('chatCompletionsURL', () => {
  it.each([
    ['https://api.deepseek.com', 'https://api.deepseek.com/chat/completions'],
    ['https://api.deepseek.com/', 'https://api.deepseek.com/chat/completions'],
    ['https://api.z.ai/api/paas/v4', 'https://api.z.ai/api/paas/v4/chat/completions'],
    ['https://api.z.ai/api/paas/v4/', 'https://api.z.ai/api/paas/v4/chat/completions'],
    ['http://127.0.0.1:1234/v1', 'http://127.0.0.1:1234/v1/chat/completions'],
    ['https://example.com/openai/v1?api-version=2', 'https://example.com/openai/v1/chat/completions?api-version=2'],
  ])('%s', (base, expected) => {
    expect(chatCompletionsURL(base).href).toBe(expected);
  });

  it('rejects relative and non-http URLs', () => {
    expect(() => chatCompletionsURL('api.deepseek.com')).toThrow(TypeError);
    expect(() => chatCompletionsURL('ftp://x.test/v1')).toThrow(TypeError);
  });
});

describe('request shape', () => {
  it('posts to the prefixed path with auth, extra headers, upstream id and no `models`', async () => {
    const server = await serve((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(completion),
    );
    const p = provider({ baseURL: `${server.origin}/api/paas/v4/`, headers: { 'x-extra': 'yes' } });
    await p('upstream-id').doGenerate({
      body: { ...body, models: ['a', 'b'], temperature: 0.2 },
      headers: { 'x-request-id': 'r1' },
    });
    const seen = server.requests[0];
    expect(seen?.method).toBe('POST');
    expect(seen?.url).toBe('/api/paas/v4/chat/completions');
    expect(seen?.headers['authorization']).toBe(`Bearer ${KEY}`);
    expect(seen?.headers['content-type']).toBe('application/json');
    expect(seen?.headers['x-extra']).toBe('yes');
    expect(seen?.headers['x-request-id']).toBe('r1');
    const sent = JSON.parse(seen?.body ?? '{}') as Record<string, unknown>;
    expect(sent['model']).toBe('upstream-id');
    expect(sent['models']).toBeUndefined();
    expect(sent['temperature']).toBe(0.2);
    expect(sent['messages']).toEqual(body.messages);
  });

  it('never lets a caller double or replace the auth and content-type headers', async () => {
    const server = await serve((_req, res) => res.end(completion));
    const p = provider({ baseURL: server.origin, headers: { 'X-Org': 'config', 'x-trace': 'config' } });
    await p('m').doGenerate({
      body,
      headers: { Authorization: 'Bearer client-saferouter-key', 'Content-Type': 'text/plain', 'X-Trace': 'call' },
    });
    const seen = server.requests[0];
    expect(seen?.headers['authorization']).toBe(`Bearer ${KEY}`);
    expect(seen?.headers['content-type']).toBe('application/json');
    expect(seen?.headers['x-org']).toBe('config');
    expect(seen?.headers['x-trace']).toBe('call');
    expect(JSON.stringify(seen?.headers)).not.toContain('client-saferouter-key');
  });

  it('throws ProviderUnavailableError without touching the network when the key is missing', async () => {
    const server = await serve((_req, res) => res.end(completion));
    for (const apiKey of [undefined, '']) {
      const p = provider({ baseURL: server.origin, apiKey });
      const error = await rejection(p('m').doGenerate({ body }));
      expect(error).toBeInstanceOf(ProviderUnavailableError);
      expect(error.isRetryable).toBe(true);
      expect(await rejection(p('m').doStream({ body }))).toBeInstanceOf(ProviderUnavailableError);
    }
    expect(server.requests).toHaveLength(0);
  });
});

describe('doGenerate', () => {
  it('returns the body unchanged with usage and finish reason', async () => {
    const server = await serve((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(completion),
    );
    const result = await provider({ baseURL: server.origin })('m').doGenerate({ body });
    expect(result.status).toBe(200);
    expect(new TextDecoder().decode(result.body)).toBe(completion);
    expect(result.usage).toEqual({ prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 });
    expect(result.finishReason).toBe('stop');
    expect(result.ttfbMs).toBeGreaterThanOrEqual(0);
  });

  it('tolerates a non-JSON body', async () => {
    const server = await serve((_req, res) => res.end('not json at all'));
    const result = await provider({ baseURL: server.origin })('m').doGenerate({ body });
    expect(new TextDecoder().decode(result.body)).toBe('not json at all');
    expect(result.usage).toBeUndefined();
    expect(result.finishReason).toBeUndefined();
  });

  it('works over an injected MockAgent', async () => {
    const agent = new MockAgent();
    agent.disableNetConnect();
    agent.get('https://mock.test').intercept({ path: '/v1/chat/completions', method: 'POST' }).reply(200, completion);
    const p = createOpenAICompatible({ name: 'acme', apiKey: KEY, baseURL: 'https://mock.test/v1', dispatcher: agent });
    const result = await p('m').doGenerate({ body });
    expect(result.usage?.total_tokens).toBe(5);
    await agent.close();
  });
});

describe('upstream error statuses', () => {
  it.each([
    [503, true],
    [429, true],
    [408, true],
    [500, true],
    [400, false],
    [401, false],
    [404, false],
  ])('%i → UpstreamError, retryable=%s, body kept', async (status, retryable) => {
    const errorBody = JSON.stringify({ error: { message: `boom ${status}`, type: 'x' } });
    const server = await serve((_req, res) =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(errorBody),
    );
    const p = provider({ baseURL: server.origin });
    for (const call of [
      () => p('m').doGenerate({ body }),
      () => p('m').doStream({ body: { ...body, stream: true } }),
    ]) {
      const error = await rejection(call());
      expect(error).toBeInstanceOf(UpstreamError);
      expect(error.statusCode).toBe(status);
      expect(error.isRetryable).toBe(retryable);
      expect(new TextDecoder().decode((error as UpstreamError).body)).toBe(errorBody);
      expect((error as UpstreamError).contentType).toBe('application/json');
    }
  });

  it('caps the error body at 1 MiB', async () => {
    const server = await serve((_req, res) => res.writeHead(500).end(Buffer.alloc(3 * 1024 * 1024, 'x')));
    const error = (await rejection(provider({ baseURL: server.origin })('m').doGenerate({ body }))) as UpstreamError;
    expect(error.body.byteLength).toBe(1024 * 1024);
  });
});

describe('transport failures', () => {
  it('maps a connect timeout to TimeoutError(connect)', async () => {
    const pool = new Pool('http://10.0.0.1:9', {
      connect: (_opts, callback) => {
        setTimeout(() => callback(new undiciErrors.ConnectTimeoutError(), null), 10);
      },
    });
    cleanups.push(() => pool.close());
    const error = await rejection(
      provider({ baseURL: 'http://10.0.0.1:9/v1', dispatcher: pool })('m').doGenerate({ body }),
    );
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).phase).toBe('connect');
    expect(error.isRetryable).toBe(true);
  });

  it('maps a refused connection to a retryable NetworkError', async () => {
    const server = await startServer(() => undefined);
    const origin = server.origin;
    await server.close();
    const error = await rejection(provider({ baseURL: origin })('m').doGenerate({ body }));
    expect(error).toBeInstanceOf(NetworkError);
    expect(error.isRetryable).toBe(true);
  });

  it('times out on a server that accepts and never answers (first byte)', async () => {
    const server = await serve(() => undefined);
    const p = provider({ baseURL: server.origin, firstByteTimeoutMs: 150 });
    for (const call of [() => p('m').doGenerate({ body }), () => p('m').doStream({ body })]) {
      const started = Date.now();
      const error = await rejection(call());
      expect(error).toBeInstanceOf(TimeoutError);
      expect((error as TimeoutError).phase).toBe('first-byte');
      expect(Date.now() - started).toBeLessThan(3000);
    }
  });

  it('doStream times out when headers arrive but the first body chunk never does', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.flushHeaders();
    });
    const error = await rejection(
      provider({ baseURL: server.origin, firstByteTimeoutMs: 150 })('m').doStream({ body }),
    );
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).phase).toBe('first-byte');
  });

  it('doStream rejects (retryably) when the upstream dies before its first byte', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.flushHeaders();
      setTimeout(() => res.socket?.destroy(), 20);
    });
    const error = await rejection(provider({ baseURL: server.origin })('m').doStream({ body }));
    expect(error).toBeInstanceOf(NetworkError);
    expect(error.isRetryable).toBe(true);
  });
});

describe('API key hygiene', () => {
  it('never puts the key in an error message, cause or JSON', async () => {
    const server = await serve(async (req, res) => {
      if (req.url?.includes('hang') === true) return;
      if (req.url?.includes('cut') === true) {
        res.writeHead(200).write(contentEvent('a'));
        await sleep(5);
        res.socket?.destroy();
        return;
      }
      res.writeHead(401).end(JSON.stringify({ error: { message: 'Invalid key' } }));
    });
    const refused = await startServer(() => undefined);
    await refused.close();
    const collected: unknown[] = [];
    const capture = async (promise: Promise<unknown>) => {
      try {
        await promise;
      } catch (error) {
        collected.push(error);
      }
    };
    await capture(provider({ baseURL: server.origin })('m').doGenerate({ body }));
    await capture(provider({ baseURL: `${server.origin}/hang`, firstByteTimeoutMs: 50 })('m').doGenerate({ body }));
    await capture(provider({ baseURL: refused.origin })('m').doGenerate({ body }));
    await capture(provider({ baseURL: server.origin, apiKey: '' })('m').doGenerate({ body }));
    const cut = await provider({ baseURL: `${server.origin}/cut` })('m').doStream({ body });
    const cutText = await readText(cut.stream);
    collected.push((await cut.summary).error);
    expect(collected).toHaveLength(5);
    const dump = (e: unknown): string => {
      if (!(e instanceof Error)) return String(e);
      return [e.message, e.stack, JSON.stringify(e), dump(e.cause)].join('\n');
    };
    for (const error of collected) expect(dump(error)).not.toContain(KEY);
    expect(cutText).not.toContain(KEY);
  });
});
