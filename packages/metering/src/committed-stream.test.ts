// A stream committed (200 sent) before its route resolved: a keep-alive comment at once (the commit
// came after a full interval of silence), one per interval while pending, then the answer
// (announced when a fallback gave it), or the failure as the stream's last event.
import { describe, expect, it } from 'vitest';
import { SafeRouterError } from '@saferouter/errors';
import type { Attempt, FallbackStreamResult, StreamSummary } from '@saferouter/router';
import { CommittedStream, raceRoute, ROUTE_PENDING, type CommittedStreamOptions } from './committed-stream.js';

const enc = new TextEncoder();
const dec = new TextDecoder();
const KEEP_ALIVE = ': SAFEROUTER PROCESSING\n\n';
const KEEP_ALIVE_MS = 20;
const FIRST = { model: 'glm', provider: 'zai' };

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const tick = (ms = 0): Promise<void> => new Promise((r) => setTimeout(r, ms));

function attempt(modelId: string, provider: string, n: number, ok: boolean): Attempt {
  return { modelId, provider, attempt: n, ok, latencyMs: 1 };
}

/** A route's answer: `chunks` in order, then the end; records its cancels. */
function answer(chunks: string[], attempts: Attempt[]): FallbackStreamResult & { cancels: unknown[]; reads: number } {
  let i = 0;
  let ended = false;
  let bytes = 0;
  const cancels: unknown[] = [];
  let settle!: (summary: StreamSummary) => void;
  const summary = new Promise<StreamSummary>((r) => {
    settle = r;
  });
  const end = (completed: boolean): void => {
    if (ended) return;
    ended = true;
    settle({ bytes, completed, usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 } });
  };
  const result = {
    status: 200,
    ttfbMs: 5,
    answeredBy: attempts.at(-1)?.modelId ?? '',
    attempts,
    summary,
    cancels,
    reads: 0,
    get stream(): ReadableStream<Uint8Array> {
      throw new Error('not used');
    },
    read: async (): Promise<Uint8Array | undefined> => {
      result.reads++;
      if (ended) return undefined;
      const next = chunks[i++];
      if (next === undefined) {
        end(true);
        return undefined;
      }
      bytes += enc.encode(next).byteLength;
      return enc.encode(next);
    },
    cancel: (reason?: unknown): void => {
      cancels.push(reason);
      end(false);
    },
  };
  return result;
}

interface Harness {
  stream: CommittedStream;
  route: Deferred<FallbackStreamResult>;
  /** What `onChunk` saw, decoded, one string per call. */
  seen: string[];
  abandoned: () => number;
  failures: SafeRouterError[];
}

function harness(overrides: Partial<CommittedStreamOptions> = {}): Harness {
  const route = deferred<FallbackStreamResult>();
  const seen: string[] = [];
  const failures: SafeRouterError[] = [];
  let abandoned = 0;
  const stream = new CommittedStream({
    route: route.promise,
    keepAliveMs: KEEP_ALIVE_MS,
    first: FIRST,
    onChunk: (chunk) => seen.push(dec.decode(chunk)),
    onFailure: (error) => {
      failures.push(error);
      return Promise.resolve(enc.encode(': saferouter-receipt jws-1\n\n'));
    },
    onAbandon: () => {
      abandoned++;
    },
    ...overrides,
  });
  return { stream, route, seen, abandoned: () => abandoned, failures };
}

async function readRest(stream: CommittedStream): Promise<string> {
  let text = '';
  for (let c = await stream.read(); c !== undefined; c = await stream.read()) text += dec.decode(c);
  return text;
}

const providerDown = (): SafeRouterError =>
  new SafeRouterError({
    message: 'Every provider is down',
    statusCode: 503,
    type: 'service_unavailable',
    code: 'provider_unavailable',
    isRetryable: true,
  });

