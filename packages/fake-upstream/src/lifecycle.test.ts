/**
 * Request lifecycle: hangs, client aborts, the bounded log, waitFor, start options, close, and
 * the CLI as a separate process.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MAX_RECORDED, RequestLog } from './request-log.js';
import { startFakeUpstream, type FakeUpstream, type RecordedRequest } from './index.js';
import { AUTH, chat, HELLO, parseSse, readAll } from './test-client.js';

let up: FakeUpstream;
beforeAll(async () => {
  up = await startFakeUpstream();
});
afterAll(() => up.close());
beforeEach(() => up.reset());

describe('hang and abort detection', () => {
  it('hang never answers; aborting the client flips aborted, not finished', async () => {
    up.setBehavior('stuck', { hang: true });
    const ac = new AbortController();
    const pending = chat(up.url, { model: 'stuck', messages: HELLO }, { signal: ac.signal });
    await up.waitFor((r) => r.length === 1);
    await new Promise((r) => setTimeout(r, 100));
    expect(up.requests[0]).toMatchObject({ model: 'stuck', aborted: false, finished: false });
    ac.abort();
    await expect(pending).rejects.toThrow();
    await up.waitFor((r) => r[0]?.aborted === true);
    expect(up.requests[0]?.finished).toBe(false);
  });

  it('detects a client that walks away mid-stream', async () => {
    up.setBehavior('slow', { chunkDelayMs: 50, chunks: 20 });
    const ac = new AbortController();
    const res = await chat(up.url, { model: 'slow', messages: HELLO, stream: true }, { signal: ac.signal });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    ac.abort();
    await up.waitFor((r) => r[0]?.aborted === true);
    expect(up.requests[0]?.finished).toBe(false);
  });

  it('detects an abort during delayMs and never writes afterwards', async () => {
    up.setBehavior('slow', { delayMs: 300 });
    const ac = new AbortController();
    const pending = chat(up.url, { model: 'slow', messages: HELLO }, { signal: ac.signal });
    await up.waitFor((r) => r.length === 1);
    ac.abort();
    await expect(pending).rejects.toThrow();
    await up.waitFor((r) => r[0]?.aborted === true);
    await new Promise((r) => setTimeout(r, 400));
    expect(up.requests[0]).toMatchObject({ aborted: true, finished: false });
  });

  it('marks completed responses finished and never aborted', async () => {
    await readAll(await chat(up.url, { model: 'm', messages: HELLO, stream: true }));
    await (await chat(up.url, { model: 'm', messages: HELLO })).text();
    await up.waitFor((r) => r.length === 2 && r.every((x) => x.finished));
    expect(up.requests.every((r) => !r.aborted)).toBe(true);
  });
});

describe('the request log', () => {
  it('numbers requests and keeps their headers and body', async () => {
    await (await chat(up.url, { model: 'a', messages: HELLO, temperature: 0.5 })).text();
    const r = up.requests[0] as RecordedRequest;
    expect(r).toMatchObject({ path: '/v1/chat/completions', model: 'a', stream: false, body: { temperature: 0.5 } });
    expect(r.id).toBeGreaterThan(0);
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.startedAt).toBeLessThanOrEqual(Date.now());
  });

  it('keeps at most MAX_RECORDED entries, dropping the oldest', () => {
    const log = new RequestLog();
    const entry = (id: number): RecordedRequest => ({
      id,
      path: '/',
      model: 'm',
      stream: false,
      body: {},
      headers: {},
      startedAt: 0,
      aborted: false,
      finished: false,
    });
    for (let i = 1; i <= MAX_RECORDED + 5; i++) log.add(entry(i));
    expect(log.requests).toHaveLength(MAX_RECORDED);
    expect(log.requests[0]?.id).toBe(6);
  });

  it('waitFor rejects after its timeout, naming what it saw', async () => {
    await expect(up.waitFor(() => false, 50)).rejects.toThrow(/timed out after 50 ms/);
  });

  it('waitFor rejects when the predicate throws', async () => {
    await expect(
      up.waitFor(() => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
  });

  it('records nothing with record: false', async () => {
    const quiet = await startFakeUpstream({ record: false });
    try {
      const res = await chat(quiet.url, { model: 'm', messages: HELLO, stream: true });
      expect(parseSse((await readAll(res)).text).at(-1)).toEqual({ kind: 'data', data: '[DONE]' });
      expect(quiet.requests).toHaveLength(0);
    } finally {
      await quiet.close();
    }
  });
});

describe('start options and close', () => {
  it('takes initial behaviors, a host and a fixed port', async () => {
    const probe = await startFakeUpstream();
    const port = probe.port;
    await probe.close();
    const fixed = await startFakeUpstream({ port, host: '127.0.0.1', behaviors: { '*': { status: 503 } } });
    try {
      expect(fixed.url).toBe(`http://127.0.0.1:${port}`);
      expect((await chat(fixed.url, { model: 'any', messages: HELLO })).status).toBe(503);
    } finally {
      await fixed.close();
    }
  });

  it('close() returns promptly with a hanging request and pending waiters', async () => {
    const other = await startFakeUpstream({ behaviors: { '*': { hang: true } } });
    const pending = chat(other.url, { model: 'm', messages: HELLO }).catch((e: unknown) => e);
    await other.waitFor((r) => r.length === 1);
    const waiter = other.waitFor(() => false, 10_000);
    const t0 = performance.now();
    await other.close();
    expect(performance.now() - t0).toBeLessThan(1000);
    await expect(waiter).rejects.toThrow(/closed/);
    expect(await pending).toBeInstanceOf(Error);
  });
});

describe('cli', () => {
  it('prints {"url"} once listening, serves, and exits on SIGTERM', async () => {
    const cli = fileURLToPath(new URL('./cli.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', cli, '--port', '0', '--host', '127.0.0.1'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout }).once('line', resolve);
        child.once('exit', (code) => reject(new Error(`cli exited early with ${String(code)}`)));
      });
      const { url } = JSON.parse(line) as { url: string };
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const res = await fetch(`${url}/v1/models`, { headers: AUTH });
      expect(res.status).toBe(200);
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 20_000);
});
