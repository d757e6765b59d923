// withFallback with fake models and real upstreams: order, retry decision by error only, last error, streams.
import { afterEach, describe, expect, it } from 'vitest';
import { contentEvent, readText, sleep, startServer, type Handler, type TestServer } from '../test/http.js';
import type { Candidate, CatalogModel } from './catalog.js';
import { AbortedError, NetworkError, ProviderUnavailableError, SafeRouterError, UpstreamError } from './errors.js';
import { withFallback, type Attempt } from './fallback.js';
import { relaySse } from './sse-relay.js';
import { createOpenAICompatible, type OpenAICompatibleProvider } from './openai-compatible.js';
import type { ChatModelV1, ChatRequestBody, GenerateResult, StreamResult } from './spec.js';

const body: ChatRequestBody = { model: 'a', messages: [{ role: 'user', content: 'hi' }] };
const enc = new TextEncoder();

function entry(id: string, provider = `p-${id}`): CatalogModel {
  return {
    id,
    upstreamId: id,
    provider,
    name: id,
    description: undefined,
    contextLength: 1000,
    maxOutputTokens: 100,
    pricing: { inputMicrosPerMillion: 0, outputMicrosPerMillion: 0 },
    priced: true,
    capabilities: [],
    fallbacks: [],
    available: true,
    demo: false,
    synthesized: false,
    endpoints: [],
  };
}

/** A fake model that fails with `error` or answers with its own id. */
function fake(id: string, error?: unknown): Candidate & { calls: number } {
  const out = {
    entry: entry(id),
    calls: 0,
    model: undefined as unknown as ChatModelV1,
  };
  const answer = (): GenerateResult => ({ status: 200, body: enc.encode(id), ttfbMs: 1 });
  out.model = {
    specificationVersion: 'v1',
    provider: `p-${id}`,
    modelId: id,
    doGenerate: () => {
      out.calls++;
      return error === undefined ? Promise.resolve(answer()) : Promise.reject(error);
    },
    doStream: () => {
      out.calls++;
      if (error !== undefined) return Promise.reject(error);
      const relay = relaySse(
        { next: () => Promise.resolve({ done: true, value: undefined }), destroy: () => undefined },
        { provider: id, first: enc.encode(`${id}\n\ndata: [DONE]\n\n`), mapError: (e) => new NetworkError(id, e) },
      );
      const result: StreamResult = Object.assign(relay, { status: 200, ttfbMs: 2 });
      return Promise.resolve(result);
    },
  };
  return out;
}

const upstream = (status: number, text = `{"error":"${status}"}`) =>
  new UpstreamError({ provider: 'x', modelId: 'm', statusCode: status, body: enc.encode(text) });