describe('raceRoute', () => {
  it('is ROUTE_PENDING when the route takes longer than the interval', async () => {
    const route = deferred<FallbackStreamResult>();
    const started = Date.now();
    expect(await raceRoute(route.promise, KEEP_ALIVE_MS)).toBe(ROUTE_PENDING);
    expect(Date.now() - started).toBeGreaterThanOrEqual(KEEP_ALIVE_MS - 2);
  });

  it("is the route's result or error when it settles first", async () => {
    const result = answer([], [attempt('glm', 'zai', 1, true)]);
    expect(await raceRoute(Promise.resolve(result), 10_000)).toEqual({ ok: true, result });
    const error = providerDown();
    expect(await raceRoute(Promise.reject(error), 10_000)).toEqual({ ok: false, error });
  });
});

describe('CommittedStream', () => {
  it('is a 200 with no time to first byte', () => {
    const { stream } = harness();
    expect(stream.status).toBe(200);
    expect(stream.ttfbMs).toBe(0);
  });

  it('opens with a keep-alive comment at once while the route is pending; only later reads wait', async () => {
    const h = harness({ keepAliveMs: 10_000 });
    const started = Date.now();
    const opening = await h.stream.read();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(dec.decode(opening)).toBe(KEEP_ALIVE);
    expect(h.seen).toEqual([KEEP_ALIVE]);
    let settled = false;
    const second = h.stream.read().then((chunk) => {
      settled = true;
      return chunk;
    });
    await tick(30);
    expect(settled).toBe(false);
    h.route.resolve(answer(['data: {"o":1}\n\n'], [attempt('glm', 'zai', 1, true)]));
    expect(dec.decode(await second)).toBe('data: {"o":1}\n\n');
    expect(h.seen).toEqual([KEEP_ALIVE]);
  });

  it('sends a keep-alive comment per interval while pending, then the answer of the first candidate unannounced', async () => {
    const h = harness();
    expect(dec.decode(await h.stream.read())).toBe(KEEP_ALIVE); // the opening comment, at once
    const started = Date.now();
    expect(dec.decode(await h.stream.read())).toBe(KEEP_ALIVE);
    expect(dec.decode(await h.stream.read())).toBe(KEEP_ALIVE);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2 * KEEP_ALIVE_MS - 4);
    const inner = answer(['data: {"a":1}\n\n', 'data: [DONE]\n\n'], [attempt('glm', 'zai', 1, true)]);
    h.route.resolve(inner);
    expect(await readRest(h.stream)).toBe('data: {"a":1}\n\ndata: [DONE]\n\n');
    expect(await h.stream.read()).toBeUndefined();
    // onChunk saw exactly the wrapper's own bytes: the three comments, not the answer's.
    expect(h.seen).toEqual([KEEP_ALIVE, KEEP_ALIVE, KEEP_ALIVE]);
    const summary = await h.stream.summary;
    expect(summary).toMatchObject({ completed: true, bytes: 3 * KEEP_ALIVE.length + 29 });
    expect(summary.usage).toEqual({ prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 });
    expect(h.abandoned()).toBe(0);
    expect(h.failures).toEqual([]);
  });

  it('answers at once when the route resolves during a pending read', async () => {
    const h = harness({ keepAliveMs: 10_000 });
    expect(dec.decode(await h.stream.read())).toBe(KEEP_ALIVE);
    const read = h.stream.read();
    await tick(5);
    h.route.resolve(answer(['data: {"b":2}\n\n'], [attempt('glm', 'zai', 1, true)]));
    const started = Date.now();
    expect(dec.decode(await read)).toBe('data: {"b":2}\n\n');
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(h.seen).toEqual([KEEP_ALIVE]);
  });

  it('announces an answer from another candidate in a comment before its first byte', async () => {
    const h = harness();
    expect(dec.decode(await h.stream.read())).toBe(KEEP_ALIVE);
    const inner = answer(
      ['data: {"c":3}\n\n', 'data: [DONE]\n\n'],
      [attempt('glm', 'zai', 1, false), attempt('deepseek-v4', 'deepseek', 2, true)],
    );
    h.route.resolve(inner);
    const notice = ': SAFEROUTER FALLBACK from glm via zai to deepseek-v4 via deepseek\n\n';
    expect(dec.decode(await h.stream.read())).toBe(notice);
    expect(inner.reads).toBe(0); // the notice comes before the answer's first byte is read
    expect(await readRest(h.stream)).toBe('data: {"c":3}\n\ndata: [DONE]\n\n');
    expect(h.seen).toEqual([KEEP_ALIVE, notice]);
    expect(await h.stream.summary).toMatchObject({
      completed: true,
      bytes: KEEP_ALIVE.length + notice.length + 29, // 15 + 14
    });
  });

  it('announces the same model served by another provider', async () => {
    const h = harness();
    await h.stream.read();
    h.route.resolve(answer(['data: {}\n\n'], [attempt('glm', 'zai', 1, false), attempt('glm', 'other-host', 2, true)]));
    expect(dec.decode(await h.stream.read())).toBe(': SAFEROUTER FALLBACK from glm via zai to glm via other-host\n\n');
    expect(dec.decode(await h.stream.read())).toBe('data: {}\n\n');
  });

  it('ends a failed route with the onFailure bytes and one SSE error event with the error code', async () => {
    const h = harness();
    expect(dec.decode(await h.stream.read())).toBe(KEEP_ALIVE);
    const error = providerDown();
    h.route.reject(error);
    const last = dec.decode(await h.stream.read());
    expect(last).toBe(
      ': saferouter-receipt jws-1\n\n' +
        `data: ${JSON.stringify({ error: { message: 'Every provider is down', type: 'service_unavailable', code: 'provider_unavailable' } })}\n\n`,
    );
    expect(await h.stream.read()).toBeUndefined();
    expect(await h.stream.read()).toBeUndefined();
    expect(h.failures).toEqual([error]);
    expect(h.abandoned()).toBe(1);
    const summary = await h.stream.summary;
    expect(summary).toMatchObject({ completed: false, bytes: KEEP_ALIVE.length + enc.encode(last).byteLength });
    expect(summary.error).toBe(error);
    // The failure bytes come after the receipt: onChunk (what the receipt covers) saw only the comment.
    expect(h.seen).toEqual([KEEP_ALIVE]);
    h.stream.cancel();
    expect(h.abandoned()).toBe(1);
  });

  it('ends a failed route with just the error event when onFailure has nothing or fails', async () => {
    for (const onFailure of [() => Promise.resolve(undefined), () => Promise.reject(new Error('signer down'))]) {
      const h = harness({ onFailure });
      h.route.reject(providerDown());
      // Even a route already failed gets the opening comment first: the 200 went out before it failed.
      expect(dec.decode(await h.stream.read())).toBe(KEEP_ALIVE);
      const event = `data: ${JSON.stringify({ error: { message: 'Every provider is down', type: 'service_unavailable', code: 'provider_unavailable' } })}\n\n`;
      expect(dec.decode(await h.stream.read())).toBe(event);
      expect(await h.stream.read()).toBeUndefined();
      expect(h.abandoned()).toBe(1);
      expect(h.seen).toEqual([KEEP_ALIVE]);
      expect(await h.stream.summary).toMatchObject({
        completed: false,
        bytes: KEEP_ALIVE.length + enc.encode(event).byteLength,
      });
    }
  });

  it('hides an error from outside the family behind internal_error, without calling onFailure', async () => {
    const h = harness();
    h.route.reject(new Error('secret internals'));
    expect(dec.decode(await h.stream.read())).toBe(KEEP_ALIVE);
    const text = dec.decode(await h.stream.read());
    expect(text).toBe(
      `data: ${JSON.stringify({ error: { message: 'The request failed.', type: 'api_error', code: 'internal_error' } })}\n\n`,
    );
    expect(h.failures).toEqual([]);
    expect(h.abandoned()).toBe(1);
    expect(h.seen).toEqual([KEEP_ALIVE]);
    expect((await h.stream.summary).completed).toBe(false);
  });

  it('a cancel while pending abandons once and settles; an answer arriving later is cancelled', async () => {
    const h = harness();
    expect(dec.decode(await h.stream.read())).toBe(KEEP_ALIVE);
    h.stream.cancel('client left');
    h.stream.cancel('again');
    expect(h.abandoned()).toBe(1);
    const summary = await h.stream.summary;
    expect(summary).toMatchObject({ completed: false, bytes: KEEP_ALIVE.length });
    expect((summary.error as SafeRouterError).code).toBe('client_closed_request');
    const inner = answer(['data: {"late":1}\n\n'], [attempt('glm', 'zai', 1, true)]);
    h.route.resolve(inner);
    await tick();
    expect(inner.cancels).toEqual(['client left']);
    expect(inner.reads).toBe(0);
    expect(await h.stream.read()).toBeUndefined();
    expect(h.seen).toEqual([KEEP_ALIVE]);
    expect(h.abandoned()).toBe(1);
  });

  it('a cancel during a pending read ends that read with nothing; the late answer is cancelled, unread', async () => {
    const h = harness({ keepAliveMs: 10_000 });
    expect(dec.decode(await h.stream.read())).toBe(KEEP_ALIVE);
    const read = h.stream.read();
    h.stream.cancel('gone');
    const inner = answer(['data: {"late":1}\n\n'], [attempt('glm', 'zai', 1, true)]);
    h.route.resolve(inner);
    expect(await read).toBeUndefined();
    await tick();
    expect(inner.cancels.length).toBeGreaterThanOrEqual(1);
    expect(inner.cancels[0]).toBe('gone');
    expect(inner.reads).toBe(0);
    expect(h.abandoned()).toBe(1);
    expect(h.seen).toEqual([KEEP_ALIVE]);
    expect(await h.stream.summary).toMatchObject({ completed: false, bytes: KEEP_ALIVE.length });
  });

  it('a cancel while pending and a route that fails later: abandoned once, no error event', async () => {
    const h = harness();
    h.stream.cancel();
    h.route.reject(providerDown());
    await tick();
    expect(await h.stream.read()).toBeUndefined();
    expect(h.abandoned()).toBe(1);
    expect(h.failures).toEqual([]);
    expect((await h.stream.summary).completed).toBe(false);
  });

  it('a cancel after the answer came passes to the answer', async () => {
    const h = harness();
    const inner = answer(['data: {"x":1}\n\n', 'data: {"y":2}\n\n'], [attempt('glm', 'zai', 1, true)]);
    h.route.resolve(inner);
    expect(dec.decode(await h.stream.read())).toBe(KEEP_ALIVE);
    expect(dec.decode(await h.stream.read())).toBe('data: {"x":1}\n\n');
    h.stream.cancel('bye');
    expect(inner.cancels).toEqual(['bye']);
    expect(h.abandoned()).toBe(0);
    expect(await h.stream.summary).toMatchObject({ completed: false, bytes: KEEP_ALIVE.length + 15 });
  });

  it('works as a web stream too, and cancelling the reader while pending abandons', async () => {
    const h = harness();
    const reader = h.stream.stream.getReader();
    expect(dec.decode((await reader.read()).value)).toBe(KEEP_ALIVE);
    await reader.cancel('closed');
    expect(h.abandoned()).toBe(1);
    expect((await h.stream.summary).completed).toBe(false);

    const ok = harness();
    ok.route.resolve(answer(['data: {"w":1}\n\n', 'data: [DONE]\n\n'], [attempt('glm', 'zai', 1, true)]));
    let text = '';
    for await (const chunk of ok.stream.stream) text += dec.decode(chunk);
    expect(text).toBe(KEEP_ALIVE + 'data: {"w":1}\n\ndata: [DONE]\n\n');
    expect(ok.seen).toEqual([KEEP_ALIVE]);
    expect(ok.stream.stream).toBe(ok.stream.stream);
  });
});
