// callUpstream and BodyQueue against real local servers through a real undici Pool: headers,
// backpressure, discarding, caps, aborts, timeouts and broken connections.
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool, type Dispatcher } from 'undici';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { sleep } from '../test/http.js';
import { AbortedError, NetworkError } from './errors.js';
import { relaySse } from './sse-relay.js';
import { BodyQueue, callUpstream, rawHeader } from './upstream-call.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

interface Upstream {
  origin: string;
  /** TCP connections accepted so far. */
  readonly connections: number;
  /** Requests whose head reached the handler. */
  readonly requests: number;
}

/** A node:http server on 127.0.0.1:0 that hands each request straight to `respond`. */
async function upstream(respond: (req: IncomingMessage, res: ServerResponse) => unknown): Promise<Upstream> {
  let connections = 0;
  let requests = 0;
  const server = createServer((req, res) => {
    requests++;
    void Promise.resolve(respond(req, res)).catch(() => res.destroy());
  });
  server.on('connection', () => {
    connections++;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    get connections() {
      return connections;
    },
    get requests() {
      return requests;
    },
  };
}

/** A one-connection pool, destroyed after the test (before its server closes). */
function pool(origin: string): Pool {
  const p = new Pool(origin, { connections: 1 });
  cleanups.push(() => p.destroy());
  return p;
}

/** Resolves with true if the response closes before it finished, i.e. the client went away. */
function closedEarly(res: ServerResponse): Promise<boolean> {
  return new Promise((resolve) => res.on('close', () => resolve(!res.writableFinished)));
}

function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

const get = (origin: string, extra: Partial<Dispatcher.DispatchOptions> = {}): Dispatcher.DispatchOptions => ({
  origin,
  path: '/',
  method: 'GET',
  ...extra,
});

/** The legacy handler shape callUpstream hands to dispatch(). */
interface LegacyHandler {
  onConnect(abort: (reason?: Error) => void): void;
  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean;
  onData(chunk: Buffer): boolean;
  onComplete(trailers: Buffer[] | null): void;
  onError(error: Error): void;
}

/** Wraps a dispatcher to watch undici's side of the backpressure contract. */
function watched(inner: Dispatcher) {
  const log = { dispatches: 0, data: 0, pauses: 0, resumes: 0, dataWhilePaused: 0 };
  let paused = false;
  const dispatcher = {
    dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
      log.dispatches++;
      const h = handler as unknown as LegacyHandler;
      const wrapper: LegacyHandler = {
        onConnect: (abort) => h.onConnect(abort),
        onHeaders: (status, raw, resume, text) =>
          h.onHeaders(
            status,
            raw,
            () => {
              log.resumes++;
              paused = false;
              resume();
            },
            text,
          ),
        onData: (chunk) => {
          log.data++;
          if (paused) log.dataWhilePaused++;
          const more = h.onData(chunk);
          if (!more) {
            log.pauses++;
            paused = true;
          }
          return more;
        },
        onComplete: (trailers) => h.onComplete(trailers),
        onError: (error) => h.onError(error),
      };
      return inner.dispatch(options, wrapper as unknown as Dispatcher.DispatchHandler);
    },
  } as unknown as Dispatcher;
  return { dispatcher, log };
}

const buf = (s: string): Buffer => Buffer.from(s, 'latin1');
const text = (chunk: Uint8Array | undefined): string => Buffer.from(chunk ?? new Uint8Array()).toString('latin1');

describe('rawHeader', () => {
  const raw = [buf('Content-Type'), buf('text/plain'), buf('X-Id'), buf('1'), buf('x-id'), buf('2')];

  it('matches names case-insensitively, whichever side is capitalised', () => {
    expect(rawHeader(raw, 'content-type')).toBe('text/plain');
    expect(rawHeader(raw, 'Content-Type')).toBe('text/plain');
    expect(rawHeader(raw, 'CONTENT-TYPE')).toBe('text/plain');
  });

  it('returns the first of repeated headers, undefined when absent or without a value', () => {
    expect(rawHeader(raw, 'x-id')).toBe('1');
    expect(rawHeader(raw, 'x-missing')).toBeUndefined();
    expect(rawHeader([buf('x-dangling')], 'x-dangling')).toBeUndefined();
    expect(rawHeader([], 'content-type')).toBeUndefined();
  });
});

