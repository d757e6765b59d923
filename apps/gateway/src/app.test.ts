/**
 * The app shell through `app.request()`: request ids on every response, 405 with `Allow` on the
 * fixed-method paths, 404 in OpenAI's shape, unexpected failures as an opaque 500, and the
 * public health check.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  ADMIN_KEY,
  MESSAGES,
  REQUEST_ID,
  captureLogs,
  createFixture,
  expectError,
  type CapturedLogs,
  type Fixture,
} from './test-fixture.js';

let fx: Fixture;
let logs: CapturedLogs;
beforeEach(async () => {
  logs = captureLogs();
  fx = await createFixture({ logger: logs.logger });
});

/** The lines logged at `error`. */
const errors = (): Record<string, unknown>[] => logs.lines().filter((l) => l.level === 50);
afterEach(async () => {
  await fx.dispose();
});

describe('x-request-id', () => {
  it('is set on successes, errors, 404s and 405s, and differs per request', async () => {
    const responses = [
      await fx.call('/health', { key: null }), // 200, public
      await fx.call('/v1/models'), // 200
      await fx.call('/v1/chat/completions', { body: { model: 'saferouter/demo', messages: MESSAGES } }), // 200
      await fx.call('/v1/models', { key: null }), // 401
      await fx.call('/v1/keys', { body: { name: 'x' } }), // 403
      await fx.call('/v1/chat/completions', { body: '{' }), // 400
      await fx.call('/v1/nope'), // 404
      await fx.call('/v1/models', { method: 'DELETE' }), // 405
      await fx.call('/v1/chat/completions', { body: { model: 'nokey/model', messages: MESSAGES } }), // 503
    ];
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 401, 403, 400, 404, 405, 503]);
    const ids = responses.map((r) => r.headers.get('x-request-id'));
    for (const id of ids) expect(id).toMatch(REQUEST_ID);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('405 Method Not Allowed', () => {
  const cases: [path: string, method: string, allow: string][] = [
    ['/v1/chat/completions', 'GET', 'POST'],
    ['/v1/chat/completions', 'PUT', 'POST'],
    ['/v1/chat/completions', 'DELETE', 'POST'],
    ['/v1/models', 'POST', 'GET'],
    ['/v1/models', 'PATCH', 'GET'],
    ['/v1/keys', 'PUT', 'GET, POST'],
    ['/v1/keys', 'DELETE', 'GET, POST'],
    ['/v1/credits', 'POST', 'GET'],
    ['/v1/credits/topup', 'GET', 'POST'],
    ['/v1/activity', 'DELETE', 'GET'],
    ['/health', 'POST', 'GET'],
    ['/health', 'PUT', 'GET'],
  ];
  it.each(cases)('%s %s → 405 with Allow: %s', async (path, method, allow) => {
    const res = await fx.call(path, {
      method,
      ...(method === 'GET' || method === 'DELETE' || method === 'HEAD' ? {} : { body: {} }),
    });
    const json = await expectError(res, 405, 'method_not_allowed', 'invalid_request_error');
    expect(res.headers.get('allow')).toBe(allow);
    expect(json.error.message).toContain(method);
  });

  it('is answered before authentication, so it needs no key', async () => {
    const res = await fx.call('/v1/keys', { method: 'DELETE', key: null });
    await expectError(res, 405, 'method_not_allowed');
    expect(res.headers.get('allow')).toBe('GET, POST');
    expect(res.headers.get('www-authenticate')).toBeNull();
  });

  it('HEAD is allowed where GET is', async () => {
    expect((await fx.call('/health', { method: 'HEAD', key: null })).status).toBe(200);
    expect((await fx.call('/v1/models', { method: 'HEAD' })).status).toBe(200);
    const res = await fx.call('/v1/chat/completions', { method: 'HEAD' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
  });
});

describe('404', () => {
  it('an unknown route answers in OpenAI shape', async () => {
    const json = await expectError(await fx.call('/v1/nope'), 404, 'not_found', 'not_found_error');
    expect(json.error.message).toContain('/v1/nope');
  });

  it('an unknown route outside /v1 needs no key', async () => {
    await expectError(await fx.call('/nope', { key: null }), 404, 'not_found');
  });

  it('an unknown route under /v1 asks for a key first', async () => {
    await expectError(await fx.call('/v1/nope', { key: null }), 401, 'missing_api_key');
  });
});

describe('500', () => {
  it('a closed store is a 503 the client may retry, logged', async () => {
    await fx.store.close();
    const res = await fx.call('/v1/models');
    await expectError(res, 503, 'closed', 'service_unavailable');
    expect(errors()).toHaveLength(1);
    expect(errors()[0]).toMatchObject({ reqId: res.headers.get('x-request-id'), code: 'closed' });
  });

  it('an unexpected failure (a driver error) is an opaque 500 in OpenAI shape, logged under the request id', async () => {
    const lookup = vi
      .spyOn(fx.store.keys, 'findByHash')
      .mockRejectedValue(new Error('SQLITE_IOERR: disk I/O error in /var/lib/saferouter'));
    try {
      const res = await fx.call('/v1/models');
      const json = await expectError(res, 500, 'internal_error', 'api_error');
      expect(json.error.message).not.toContain('SQLITE');
      expect(JSON.stringify(json)).not.toContain(fx.user.secret);
      expect(errors()).toHaveLength(1);
      expect(errors()[0]).toMatchObject({ reqId: res.headers.get('x-request-id'), msg: 'unhandled error' });
      expect(JSON.stringify(errors()[0])).toContain('SQLITE_IOERR');
      expect(logs.text()).not.toContain(fx.user.secret);
    } finally {
      lookup.mockRestore();
    }
  });
});

describe('GET /health', () => {
  it('is public', async () => {
    const res = await fx.call('/health', { key: null });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('ignores a bad key', async () => {
    expect((await fx.call('/health', { key: 'sk-sr-wrong' })).status).toBe(200);
  });

  it('the admin key works on user routes too', async () => {
    expect((await fx.call('/v1/models', { key: ADMIN_KEY })).status).toBe(200);
  });
});
