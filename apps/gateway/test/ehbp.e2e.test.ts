/**
 * The attested channel end to end, against the real gateway (in process, SQLite, mock
 * attestation) and the fake upstream:
 * - the published `ehbp` npm client (0.1.7, not our code) sends a sealed chat completion, streamed
 *   and not, and decrypts the right answer;
 * - the openai SDK with `createSecureFetch` (stream and not) through a proxy that sees only
 *   ciphertext (the prompt and the answer searched for in every byte it carried); a proxy that
 *   swaps the HPKE key config makes createSecureFetch refuse before any prompt is sent;
 * - billing, receipts (inside the sealed stream; never a visible header on a sealed non-stream
 *   reply; sealed lookups by POST), a replayed sealed request refused and charged once, and
 *   SAFEROUTER_REQUIRE_EHBP.
 */
import { randomBytes } from 'node:crypto';
import { Transport } from 'ehbp';
import OpenAI from 'openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { generateText, streamText } from 'ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONTENT, startFakeUpstream, type FakeUpstream } from '@saferouter/fake-upstream';
import {
  createEhbpFetch,
  encodeKeyConfig,
  ENCAPSULATED_KEY_HEADER,
  KEYS_PATH,
  RESPONSE_NONCE_HEADER,
} from '@saferouter/ehbp';
import { nodeSender } from '@saferouter/ehbp/server';
import { request as httpRequest } from 'node:http';
import { createSecureFetch, VerifyError } from '@saferouter/verify';
import { startTestGateway, type TestGateway } from './helpers.js';
import { startTamperProxy, text, type TamperProxy } from './tamper-proxy.js';

let upstream: FakeUpstream;
let gw: TestGateway;
let proxy: TamperProxy;

beforeAll(async () => {
  upstream = await startFakeUpstream();
  gw = await startTestGateway(upstream.url);
  proxy = await startTamperProxy(gw.url);
});

afterAll(async () => {
  await proxy?.close();
  await gw?.close();
  await upstream?.close();
});

const auth = (key: string): Record<string, string> => ({
  authorization: `Bearer ${key}`,
  'content-type': 'application/json',
});
const prompt = (): string => `secret prompt ${randomBytes(8).toString('hex')}`;
const dec = new TextDecoder();
const publicKeyOf = (g: TestGateway): Uint8Array => g.attestor.sealingPublicKey;

describe('the published ehbp client (npm ehbp@0.1.7) against a live gateway', () => {
  it('non-stream: the sealed completion opens to the upstream answer; no receipt header is visible', async () => {
    const transport = await Transport.create(gw.url);
    const res = await transport.post(
      `${gw.url}/v1/chat/completions`,
      JSON.stringify({ model: 'm-primary', messages: [{ role: 'user', content: prompt() }] }),
      { headers: auth(gw.userKey) },
    );
    expect(res.status).toBe(200);
    expect(res.headers.get(RESPONSE_NONCE_HEADER)).toMatch(/^[0-9a-f]{64}$/);
    expect(res.headers.get('x-saferouter-receipt')).toBeNull();
    const body = (await res.json()) as { choices: { message: { content: string } }[] };
    expect(body.choices[0]?.message.content).toBe(DEFAULT_CONTENT);
  });

  it('stream: the sealed SSE opens event by event, with the receipt comment inside, before [DONE]', async () => {
    const transport = await Transport.create(gw.url);
    const res = await transport.post(
      `${gw.url}/v1/chat/completions`,
      JSON.stringify({ model: 'm-primary', stream: true, messages: [{ role: 'user', content: prompt() }] }),
      { headers: auth(gw.userKey) },
    );
    expect(res.status).toBe(200);
    const textBody = await res.text();
    const content = textBody
      .split('\n')
      .filter((l) => l.startsWith('data: {'))
      .map(
        (l) =>
          (JSON.parse(l.slice(6)) as { choices: { delta?: { content?: string } }[] }).choices[0]?.delta?.content ?? '',
      )
      .join('');
    expect(content).toBe(DEFAULT_CONTENT);
    expect(textBody).toMatch(/\n: saferouter-receipt [\w-]+\.[\w-]+\.[\w-]+\n\ndata: \[DONE\]\n\n$/);
  });
});

