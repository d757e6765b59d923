// CORS for /v1/* (SAFEROUTER_CORS_ORIGINS) through `app.request()`: the variable's rules, the
// preflight for an allowed origin and for another, the 405 for a wrong method that is not a
// preflight, and the headers on answers (errors included). test/cors.e2e.test.ts checks the same
// over a real port, where streams are written to the Node response directly.
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '@saferouter/router';
import { loadGatewayConfig } from './config.js';
import { CORS_ALLOWED_HEADERS, parseCorsOrigins } from './cors.js';
import { createFixture, expectError, MESSAGES, type Fixture } from './test-fixture.js';

const APP = 'https://app.example.com';
const OTHER = 'https://evil.example.net';

describe('SAFEROUTER_CORS_ORIGINS', () => {
  it('is none by default, * alone, or a list of origins (normalised, deduplicated)', () => {
    expect(parseCorsOrigins(undefined)).toEqual([]);
    expect(parseCorsOrigins('')).toEqual([]);
    expect(parseCorsOrigins('  ')).toEqual([]);
    expect(parseCorsOrigins('*')).toBe('*');
    expect(parseCorsOrigins(' * ')).toBe('*');
    expect(parseCorsOrigins('https://app.example.com')).toEqual([APP]);
    expect(parseCorsOrigins('https://App.Example.com/, http://localhost:5173 ,https://app.example.com:443')).toEqual([
      APP,
      'http://localhost:5173',
    ]);
    expect(parseCorsOrigins('http://[::1]:8080,http://127.0.0.1:3000')).toEqual([
      'http://[::1]:8080',
      'http://127.0.0.1:3000',
    ]);
  });

  it('stops the start on a malformed entry, naming the variable', () => {
    for (const raw of [
      'app.example.com',
      'https://app.example.com/path',
      'https://app.example.com/?x=1',
      'https://app.example.com?',
      'https://app.example.com#',
      'https://user@app.example.com',
      'ftp://app.example.com',
      'https://*.example.com',
      '*,https://app.example.com',
      'https://app.example.com,*',
      'https://app.example.com,',
      'https://a.example,,https://b.example',
      'null',
      'https://',
    ]) {
      expect(() => parseCorsOrigins(raw), raw).toThrow(ConfigError);
      const fails = (): unknown =>
        loadGatewayConfig({ SAFEROUTER_DATA_DIR: '/tmp/sr-cors', SAFEROUTER_CORS_ORIGINS: raw });
      expect(fails, raw).toThrow(/SAFEROUTER_CORS_ORIGINS/);
    }
  });

  it('reaches the config', () => {
    const config = loadGatewayConfig({ SAFEROUTER_DATA_DIR: '/tmp/sr-cors', SAFEROUTER_CORS_ORIGINS: `${APP},${APP}` });
    expect(config.corsOrigins).toEqual([APP]);
    expect(loadGatewayConfig({ SAFEROUTER_DATA_DIR: '/tmp/sr-cors' }).corsOrigins).toEqual([]);
  });
});

const preflight = (
  origin: string,
  method = 'POST',
  headers = 'authorization, content-type, ehbp-encapsulated-key',
) => ({
  method: 'OPTIONS',
  key: null,
  headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': headers },
});

const corsHeaders = (res: Response): Record<string, string> =>
  Object.fromEntries([...res.headers].filter(([name]) => name.startsWith('access-control-') || name === 'vary'));