describe('BodyQueue', () => {
  const chunk = (s: string): Buffer => Buffer.from(s);

  it('hands out queued chunks in order, then done, and done again', async () => {
    const q = new BodyQueue();
    expect(q.push(chunk('a'))).toBe(true);
    expect(q.push(chunk('b'))).toBe(true);
    q.end();
    expect(text((await q.next()).value)).toBe('a');
    expect(text((await q.next()).value)).toBe('b');
    expect(await q.next()).toEqual({ done: true, value: undefined });
    expect(await q.next()).toEqual({ done: true, value: undefined });
  });

  it('resolves a pending next() straight from push() or end()', async () => {
    const q = new BodyQueue();
    const first = q.next();
    expect(q.push(chunk('x'))).toBe(true);
    expect(text((await first).value)).toBe('x');
    const last = q.next();
    q.end();
    expect((await last).done).toBe(true);
  });

  it('asks to pause at 16 queued chunks and resumes once, when the queue is drained', async () => {
    const q = new BodyQueue();
    const resume = vi.fn();
    q.bind(resume, vi.fn());
    for (let i = 0; i < 15; i++) expect(q.push(chunk(String(i)))).toBe(true);
    expect(q.push(chunk('15'))).toBe(false);
    for (let i = 0; i < 15; i++) {
      expect(text((await q.next()).value)).toBe(String(i));
      expect(resume).not.toHaveBeenCalled();
    }
    expect(text((await q.next()).value)).toBe('15');
    expect(resume).toHaveBeenCalledTimes(1);
    // Not paused any more: reading an empty queue must not resume again.
    const pending = q.next();
    q.push(chunk('16'));
    expect(text((await pending).value)).toBe('16');
    expect(resume).toHaveBeenCalledTimes(1);
  });

  it('rejects a pending and every later next() on failure, after the chunks queued before it', async () => {
    const q = new BodyQueue();
    const boom = new Error('socket hang up');
    const pending = q.next();
    q.fail(boom);
    await expect(pending).rejects.toBe(boom);
    await expect(q.next()).rejects.toBe(boom);

    const q2 = new BodyQueue();
    q2.push(chunk('kept'));
    q2.fail(boom);
    expect(text((await q2.next()).value)).toBe('kept');
    await expect(q2.next()).rejects.toBe(boom);
  });

  it('ignores a failure after the end: a late socket error does not undo a complete body', async () => {
    const q = new BodyQueue();
    q.push(chunk('all'));
    q.end();
    q.fail(new Error('late'));
    expect(text((await q.next()).value)).toBe('all');
    expect((await q.next()).done).toBe(true);
  });

  it('destroy() aborts the upstream once with an AbortedError, and later reads reject', async () => {
    const q = new BodyQueue();
    const abort = vi.fn();
    q.bind(vi.fn(), abort);
    const pending = q.next();
    q.destroy();
    q.destroy();
    expect(abort).toHaveBeenCalledTimes(1);
    expect(abort.mock.calls[0]?.[0]).toBeInstanceOf(AbortedError);
    await expect(pending).rejects.toBeInstanceOf(AbortedError);
    await expect(q.next()).rejects.toBeInstanceOf(AbortedError);
  });

  it('destroy() after the end leaves the connection alone', () => {
    const q = new BodyQueue();
    const abort = vi.fn();
    q.bind(vi.fn(), abort);
    q.end();
    q.destroy();
    expect(abort).not.toHaveBeenCalled();
  });

  it('readAll(cap) cuts across chunk boundaries and aborts; without a cap it reads everything', async () => {
    const capped = new BodyQueue();
    const abort = vi.fn();
    capped.bind(vi.fn(), abort);
    for (const s of ['abc', 'def', 'ghi']) capped.push(chunk(s));
    expect((await capped.readAll(5)).toString()).toBe('abcde');
    expect(abort).toHaveBeenCalledTimes(1);

    const whole = new BodyQueue();
    for (const s of ['abc', 'def']) whole.push(chunk(s));
    whole.end();
    expect((await whole.readAll()).toString()).toBe('abcdef');

    const empty = new BodyQueue();
    empty.end();
    expect((await empty.readAll(10)).byteLength).toBe(0);
  });
});