describe('the openai SDK with createSecureFetch', () => {
  it('verifies, then streams and completes sealed; the proxy in the middle carries only ciphertext', async () => {
    const fetch = await createSecureFetch(proxy.url, { allowMock: true });
    const client = new OpenAI({ baseURL: `${proxy.url}/v1`, apiKey: gw.userKey, fetch, maxRetries: 0 });
    const secret = prompt();
    proxy.wire.length = 0;
    const done = await client.chat.completions.create({
      model: 'm-primary',
      messages: [{ role: 'user', content: secret }],
    });
    expect(done.choices[0]?.message.content).toBe(DEFAULT_CONTENT);
    const stream = await client.chat.completions.create({
      model: 'm-primary',
      stream: true,
      messages: [{ role: 'user', content: secret }],
    });
    let streamed = '';
    for await (const chunk of stream) streamed += chunk.choices[0]?.delta?.content ?? '';
    expect(streamed).toBe(DEFAULT_CONTENT);

    const chats = proxy.wire.filter((w) => w.path === '/v1/chat/completions');
    expect(chats).toHaveLength(2);
    for (const w of proxy.wire) {
      for (const bytes of [w.request, w.response]) {
        const b = Buffer.from(bytes);
        expect(b.includes(secret), `${w.method} ${w.path} carried the prompt`).toBe(false);
        expect(b.includes('deterministic reply'), `${w.method} ${w.path} carried the answer`).toBe(false);
      }
    }
    // The upstream did receive the prompt: the gateway opened it inside.
    expect(upstream.requests.some((r) => JSON.stringify(r.body).includes(secret))).toBe(true);
  });

  it('refuses before sending any prompt when a proxy swaps the HPKE key config', async () => {
    const swapped = encodeKeyConfig(new Uint8Array(randomBytes(32)));
    proxy.tamper = ({ path }) => (path === KEYS_PATH ? text(swapped, 'application/ohttp-keys') : undefined);
    proxy.wire.length = 0;
    try {
      const error = await createSecureFetch(proxy.url, { allowMock: true }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(VerifyError);
      expect((error as VerifyError).code).toBe('hpke-key');
      expect(proxy.wire.filter((w) => w.path.startsWith('/v1/'))).toEqual([]);
    } finally {
      proxy.tamper = undefined;
    }
  });

  it('seals with the node:crypto sender when asked (sender: nodeSender)', async () => {
    const fetch = await createSecureFetch(gw.url, { allowMock: true, sender: nodeSender });
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: auth(gw.userKey),
      body: JSON.stringify({ model: 'm-primary', messages: [{ role: 'user', content: prompt() }] }),
    });
    expect(res.headers.get(RESPONSE_NONCE_HEADER)).toMatch(/^[0-9a-f]{64}$/);
    expect(((await res.json()) as { choices: { message: { content: string } }[] }).choices[0]?.message.content).toBe(
      DEFAULT_CONTENT,
    );
  });

  it('refuses a mock gateway unless allowMock', async () => {
    const error = await createSecureFetch(gw.url).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VerifyError);
    expect((error as VerifyError).code).toBe('demo');
  });

  it('fetches a receipt sealed (POST /v1/receipts/{id}) for a sealed non-stream reply', async () => {
    const fetch = await createSecureFetch(gw.url, { allowMock: true });
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: auth(gw.userKey),
      body: JSON.stringify({ model: 'm-primary', messages: [{ role: 'user', content: prompt() }] }),
    });
    expect(res.headers.get('x-saferouter-receipt')).toBeNull();
    await res.arrayBuffer();
    const id = res.headers.get('x-request-id') ?? '';
    let receipt: Response | undefined;
    for (let i = 0; i < 50; i++) {
      receipt = await fetch(`${gw.url}/v1/receipts/${id}`, { method: 'POST', headers: auth(gw.userKey), body: '{}' });
      if (receipt.status === 200) break;
      await receipt.arrayBuffer();
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(receipt?.status).toBe(200);
    expect(receipt?.headers.get(RESPONSE_NONCE_HEADER)).toMatch(/^[0-9a-f]{64}$/);
    const body = (await receipt!.json()) as { id: string; receipt: string };
    expect(body.id).toBe(id);
    expect(body.receipt.split('.')).toHaveLength(3);
    const samples = await fetch(`${gw.url}/v1/audit/samples`, {
      method: 'POST',
      headers: auth(gw.userKey),
      body: '{"limit":5}',
    });
    expect(samples.status).toBe(200);
    expect(((await samples.json()) as { object: string }).object).toBe('list');
  });
});

