// The request line through `app.request()`: one per request, its fields, the chat fields from the
// activity entries (a stream's only once it has been read to its end), and nothing secret in it.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ADMIN_KEY,
  MESSAGES,
  REQUEST_ID,
  captureLogs,
  createFixture,
  type CapturedLogs,
  type Fixture,
} from './test-fixture.js';

let fx: Fixture;
let logs: CapturedLogs;
beforeEach(async () => {
  logs = captureLogs('debug');
  fx = await createFixture({ logger: logs.logger });
});
afterEach(async () => {
  await fx.dispose();
});

const requestLines = (): Record<string, unknown>[] => logs.lines().filter((l) => l.msg === 'request');
const lineOf = (res: Response): Record<string, unknown> | undefined =>
  requestLines().find((l) => l.reqId === res.headers.get('x-request-id'));

describe('the request line', () => {
  it('one per request, whatever the answer, with id, method, path, key id, status and latency', async () => {
    const responses = [
      await fx.call('/health', { key: null }),
      await fx.call('/v1/models'),
      await fx.call('/v1/models', { key: null }),
      await fx.call('/v1/models', { method: 'DELETE' }),
      await fx.call('/v1/nope'),
      await fx.call('/v1/keys', { key: ADMIN_KEY }),
    ];
    expect(requestLines()).toHaveLength(responses.length);
    for (const res of responses) {
      const line = lineOf(res);
      expect(line, res.url).toMatchObject({ level: 30, reqId: expect.stringMatching(REQUEST_ID), status: res.status });
      expect(line?.latencyMs).toBeGreaterThanOrEqual(0);
    }
    expect(lineOf(responses[0]!)).toMatchObject({ method: 'GET', path: '/health' });
    expect(lineOf(responses[0]!)).not.toHaveProperty('keyId');
    expect(lineOf(responses[1]!)).toMatchObject({ path: '/v1/models', keyId: fx.user.id, status: 200 });
    expect(lineOf(responses[2]!)).toMatchObject({ status: 401 });
    expect(lineOf(responses[3]!)).toMatchObject({ method: 'DELETE', status: 405 });
    expect(lineOf(responses[5]!)).toMatchObject({ keyId: 'admin', status: 200 });
    // No chat fields where nothing was metered.
    expect(lineOf(responses[1]!)).not.toHaveProperty('model');
  });

  it('logs the path only: a query string never reaches the log', async () => {
    const res = await fx.call('/v1/activity?limit=5&note=query-value-that-could-be-anything');
    expect(lineOf(res)).toMatchObject({ path: '/v1/activity' });
    expect(logs.text()).not.toContain('query-value-that-could-be-anything');
  });

  it('a chat completion: model, provider, attempts, time to first byte, cost and tokens', async () => {
    const res = await fx.call('/v1/chat/completions', { body: { model: 'saferouter/demo', messages: MESSAGES } });
    expect(res.status).toBe(200);
    expect(lineOf(res)).toMatchObject({
      method: 'POST',
      path: '/v1/chat/completions',
      keyId: fx.user.id,
      status: 200,
      model: 'saferouter/demo',
      requested: 'saferouter/demo',
      provider: 'saferouter',
      attempts: 1,
      ttfbMs: expect.any(Number),
      costUsd: '0',
      promptTokens: expect.any(Number),
      completionTokens: expect.any(Number),
      stream: false,
    });
  });

  it('a stream: the line is written once it has been read to its end, with its settlement', async () => {
    const res = await fx.call('/v1/chat/completions', {
      body: { model: 'saferouter/demo', messages: MESSAGES, stream: true },
    });
    expect(res.status).toBe(200);
    // Not settled yet: no line.
    expect(lineOf(res)).toBeUndefined();
    expect(await res.text()).toContain('[DONE]');
    await new Promise((resolve) => setImmediate(resolve));
    expect(requestLines().filter((l) => l.reqId === res.headers.get('x-request-id'))).toHaveLength(1);
    expect(lineOf(res)).toMatchObject({ status: 200, model: 'saferouter/demo', attempts: 1, stream: true });
  });

  it('a stream never read: written at close, marked unsettled', async () => {
    const res = await fx.call('/v1/chat/completions', {
      body: { model: 'saferouter/demo', messages: MESSAGES, stream: true },
    });
    expect(lineOf(res)).toBeUndefined();
    await fx.close();
    expect(lineOf(res)).toMatchObject({ status: 200, settled: false });
    await res.body?.cancel();
  });

  it('a failed chat is a warn line with the attempt and its error; debug adds one line per attempt', async () => {
    const res = await fx.call('/v1/chat/completions', { body: { model: 'nokey/model', messages: MESSAGES } });
    expect(res.status).toBe(503);
    const line = lineOf(res);
    expect(line).toMatchObject({ level: 40, status: 503, model: 'nokey/model', provider: 'nokey', costUsd: '0' });
    expect(String(line?.error)).toMatch(/\S/);
    const attempts = logs.lines().filter((l) => l.msg === 'attempt' && l.reqId === res.headers.get('x-request-id'));
    expect(attempts.length).toBe(line?.attempts);
    expect(attempts[0]).toMatchObject({ level: 20, model: 'nokey/model', provider: 'nokey', status: 503 });
  });

  it('never holds the key that was presented, right or wrong', async () => {
    await fx.call('/v1/models');
    await fx.call('/v1/models', { key: ADMIN_KEY });
    await fx.call('/v1/models', { key: `${fx.user.secret}x` });
    await fx.call('/v1/models', { headers: { authorization: 'Bearer not-a-saferouter-key-value' } });
    await fx.call('/v1/chat/completions', { body: { model: 'saferouter/demo', messages: MESSAGES } });
    const out = logs.text();
    expect(requestLines()).toHaveLength(5);
    expect(out).not.toContain(fx.user.secret);
    expect(out).not.toContain(ADMIN_KEY);
    expect(out).not.toContain('not-a-saferouter-key-value');
  });
});