describe('callUpstream', () => {
  it('resolves at the response headers, before any body byte, and the body follows', async () => {
    const release = deferred();
    const up = await upstream(async (_req, res) => {
      res.writeHead(201, { 'X-Trace': 'abc', 'content-type': 'text/plain' });
      res.flushHeaders();
      await release.promise;
      res.end('hello');
    });
    const p = pool(up.origin);
    const res = await callUpstream(p, get(up.origin));
    expect(res.statusCode).toBe(201);
    expect(rawHeader(res.rawHeaders, 'x-trace')).toBe('abc');
    expect(rawHeader(res.rawHeaders, 'Content-Type')).toBe('text/plain');
    release.resolve();
    expect((await res.body.readAll()).toString()).toBe('hello');
    // A body read to its end leaves the connection reusable.
    const again = await callUpstream(p, get(up.origin));
    release.resolve();
    expect((await again.body.readAll()).toString()).toBe('hello');
    expect(up.connections).toBe(1);
  });

  it('skips 1xx informational responses and resolves with the final one', async () => {
    const up = await upstream((_req, res) => {
      res.writeEarlyHints({ link: '</style.css>; rel=preload' });
      res.writeHead(200, { 'x-final': 'yes' });
      res.end('ok');
    });
    const res = await callUpstream(pool(up.origin), get(up.origin));
    expect(res.statusCode).toBe(200);
    expect(rawHeader(res.rawHeaders, 'x-final')).toBe('yes');
    expect((await res.body.readAll()).toString()).toBe('ok');
  });

  it('pauses undici at 16 queued chunks while nobody reads, then delivers every byte in order', async () => {
    // 100 MB: far more than loopback socket buffers can hold, so the server must stall.
    const CHUNK = 1024 * 1024;
    const COUNT = 100;
    const sent = createHash('sha256');
    let accepted = 0; // chunks the server's socket took, waiting for 'drain' when asked to
    let finished = false;
    const up = await upstream(async (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      for (let i = 0; i < COUNT; i++) {
        const chunk = Buffer.alloc(CHUNK, `${i}:`);
        sent.update(chunk);
        if (!res.write(chunk)) await once(res, 'drain');
        accepted++;
      }
      res.end(() => {
        finished = true;
      });
    });
    const { dispatcher, log } = watched(pool(up.origin));
    const res = await callUpstream(dispatcher, get(up.origin));

    await vi.waitFor(() => expect(log.pauses).toBe(1));
    const stalledAt = accepted;
    await sleep(100);
    // The queue stopped growing at the high-water mark and undici kept still.
    expect(log.data).toBe(16);
    expect(log.dataWhilePaused).toBe(0);
    expect(log.resumes).toBe(0);
    // The stall reached the server: it is blocked on 'drain', far from the end.
    expect(finished).toBe(false);
    expect(accepted).toBe(stalledAt);
    expect(accepted).toBeLessThan(COUNT / 2);

    const received = createHash('sha256');
    let bytes = 0;
    for (let next = await res.body.next(); next.done !== true; next = await res.body.next()) {
      received.update(next.value);
      bytes += next.value.byteLength;
    }
    expect(bytes).toBe(CHUNK * COUNT);
    expect(received.digest('hex')).toBe(sent.digest('hex'));
    expect(log.dataWhilePaused).toBe(0);
    expect(log.resumes).toBe(log.pauses); // every pause released exactly once
    await vi.waitFor(() => expect(finished).toBe(true));
  });

  it('destroy() closes the request on the server, and the pool still serves the next call', async () => {
    const closes: Promise<boolean>[] = [];
    const up = await upstream((req, res) => {
      closes.push(closedEarly(res));
      res.writeHead(200);
      if (req.url === '/slow')
        res.write('part'); // and never ends
      else res.end('fine');
    });
    const p = pool(up.origin);
    const res = await callUpstream(p, get(up.origin, { path: '/slow' }));
    expect(text((await res.body.next()).value)).toBe('part');
    const pending = res.body.next();
    res.body.destroy();
    await expect(pending).rejects.toBeInstanceOf(AbortedError);
    expect(await closes[0]).toBe(true);

    const next = await callUpstream(p, get(up.origin));
    expect((await next.body.readAll()).toString()).toBe('fine');
    expect(up.requests).toBe(2);
  });

  it('readAll(cap) returns exactly cap bytes of a large body and drops the connection', async () => {
    const payload = randomBytes(1024 * 1024);
    let closed!: Promise<boolean>;
    const up = await upstream((_req, res) => {
      closed = closedEarly(res);
      res.writeHead(200);
      for (let at = 0; at < payload.byteLength; at += 16 * 1024) res.write(payload.subarray(at, at + 16 * 1024));
      // Never ends: only the client dropping the connection closes it.
    });
    const res = await callUpstream(pool(up.origin), get(up.origin));
    const cap = 100_000;
    const body = await res.body.readAll(cap);
    expect(body.byteLength).toBe(cap);
    expect(body.equals(payload.subarray(0, cap))).toBe(true);
    expect(await closed).toBe(true);
  });

  it('rejects at once with AbortedError for an aborted signal, dispatching nothing', async () => {
    const up = await upstream((_req, res) => res.end('no'));
    const { dispatcher, log } = watched(pool(up.origin));
    const controller = new AbortController();
    controller.abort('client left');
    const error = await callUpstream(dispatcher, get(up.origin), controller.signal).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AbortedError);
    expect((error as AbortedError).cause).toBe('client left');
    expect(log.dispatches).toBe(0);
    expect(up.connections).toBe(0);
  });

  it('an abort right after dispatch rejects and never sends the request', async () => {
    const up = await upstream((_req, res) => res.end('ok'));
    const p = pool(up.origin);
    const controller = new AbortController();
    const call = callUpstream(p, get(up.origin, { path: '/aborted' }), controller.signal);
    controller.abort();
    await expect(call).rejects.toBeInstanceOf(AbortedError);
    // The pool goes on; the aborted request never reached the server.
    const next = await callUpstream(p, get(up.origin));
    expect((await next.body.readAll()).toString()).toBe('ok');
    expect(up.requests).toBe(1);
  });

  it('an abort while waiting for headers rejects with AbortedError and closes the request', async () => {
    let closed!: Promise<boolean>;
    const seen = deferred();
    const up = await upstream((_req, res) => {
      closed = closedEarly(res);
      seen.resolve(); // and never answers
    });
    const controller = new AbortController();
    const call = callUpstream(pool(up.origin), get(up.origin), controller.signal);
    await seen.promise;
    controller.abort();
    await expect(call).rejects.toBeInstanceOf(AbortedError);
    expect(await closed).toBe(true);
  });

  it('an abort after the headers rejects a pending next() and closes the request', async () => {
    let closed!: Promise<boolean>;
    const up = await upstream((_req, res) => {
      closed = closedEarly(res);
      res.writeHead(200);
      res.write('first');
    });
    const controller = new AbortController();
    const res = await callUpstream(pool(up.origin), get(up.origin), controller.signal);
    expect(text((await res.body.next()).value)).toBe('first');
    const pending = res.body.next();
    controller.abort('bye');
    const error = await pending.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AbortedError);
    expect((error as AbortedError).cause).toBe('bye');
    expect(await closed).toBe(true);
  });

  it('an abort after the body completed changes nothing and keeps the connection', async () => {
    const up = await upstream((_req, res) => res.end('done'));
    const p = pool(up.origin);
    const controller = new AbortController();
    const res = await callUpstream(p, get(up.origin), controller.signal);
    expect((await res.body.readAll()).toString()).toBe('done');
    controller.abort();
    expect((await res.body.next()).done).toBe(true);
    const next = await callUpstream(p, get(up.origin));
    expect((await next.body.readAll()).toString()).toBe('done');
    expect(up.connections).toBe(1);
  });

  it("rejects with undici's headers timeout when the server never answers", async () => {
    const up = await upstream(() => undefined);
    const error = await callUpstream(pool(up.origin), get(up.origin, { headersTimeout: 50 })).catch((e: unknown) => e);
    expect((error as { code?: unknown }).code).toBe('UND_ERR_HEADERS_TIMEOUT');
  });

  it("rejects next() with undici's body timeout when the body stalls", async () => {
    const up = await upstream((_req, res) => {
      res.writeHead(200);
      res.write('x');
    });
    const res = await callUpstream(pool(up.origin), get(up.origin, { bodyTimeout: 50 }));
    const error = await res.body.readAll().catch((e: unknown) => e);
    expect((error as { code?: unknown }).code).toBe('UND_ERR_BODY_TIMEOUT');
  });

  it('rejects next() when the connection breaks mid-body', async () => {
    const up = await upstream(async (_req, res) => {
      res.writeHead(200);
      res.write('half');
      await sleep(10);
      res.socket?.destroy();
    });
    const res = await callUpstream(pool(up.origin), get(up.origin));
    expect(text((await res.body.next()).value)).toBe('half');
    const error = await res.body.next().catch((e: unknown) => e);
    expect((error as { code?: unknown }).code).toBe('UND_ERR_SOCKET');
  });

  it('rejects with the network error when nothing listens', async () => {
    const up = await upstream(() => undefined);
    const origin = up.origin;
    await cleanups.pop()?.(); // close the server, keep its now-free port
    const error = await callUpstream(pool(origin), get(origin)).catch((e: unknown) => e);
    expect((error as { code?: unknown }).code).toBe('ECONNREFUSED');
  });
});