describe('the Vercel AI SDK with createSecureFetch', () => {
  it('generateText and streamText go sealed through createOpenAICompatible({ fetch })', async () => {
    const fetch = await createSecureFetch(proxy.url, { allowMock: true });
    const provider = createOpenAICompatible({
      name: 'saferouter',
      baseURL: `${proxy.url}/v1`,
      apiKey: gw.userKey,
      fetch,
    });
    const secret = prompt();
    proxy.wire.length = 0;
    const { text: generated } = await generateText({ model: provider.chatModel('m-primary'), prompt: secret });
    expect(generated).toBe(DEFAULT_CONTENT);
    const streamed = streamText({ model: provider.chatModel('m-primary'), prompt: secret });
    let out = '';
    for await (const part of streamed.textStream) out += part;
    expect(out).toBe(DEFAULT_CONTENT);
    expect(proxy.wire.filter((w) => w.path === '/v1/chat/completions')).toHaveLength(2);
    for (const w of proxy.wire) expect(Buffer.from(w.request).includes(secret)).toBe(false);
  });
});

describe('replicas with their own sealing keys', () => {
  it('a request sealed to one replica and answered by another (422) is re-verified and sent once more', async () => {
    const other = await startTestGateway(upstream.url);
    const switching = await startTamperProxy(gw.url);
    try {
      expect(other.attestor.sealingPublicKey).not.toEqual(gw.attestor.sealingPublicKey);
      const fetch = await createSecureFetch(switching.url, { allowMock: true });
      switching.target = other.url; // the load balancer now routes to the other replica
      const res = await fetch(`${switching.url}/v1/chat/completions`, {
        method: 'POST',
        headers: auth(other.userKey),
        body: JSON.stringify({ model: 'm-primary', messages: [{ role: 'user', content: prompt() }] }),
      });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { choices: { message: { content: string } }[] }).choices[0]?.message.content).toBe(
        DEFAULT_CONTENT,
      );
      const chats = switching.wire.filter((w) => w.path === '/v1/chat/completions').map((w) => w.method);
      expect(chats).toEqual(['POST', 'POST']); // the 422, then the retry sealed to the replica that answered
      expect(switching.wire.filter((w) => w.path === '/attestation/quote')).toHaveLength(2);
    } finally {
      await switching.close();
      await other.close();
    }
  });
});

describe('transport edge cases', () => {
  it('a sealed body sent chunked, without Content-Length, is accepted (ehbp@0.1.7 sends one; the spec says omit it)', async () => {
    let sealed: { headers: Headers; body: Uint8Array } | undefined;
    const capture: typeof fetch = async (input, init) => {
      const r = new Request(input, init);
      sealed = { headers: new Headers(r.headers), body: new Uint8Array(await r.arrayBuffer()) };
      return new Response(null, { status: 599 });
    };
    await createEhbpFetch(publicKeyOf(gw), { fetch: capture, sender: nodeSender })(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: auth(gw.userKey),
      body: JSON.stringify({ model: 'm-primary', messages: [{ role: 'user', content: prompt() }] }),
    }).catch(() => undefined);
    const headers: Record<string, string> = {};
    sealed!.headers.forEach((v, k) => {
      if (k !== 'content-length') headers[k] = v;
    });
    const res = await new Promise<{ status: number; nonce: string | undefined }>((resolve, reject) => {
      const req = httpRequest(`${gw.url}/v1/chat/completions`, { method: 'POST', headers }, (r) => {
        r.resume();
        r.on('end', () =>
          resolve({ status: r.statusCode ?? 0, nonce: r.headers['ehbp-response-nonce'] as string | undefined }),
        );
      });
      req.on('error', reject);
      const body = sealed!.body;
      req.write(body.subarray(0, 7)); // chunked: no Content-Length, the frame split across writes
      setTimeout(() => req.end(body.subarray(7)), 20);
    });
    expect(res.status).toBe(200);
    expect(res.nonce).toMatch(/^[0-9a-f]{64}$/);
  });

  it('a client leaving mid-way through a sealed stream aborts the upstream and releases the hold', async () => {
    upstream.setBehavior('m-lonely', { chunks: 40, chunkDelayMs: 50 });
    try {
      const controller = new AbortController();
      const sealedFetch = createEhbpFetch(publicKeyOf(gw), { sender: nodeSender });
      const res = await sealedFetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: auth(gw.userKey),
        body: JSON.stringify({ model: 'm-lonely', stream: true, messages: [{ role: 'user', content: prompt() }] }),
        signal: controller.signal,
      });
      const reader = res.body!.getReader();
      const first = await reader.read();
      expect(dec.decode(first.value)).toContain('data: {');
      controller.abort();
      await reader.cancel().catch(() => undefined);
      await upstream.waitFor(
        (rs) => rs.some((r) => r.body !== undefined && JSON.stringify(r.body).includes('m-lonely') && r.aborted),
        5_000,
      );
      // Settled as in plaintext: nothing stays held once the stream is cut.
      const me = (await (await globalThis.fetch(`${gw.url}/v1/credits`, { headers: auth(gw.userKey) })).json()) as {
        held_usd: string;
      };
      for (let i = 0; i < 50 && me.held_usd !== '0'; i++) await new Promise((r) => setTimeout(r, 50));
      const after = (await (await globalThis.fetch(`${gw.url}/v1/credits`, { headers: auth(gw.userKey) })).json()) as {
        held_usd: string;
      };
      expect(Number(after.held_usd)).toBe(0);
    } finally {
      upstream.setBehavior('m-lonely', {});
    }
  });
});

