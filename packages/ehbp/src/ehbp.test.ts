/**
 * EHBP end to end over real HTTP: a Hono app with the middleware on a loopback port, our client
 * and the published `ehbp` npm client (0.1.7, Tinfoil's) both round-tripping, plain and streamed;
 * what a proxy sees; and each failure the spec names.
 */
import { serve, type ServerType } from '@hono/node-server';
import { Transport } from 'ehbp';
import { Hono } from 'hono';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEhbpFetch, EhbpError, EhbpKeyMismatchError, encodeKeyConfig, parseKeyConfig } from './index.js';
import { ENCAPSULATED_KEY_HEADER, KEYS_PATH, RESPONSE_NONCE_HEADER } from './protocol.js';
import { ehbp, hpkeKeysHandler, memoryReplayGuard, nodeSender, x25519, type EhbpSession } from './server/index.js';
import { generateKeyPairSync } from 'node:crypto';
import { suite } from './suite.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

let server: ServerType;
let url: string;
let publicKey: Uint8Array;
let otherPublicKey: Uint8Array;
const seenBodies: string[] = [];

beforeAll(async () => {
  const keys = generateKeyPairSync('x25519');
  publicKey = new Uint8Array(keys.publicKey.export({ type: 'spki', format: 'der' }).subarray(12));
  const dh = (peer: Uint8Array): Uint8Array => x25519(keys.privateKey, peer);
  otherPublicKey = new Uint8Array(await suite.kem.serializePublicKey((await suite.kem.generateKeyPair()).publicKey));
  const app = new Hono<{ Variables: { ehbp?: EhbpSession } }>();
  app.get(KEYS_PATH, hpkeKeysHandler(publicKey));
  app.use('/v1/*', ehbp({ dh, publicKey, replay: memoryReplayGuard(), maxBodyBytes: 1 << 20 }));
  app.post('/v1/echo', async (c) => {
    const body = c.var.ehbp?.body ?? new Uint8Array(await c.req.arrayBuffer());
    seenBodies.push(dec.decode(body));
    return c.json({ echo: dec.decode(body), encrypted: c.var.ehbp !== undefined });
  });
  app.post('/v1/stream', (c) => {
    const words = ['one ', 'two ', 'three'];
    const stream = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const w = words.shift();
        if (w === undefined) return controller.close();
        await new Promise((r) => setTimeout(r, 20));
        controller.enqueue(enc.encode(`data: ${w}\n\n`));
      },
    });
    return c.body(stream, 200, { 'content-type': 'text/event-stream' });
  });
  app.get('/v1/plain', (c) => c.json({ ok: true }));
  server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise((r) => server.once('listening', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('key config', () => {
  it('serves one RFC 9458 key_config: key id 0, X25519, HKDF-SHA256, AES-256-GCM', async () => {
    const res = await fetch(url + KEYS_PATH);
    expect(res.headers.get('content-type')).toBe('application/ohttp-keys');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect(bytes.length).toBe(41);
    expect(Array.from(bytes.slice(0, 3))).toEqual([0, 0x00, 0x20]);
    expect(Array.from(bytes.slice(35))).toEqual([0, 4, 0, 1, 0, 2]);
    expect(parseKeyConfig(bytes).publicKey).toEqual(publicKey);
    expect(() => parseKeyConfig(bytes.slice(0, 20))).toThrow(/too short/);
    const wrongSuite = encodeKeyConfig(publicKey);
    wrongSuite[40] = 1; // AES-128-GCM
    expect(() => parseKeyConfig(wrongSuite)).toThrow(/AES-256-GCM/);
  });
});

describe('round trips', () => {
  it('our client: a sealed body opens on the server, the sealed answer opens here; a proxy sees ciphertext only', async () => {
    const wire: Uint8Array[] = [];
    const spy: typeof fetch = async (input, init) => {
      if (init?.body instanceof Uint8Array) wire.push(init.body);
      const res = await fetch(input, init);
      const copy = new Uint8Array(await res.clone().arrayBuffer());
      wire.push(copy);
      return res;
    };
    const secret = 'the prompt nobody else may read';
    const res = await createEhbpFetch(publicKey, { fetch: spy })(`${url}/v1/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ secret }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ echo: JSON.stringify({ secret }), encrypted: true });
    expect(wire).toHaveLength(2);
    for (const bytes of wire) expect(Buffer.from(bytes).includes(secret)).toBe(false);
  });

  it('our client with the node:crypto sender round-trips the same way', async () => {
    const res = await createEhbpFetch(publicKey, { sender: nodeSender })(`${url}/v1/echo`, {
      method: 'POST',
      body: 'fast',
    });
    expect(await res.json()).toEqual({ echo: 'fast', encrypted: true });
  });

  it('our client: a stream stays a stream, chunk by chunk', async () => {
    const res = await createEhbpFetch(publicKey)(`${url}/v1/stream`, { method: 'POST', body: '{}' });
    const reader = res.body!.getReader();
    const parts: string[] = [];
    for (let r = await reader.read(); !r.done; r = await reader.read()) parts.push(dec.decode(r.value));
    expect(parts.join('')).toBe('data: one \n\ndata: two \n\ndata: three\n\n');
    expect(parts.length).toBeGreaterThanOrEqual(3);
  });

  it('the published ehbp client (0.1.7) round-trips, plain and streamed', async () => {
    const transport = await Transport.create(url);
    const res = await transport.post(`${url}/v1/echo`, JSON.stringify({ from: 'ehbp@0.1.7' }), {
      headers: { 'content-type': 'application/json' },
    });
    expect(await res.json()).toEqual({ echo: '{"from":"ehbp@0.1.7"}', encrypted: true });
    const streamed = await transport.post(`${url}/v1/stream`, '{}');
    expect(await streamed.text()).toBe('data: one \n\ndata: two \n\ndata: three\n\n');
  });

  it('bodyless and header-less requests pass through in the clear', async () => {
    const res = await createEhbpFetch(publicKey)(`${url}/v1/plain`);
    expect(res.headers.get(RESPONSE_NONCE_HEADER)).toBeNull();
    expect(await res.json()).toEqual({ ok: true });
    const plain = await fetch(`${url}/v1/echo`, { method: 'POST', body: 'hello' });
    expect(plain.headers.get(RESPONSE_NONCE_HEADER)).toBeNull();
    expect(await plain.json()).toEqual({ echo: 'hello', encrypted: false });
  });
});

describe('failures', () => {
  /** Seals with our client but lets the test edit what goes on the wire. */
  async function sealedRequest(edit: (headers: Headers, body: Uint8Array) => Uint8Array): Promise<Response> {
    let out: Response | undefined;
    const capture: typeof fetch = async (input, init) => {
      const headers = new Headers(init?.headers);
      const body = edit(headers, new Uint8Array(init?.body as Uint8Array));
      out = await fetch(input, { ...init, headers, body: body as Uint8Array<ArrayBuffer> });
      return out.clone();
    };
    await createEhbpFetch(publicKey, { fetch: capture })(`${url}/v1/echo`, {
      method: 'POST',
      body: 'x'.repeat(100),
    }).catch(() => undefined);
    return out!;
  }

  it.each([
    ['a malformed encapsulated key', (h: Headers, b: Uint8Array) => (h.set(ENCAPSULATED_KEY_HEADER, 'zz'), b), 400],
    ['a truncated frame', (_h: Headers, b: Uint8Array) => b.slice(0, b.length - 3), 400],
    [
      'an oversized frame length',
      (_h: Headers, b: Uint8Array) => (new DataView(b.buffer).setUint32(0, 0x7fffffff), b),
      400,
    ],
    [
      'a tampered ciphertext (first frame: indistinguishable from a stale key)',
      (_h: Headers, b: Uint8Array) => ((b[10] = (b[10] ?? 0) ^ 1), b),
      422,
    ],
  ] as const)('%s → %d, and the handler never runs', async (_name, edit, status) => {
    const before = seenBodies.length;
    const res = await sealedRequest(edit);
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(seenBodies.length).toBe(before);
  });

  it('a replayed sealed request is refused (400) and reaches the handler once', async () => {
    let replay: { headers: Headers; body: Uint8Array } | undefined;
    const capture: typeof fetch = async (input, init) => {
      replay = { headers: new Headers(init?.headers), body: new Uint8Array(init?.body as Uint8Array) };
      return fetch(input, init);
    };
    const before = seenBodies.length;
    await (
      await createEhbpFetch(publicKey, { fetch: capture })(`${url}/v1/echo`, { method: 'POST', body: 'pay once' })
    ).text();
    const again = await fetch(`${url}/v1/echo`, {
      method: 'POST',
      headers: replay!.headers,
      body: replay!.body as Uint8Array<ArrayBuffer>,
    });
    expect(again.status).toBe(400);
    expect(((await again.json()) as { title: string }).title).toMatch(/already used/);
    expect(seenBodies.length).toBe(before + 1);
  });

  it('sealed to another key: 422 key-config, and the client says so with a typed error', async () => {
    await expect(
      createEhbpFetch(otherPublicKey)(`${url}/v1/echo`, { method: 'POST', body: 'x' }),
    ).rejects.toBeInstanceOf(EhbpKeyMismatchError);
  });

  it('a response nonce stripped by a proxy: a 2xx is refused, never read as plaintext', async () => {
    const stripping: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      const headers = new Headers(res.headers);
      headers.delete(RESPONSE_NONCE_HEADER);
      return new Response(res.body, { status: res.status, headers });
    };
    await expect(
      createEhbpFetch(publicKey, { fetch: stripping })(`${url}/v1/echo`, { method: 'POST', body: 'x' }),
    ).rejects.toBeInstanceOf(EhbpError);
  });

  it('a tampered response chunk fails the read, with no plaintext of it', async () => {
    const flipping: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      const bytes = new Uint8Array(await res.arrayBuffer());
      bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 1;
      return new Response(bytes, { status: res.status, headers: res.headers });
    };
    const res = await createEhbpFetch(publicKey, { fetch: flipping })(`${url}/v1/echo`, { method: 'POST', body: 'x' });
    await expect(res.text()).rejects.toBeInstanceOf(EhbpError);
  });
});