describe('callUpstream feeding relaySse', () => {
  const mapError = (e: unknown) => new NetworkError('p', e);

  it('relay.cancel() aborts the upstream request', async () => {
    let closed!: Promise<boolean>;
    const up = await upstream((_req, res) => {
      closed = closedEarly(res);
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: {"n":1}\n\n');
    });
    const res = await callUpstream(pool(up.origin), get(up.origin));
    const relay = relaySse(res.body, { provider: 'p', mapError });
    expect(text(await relay.read())).toBe('data: {"n":1}\n\n');
    const pending = relay.read();
    relay.cancel();
    expect(await pending).toBeUndefined();
    expect(await closed).toBe(true);
    expect((await relay.summary).completed).toBe(false);
  });

  it('a connection cut before [DONE] ends the relay with the interruption event', async () => {
    const up = await upstream(async (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: {"n":1}\n\n');
      await sleep(10);
      res.socket?.destroy();
    });
    const res = await callUpstream(pool(up.origin), get(up.origin));
    const relay = relaySse(res.body, { provider: 'p', mapError });
    const chunks: string[] = [];
    for (let c = await relay.read(); c !== undefined; c = await relay.read()) chunks.push(text(c));
    expect(chunks[0]).toBe('data: {"n":1}\n\n');
    expect(chunks).toHaveLength(2);
    expect(JSON.parse(chunks[1]!.slice('data: '.length))).toMatchObject({ error: { code: 'stream_interrupted' } });
    const summary = await relay.summary;
    expect(summary.completed).toBe(false);
    expect(summary.error).toBeInstanceOf(NetworkError);
  });
});