describe('replays and policy', () => {
  it('a sealed request replayed by an intermediary is refused (400) and reaches the upstream once', async () => {
    let captured: { headers: Headers; body: Uint8Array } | undefined;
    const capture: typeof fetch = async (input, init) => {
      const request = new Request(input, init);
      if (request.headers.has(ENCAPSULATED_KEY_HEADER))
        captured = { headers: new Headers(request.headers), body: new Uint8Array(await request.clone().arrayBuffer()) };
      return globalThis.fetch(request);
    };
    const fetch = await createSecureFetch(gw.url, { allowMock: true, fetch: capture });
    const secret = prompt();
    const first = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: auth(gw.userKey),
      body: JSON.stringify({ model: 'm-primary', messages: [{ role: 'user', content: secret }] }),
    });
    expect(first.status).toBe(200);
    await first.arrayBuffer();
    const replay = await globalThis.fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: captured!.headers,
      body: captured!.body as Uint8Array<ArrayBuffer>,
    });
    expect(replay.status).toBe(400);
    expect(replay.headers.get('content-type')).toBe('application/problem+json');
    expect(((await replay.json()) as { title: string }).title).toMatch(/already used/);
    expect(upstream.requests.filter((r) => JSON.stringify(r.body).includes(secret))).toHaveLength(1);
  });

  it('SAFEROUTER_REQUIRE_EHBP=1 refuses plaintext bodies on /v1/* with a clear error, and serves sealed ones', async () => {
    const strict = await startTestGateway(upstream.url, { requireEhbp: true });
    try {
      const plain = await globalThis.fetch(`${strict.url}/v1/chat/completions`, {
        method: 'POST',
        headers: auth(strict.userKey),
        body: JSON.stringify({ model: 'm-primary', messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(plain.status).toBe(400);
      const error = (await plain.json()) as { error: { code: string; message: string } };
      expect(error.error.code).toBe('ehbp_required');
      expect(error.error.message).toMatch(/EHBP/);
      const models = await globalThis.fetch(`${strict.url}/v1/models`, {
        headers: { authorization: `Bearer ${strict.userKey}` },
      });
      expect(models.status).toBe(200); // bodyless requests cannot be sealed and stay allowed
      const fetch = await createSecureFetch(strict.url, { allowMock: true });
      const sealed = await fetch(`${strict.url}/v1/chat/completions`, {
        method: 'POST',
        headers: auth(strict.userKey),
        body: JSON.stringify({ model: 'm-primary', messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(sealed.status).toBe(200);
      expect(dec.decode(new Uint8Array(await sealed.arrayBuffer()))).toContain(DEFAULT_CONTENT);
    } finally {
      await strict.close();
    }
  });

  it('an error answer to a sealed request is sealed too (a 401 for a bad key)', async () => {
    const fetch = await createSecureFetch(gw.url, { allowMock: true });
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: auth(`sk-sr-${randomBytes(32).toString('base64url')}`),
      body: JSON.stringify({ model: 'm-primary', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.status).toBe(401);
    expect(res.headers.get(RESPONSE_NONCE_HEADER)).toMatch(/^[0-9a-f]{64}$/);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('invalid_api_key');
  });
});
