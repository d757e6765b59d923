/**
 * CORS over a real port (SAFEROUTER_CORS_ORIGINS), where streams and replies are written to the
 * Node response directly (./src/node-response.ts), not through Hono: a preflight from an allowed
 * origin passes with the methods and headers a browser client needs, one from another origin is
 * refused with no CORS header, answers (streamed, JSON, errors, EHBP-sealed) carry and expose
 * the headers an app reads, and the attestation endpoints keep answering `*` to anyone.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '@saferouter/fake-upstream';
import { createSecureFetch } from '@saferouter/verify';
import { ADMIN_KEY, startTestGateway, type TestGateway } from './helpers.js';

const APP = 'https://app.example.com';
const OTHER = 'https://elsewhere.example.net';
const msg = [{ role: 'user', content: 'hello' }];

let upstream: FakeUpstream;
let gw: TestGateway;

beforeAll(async () => {
  upstream = await startFakeUpstream();
  gw = await startTestGateway(upstream.url, { corsOrigins: [APP] });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});
beforeEach(() => upstream.reset());

const preflight = (path: string, origin: string, method = 'POST'): Promise<Response> =>
  fetch(`${gw.url}${path}`, {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': method,
      'access-control-request-headers': 'authorization,content-type,ehbp-encapsulated-key,x-stainless-os',
    },
  });

const cors = (res: Response): Record<string, string> =>
  Object.fromEntries([...res.headers].filter(([name]) => name.startsWith('access-control-')));

const exposed = (res: Response): string[] => (res.headers.get('access-control-expose-headers') ?? '').split(', ');

function chat(body: Record<string, unknown>, origin: string, key: string | null = gw.userKey): Promise<Response> {
  return fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: {
      origin,
      'content-type': 'application/json',
      ...(key === null ? {} : { authorization: `Bearer ${key}` }),
    },
    body: JSON.stringify(body),
  });
}

describe('preflight', () => {
  it('passes for an allowed origin, with the methods and the headers a client sends', async () => {
    const res = await preflight('/v1/chat/completions', APP);
    expect(res.status).toBe(204);
    const headers = cors(res);
    expect(headers['access-control-allow-origin']).toBe(APP);
    expect(headers['access-control-allow-methods']).toBe('GET, POST, PATCH, DELETE');
    for (const h of ['authorization', 'content-type', 'ehbp-encapsulated-key', 'x-stainless-os']) {
      expect(headers['access-control-allow-headers']!.split(', ')).toContain(h);
    }
    expect(res.headers.get('vary')).toBe('Origin');
    // Admin routes too: the preflight is answered before auth.
    expect((await preflight('/v1/keys', APP, 'GET')).status).toBe(204);
  });

  it('is refused for another origin: 403, and not one CORS header', async () => {
    const res = await preflight('/v1/chat/completions', OTHER);
    expect(res.status).toBe(403);
    expect(cors(res)).toEqual({});
    const body = (await res.json()) as { error: { code: string } };
    expect(body.error.code).toBe('cors_origin_not_allowed');
  });
});

describe('answers to an allowed origin', () => {
  it('a stream carries and exposes the request id, the provider and the fallback pair', async () => {
    upstream.setBehavior('m-primary', { status: 503 });
    upstream.setBehavior('m-backup', { content: 'from backup', chunks: 3 });
    const res = await chat({ model: 'm-primary', messages: msg, stream: true }, APP);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(res.headers.get('access-control-allow-origin')).toBe(APP);
    expect(res.headers.get('x-saferouter-fallback-to')).toBe('m-backup');
    expect(exposed(res)).toEqual(
      expect.arrayContaining([
        'x-request-id',
        'x-saferouter-receipt',
        'x-saferouter-provider',
        'x-saferouter-fallback-from',
        'x-saferouter-fallback-to',
        'ehbp-response-nonce',
      ]),
    );
    expect(await res.text()).toMatch(/data: \[DONE\]/);
  });

  it('a JSON reply and an error are readable too; another origin gets no CORS header', async () => {
    const ok = await chat({ model: 'm-backup', messages: msg }, APP);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe(APP);
    expect(ok.headers.get('x-saferouter-receipt')).toBeTruthy();
    expect(exposed(ok)).toContain('x-saferouter-receipt');
    await ok.arrayBuffer();
    const unauthorized = await chat({ model: 'm-backup', messages: msg }, APP, null);
    expect(unauthorized.status).toBe(401);
    expect(unauthorized.headers.get('access-control-allow-origin')).toBe(APP);
    await unauthorized.arrayBuffer();
    const other = await chat({ model: 'm-backup', messages: msg }, OTHER);
    expect(other.status).toBe(200);
    expect(cors(other)).toEqual({});
    await other.arrayBuffer();
  });

  it('an EHBP-sealed request exposes the response nonce the client must read', async () => {
    const sealed = await createSecureFetch(gw.url, { allowMock: true });
    const res = await sealed(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { origin: APP, authorization: `Bearer ${gw.userKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm-backup', messages: msg, stream: true }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('ehbp-response-nonce')).toMatch(/^[0-9a-f]+$/);
    expect(res.headers.get('access-control-allow-origin')).toBe(APP);
    expect(exposed(res)).toContain('ehbp-response-nonce');
    expect(await res.text()).toMatch(/data: \[DONE\]/);
  });
});

describe('attestation endpoints', () => {
  it('keep * for every origin, listed or not', async () => {
    for (const origin of [APP, OTHER]) {
      const pre = await preflight('/attestation/quote', origin);
      expect(pre.status).toBe(204);
      expect(pre.headers.get('access-control-allow-origin')).toBe('*');
      const key = await fetch(`${gw.url}/attestation/verifying-key`, { headers: { origin } });
      expect(key.status).toBe(200);
      expect(key.headers.get('access-control-allow-origin')).toBe('*');
      await key.arrayBuffer();
    }
    const keys = await fetch(`${gw.url}/.well-known/hpke-keys`, { method: 'OPTIONS', headers: { origin: OTHER } });
    expect(keys.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('leave the admin key needed on the API: CORS opens no door', async () => {
    const res = await fetch(`${gw.url}/v1/keys`, { headers: { origin: APP, authorization: `Bearer ${gw.userKey}` } });
    expect(res.status).toBe(403);
    expect(res.headers.get('access-control-allow-origin')).toBe(APP);
    await res.arrayBuffer();
    const admin = await fetch(`${gw.url}/v1/keys`, { headers: { origin: APP, authorization: `Bearer ${ADMIN_KEY}` } });
    expect(admin.status).toBe(200);
    await admin.arrayBuffer();
  });
});