describe('withFallback (unit)', () => {
  it('beforeFallback runs before each fallback, not the primary; a refusal skips that candidate', async () => {
    const a = fake('a', upstream(503));
    const b = fake('b');
    const c = fake('c');
    const seen: string[] = [];
    const result = await withFallback([a, b, c], {
      beforeFallback: (cand) => {
        seen.push(cand.entry.id);
        if (cand.entry.id === 'b') throw new Error('cannot afford b');
      },
    }).doGenerate({ body });
    expect(seen).toEqual(['b', 'c']);
    expect(result.answeredBy).toBe('c');
    expect(b.calls).toBe(0);
    expect(result.attempts.map((x) => [x.modelId, x.ok])).toEqual([
      ['a', false],
      ['c', true],
    ]);
  });

  it("when every fallback is refused, the primary's upstream error is thrown", async () => {
    const refuse = (): never => {
      throw new Error('cannot afford');
    };
    const b = fake('b');
    await expect(
      withFallback([fake('a', upstream(503)), b], { beforeFallback: refuse }).doStream({ body }),
    ).rejects.toMatchObject({
      statusCode: 503,
    });
    expect(b.calls).toBe(0);
  });

  it('answers with the first candidate that succeeds, recording every attempt', async () => {
    const a = fake('a', upstream(503));
    const b = fake('b', new NetworkError('p-b'));
    const c = fake('c');
    const d = fake('d');
    const seen: Attempt[] = [];
    const result = await withFallback([a, b, c, d], { onAttempt: (x) => seen.push(x) }).doGenerate({ body });
    expect(new TextDecoder().decode(result.body)).toBe('c');
    expect(result.answeredBy).toBe('c');
    expect(result.attempts.map((x) => [x.modelId, x.attempt, x.ok])).toEqual([
      ['a', 1, false],
      ['b', 2, false],
      ['c', 3, true],
    ]);
    expect(result.attempts[0]?.error?.statusCode).toBe(503);
    expect(result.attempts[2]).toMatchObject({ provider: 'p-c', ttfbMs: 1 });
    expect(result.attempts.every((x) => x.latencyMs >= 0)).toBe(true);
    expect(seen).toEqual(result.attempts);
    expect(d.calls).toBe(0);
  });

  it.each([408, 429, 500, 502, 503])('moves on after a retryable %i', async (status) => {
    const result = await withFallback([fake('a', upstream(status)), fake('b')]).doGenerate({ body });
    expect(result.answeredBy).toBe('b');
  });

  it.each([400, 401, 403, 404, 422])('throws a non-retryable %i at once, unchanged with its body', async (status) => {
    const error = upstream(status, '{"error":{"message":"bad"}}');
    const b = fake('b');
    const thrown = await withFallback([fake('a', error), b])
      .doGenerate({ body })
      .catch((e: unknown) => e);
    expect(thrown).toBe(error);
    expect(new TextDecoder().decode((thrown as UpstreamError).body)).toBe('{"error":{"message":"bad"}}');
    expect(b.calls).toBe(0);
  });

  it('throws the LAST error when every candidate fails', async () => {
    const last = upstream(429);
    const thrown = await withFallback([
      fake('a', upstream(503)),
      fake('b', new ProviderUnavailableError('p', 'b')),
      fake('c', last),
    ])
      .doStream({ body })
      .catch((e: unknown) => e);
    expect(thrown).toBe(last);
  });

  it('rethrows unknown errors without trying the next candidate', async () => {
    const bug = new TypeError('bug');
    const b = fake('b');
    await expect(withFallback([fake('a', bug), b]).doGenerate({ body })).rejects.toBe(bug);
    expect(b.calls).toBe(0);
  });

  it('stops on AbortedError and does not start another attempt once the signal is aborted', async () => {
    const b = fake('b');
    await expect(withFallback([fake('a', new AbortedError()), b]).doGenerate({ body })).rejects.toBeInstanceOf(
      AbortedError,
    );
    expect(b.calls).toBe(0);

    const controller = new AbortController();
    const a: Candidate = {
      entry: entry('a'),
      model: {
        ...fake('a').model,
        doGenerate: () => {
          controller.abort();
          return Promise.reject(upstream(503));
        },
      },
    };
    const thrown = await withFallback([a, b])
      .doGenerate({ body, signal: controller.signal })
      .catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(AbortedError);
    expect(b.calls).toBe(0);
  });

  it('falls back for streams before the first byte and reports who answered', async () => {
    const result = await withFallback([fake('a', upstream(500)), fake('b')]).doStream({ body });
    expect(result.answeredBy).toBe('b');
    expect(await readText(result.stream)).toBe('b\n\ndata: [DONE]\n\n');
    expect(result.attempts.map((x) => x.ok)).toEqual([false, true]);
    expect(result.attempts[1]?.ttfbMs).toBe(2);
  });

  it('has the ChatModelV1 shape and needs at least one candidate', () => {
    const model = withFallback([fake('a'), fake('b')]);
    expect(model).toMatchObject({ specificationVersion: 'v1', provider: 'p-a', modelId: 'a' });
    expect(model.candidates).toHaveLength(2);
    expect(() => withFallback([])).toThrow(RangeError);
    expect(SafeRouterError.isInstance(upstream(500))).toBe(true);
  });
});

describe('withFallback over real upstreams', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    while (cleanups.length > 0) await cleanups.pop()?.();
  });

  async function candidate(id: string, handler: Handler): Promise<Candidate & { server: TestServer }> {
    const server = await startServer(handler);
    const provider: OpenAICompatibleProvider = createOpenAICompatible({
      name: `p-${id}`,
      baseURL: server.origin,
      apiKey: 'k',
    });
    cleanups.push(
      () => server.close(),
      () => provider.close(),
    );
    return { entry: entry(id, `p-${id}`), model: provider(id), server };
  }

  it('decides on status alone: retry hints in headers change nothing', async () => {
    const bad = await candidate('bad', (_req, res) =>
      res
        .writeHead(400, { 'x-should-retry': 'true', 'retry-after': '0', 'content-type': 'application/json' })
        .end('{"error":{"message":"no"}}'),
    );
    const spare = await candidate('spare', (_req, res) => res.end('{}'));
    const thrown = await withFallback([bad, spare])
      .doGenerate({ body })
      .catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(UpstreamError);
    expect((thrown as UpstreamError).statusCode).toBe(400);
    expect(new TextDecoder().decode((thrown as UpstreamError).body)).toBe('{"error":{"message":"no"}}');
    expect(spare.server.requests).toHaveLength(0);

    const busy = await candidate('busy', (_req, res) => res.writeHead(503, { 'x-should-retry': 'false' }).end('down'));
    const ok = await withFallback([busy, spare]).doGenerate({ body });
    expect(ok.answeredBy).toBe('spare');
    expect(spare.server.requests).toHaveLength(1);
  });

  it('falls back when a stream dies before its first byte, but not after it', async () => {
    const dies = await candidate('dies', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.flushHeaders();
      setTimeout(() => res.socket?.destroy(), 5);
    });
    const cuts = await candidate('cuts', async (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(contentEvent('one'));
      await sleep(10);
      res.socket?.destroy();
    });
    const good = await candidate('good', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(`${contentEvent('fine')}data: [DONE]\n\n`);
    });

    const first = await withFallback([dies, good]).doStream({ body });
    expect(first.answeredBy).toBe('good');
    expect(await readText(first.stream)).toContain('[DONE]');
    expect((await first.summary).completed).toBe(true);

    const second = await withFallback([cuts, good]).doStream({ body });
    expect(second.answeredBy).toBe('cuts');
    const text = await readText(second.stream);
    expect(text).toContain('"code":"stream_interrupted"');
    expect(text).not.toContain('[DONE]');
    expect(good.server.requests).toHaveLength(1); // only the first chain reached it
  });
});