describe('CORS on /v1/*', () => {
  let fx: Fixture;
  afterEach(async () => {
    await fx.dispose();
  });

  it('answers a preflight from an allowed origin with the methods and headers, before auth', async () => {
    fx = await createFixture({ corsOrigins: [APP, 'http://localhost:5173'] });
    for (const path of ['/v1/chat/completions', '/v1/models', '/v1/keys/key_0123456789abcdef', '/v1/responses']) {
      const res = await fx.call(path, preflight(APP));
      expect(res.status, path).toBe(204);
      expect(await res.text()).toBe('');
      const headers = corsHeaders(res);
      expect(headers['access-control-allow-origin']).toBe(APP);
      expect(headers.vary).toBe('Origin');
      expect(headers['access-control-allow-methods']).toBe('GET, POST, PATCH, DELETE');
      const allowed = headers['access-control-allow-headers']!.split(', ');
      expect(allowed).toEqual(expect.arrayContaining(['authorization', 'content-type', 'ehbp-encapsulated-key']));
      expect(allowed).toEqual(expect.arrayContaining(['x-stainless-os', 'x-stainless-retry-count']));
      expect(headers['access-control-max-age']).toBe('600');
      expect(headers['access-control-allow-credentials']).toBeUndefined();
    }
    // The second origin of the list too.
    const local = await fx.call('/v1/models', preflight('http://localhost:5173', 'GET'));
    expect(local.status).toBe(204);
    expect(local.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
  });

  it('refuses a preflight from another origin: a 403 without any CORS header', async () => {
    fx = await createFixture({ corsOrigins: [APP] });
    for (const origin of [OTHER, 'https://app.example.com.evil.net', 'http://app.example.com', 'null']) {
      const res = await fx.call('/v1/chat/completions', preflight(origin));
      const body = await expectError(res, 403, 'cors_origin_not_allowed', 'permission_error');
      expect(body.error.message).toMatch(/SAFEROUTER_CORS_ORIGINS/);
      expect(corsHeaders(res), origin).toEqual({});
    }
  });

  it('refuses every preflight by default (no SAFEROUTER_CORS_ORIGINS)', async () => {
    fx = await createFixture();
    const res = await fx.call('/v1/chat/completions', preflight(APP));
    await expectError(res, 403, 'cors_origin_not_allowed');
    expect(corsHeaders(res)).toEqual({});
    // And a plain request from a browser gets no CORS header either.
    const plain = await fx.call('/v1/models', { headers: { origin: APP } });
    expect(plain.status).toBe(200);
    expect(corsHeaders(plain)).toEqual({});
  });

  it('keeps the 405 for a wrong method that is not a preflight', async () => {
    fx = await createFixture({ corsOrigins: [APP] });
    // OPTIONS without Access-Control-Request-Method, or without Origin: not a preflight.
    const bare = await fx.call('/v1/chat/completions', { method: 'OPTIONS', headers: { origin: APP } });
    await expectError(bare, 405, 'method_not_allowed');
    expect(bare.headers.get('allow')).toBe('POST');
    const noOrigin = await fx.call('/v1/chat/completions', {
      method: 'OPTIONS',
      headers: { 'access-control-request-method': 'POST' },
    });
    await expectError(noOrigin, 405, 'method_not_allowed');
    await expectError(await fx.call('/v1/chat/completions', { method: 'GET' }), 405, 'method_not_allowed');
    // A preflight is only special on /v1/*: elsewhere OPTIONS keeps its 405.
    await expectError(await fx.call('/health', preflight(APP, 'GET')), 405, 'method_not_allowed');
  });

  it('lets an allowed origin read answers, errors included, and the headers clients need', async () => {
    fx = await createFixture({ corsOrigins: [APP] });
    const ok = await fx.call('/v1/chat/completions', {
      body: { model: 'saferouter/demo', messages: MESSAGES },
      headers: { origin: APP },
    });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe(APP);
    expect(ok.headers.get('vary')).toBe('Origin');
    const exposed = ok.headers.get('access-control-expose-headers')!.split(', ');
    expect(exposed).toEqual(
      expect.arrayContaining([
        'x-request-id',
        'x-saferouter-receipt',
        'x-saferouter-provider',
        'x-saferouter-fallback-from',
        'x-saferouter-fallback-to',
        'ehbp-response-nonce',
        'retry-after',
      ]),
    );
    // A 401 (no key) must be readable too, or the app cannot tell the user why.
    const denied = await fx.call('/v1/models', { key: null, headers: { origin: APP } });
    await expectError(denied, 401);
    expect(denied.headers.get('access-control-allow-origin')).toBe(APP);
    // Another origin's request is served (no browser is involved) but gets no CORS header.
    const other = await fx.call('/v1/models', { headers: { origin: OTHER } });
    expect(other.status).toBe(200);
    expect(corsHeaders(other)).toEqual({});
  });

  it('answers * for every origin when configured with *', async () => {
    fx = await createFixture({ corsOrigins: '*' });
    const res = await fx.call('/v1/chat/completions', preflight(OTHER, 'POST', CORS_ALLOWED_HEADERS.join(', ')));
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('vary')).toBeNull();
    const plain = await fx.call('/v1/models', { headers: { origin: OTHER } });
    expect(plain.headers.get('access-control-allow-origin')).toBe('*');
  });
});
