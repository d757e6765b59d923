/**
 * The pino output of a real gateway (in process, SQLite, a real socket): after a realistic run
 * (keys created and listed with the admin key, chat and Responses calls plain and streamed, a
 * fallback, a client that leaves mid-stream, a 401 with a wrong key, a 402, a key in a query
 * string), no secret the run used appears anywhere in what was logged: not the admin key, the
 * user keys, a presented wrong key, the provider's API key or the log signer key. The request
 * lines carry what an operator needs (request id, key id, status, latency; model, provider, time
 * to first byte, attempts and cost on chat requests), and SAFEROUTER_LOG_LEVEL filters them.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '@saferouter/fake-upstream';
import { generateSignerKey } from '@saferouter/tlog';
import type { LogLevel } from '../src/logger.js';
import { chat, createKey, waitUntil } from './billing-fixtures.js';
import { ADMIN_KEY, startTestGateway, type TestGateway } from './helpers.js';

/** helpers.ts starts every test gateway with this provider key in its environment. */
const PROVIDER_KEY = 'upstream-secret-do-not-leak';

interface Captured {
  write(line: string): void;
  text(): string;
  lines(): Record<string, unknown>[];
}

function capture(): Captured {
  const chunks: string[] = [];
  const text = (): string => chunks.join('');
  return {
    write: (line) => void chunks.push(line),
    text,
    lines: () =>
      text()
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

async function startLogged(level: LogLevel, logKey?: string): Promise<{ gw: TestGateway; logs: Captured }> {
  const logs = capture();
  const gw = await startTestGateway(upstream.url, {
    logLevel: level,
    logDestination: logs,
    ...(logKey === undefined ? {} : { logKey }),
  });
  return { gw, logs };
}

const requestLines = (logs: Captured): Record<string, unknown>[] => logs.lines().filter((l) => l.msg === 'request');
const lineFor = (logs: Captured, res: Response): Record<string, unknown> | undefined =>
  requestLines(logs).find((l) => l.reqId === res.headers.get('x-request-id'));

function auth(key: string): Record<string, string> {
  return { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
}

const messages = [{ role: 'user', content: 'hello from the log test' }];

let upstream: FakeUpstream;
beforeAll(async () => {
  upstream = await startFakeUpstream();
});
afterAll(async () => {
  await upstream?.close();
});

describe('the log of a full run', () => {
  let gw: TestGateway;
  let logs: Captured;
  let logKey: string;
  /** Every secret the run handled, by name. */
  const secrets: Record<string, string> = {};
  /** The responses of the run, by what they were. */
  const seen: Record<string, Response> = {};
  const bodies: Record<string, Record<string, unknown>> = {};
  const keys: Record<string, string> = {};
  let upstreamRequestsBefore = 0;

  beforeAll(async () => {
    logKey = (await generateSignerKey('e2e.test/saferouter/startup')).skey;
    ({ gw, logs } = await startLogged('trace', logKey));
    upstream.reset();
    upstreamRequestsBefore = upstream.requests.length;
    const broke = await createKey(gw.url, ADMIN_KEY, 'broke', '0.000001');
    keys.broke = broke.id;
    const own = await fetch(`${gw.url}/v1/key`, { headers: auth(gw.userKey) });
    keys.user = ((await own.json()) as { id: string }).id;
    const wrongKey = `sk-sr-${randomBytes(32).toString('base64url').slice(0, 43)}`;
    Object.assign(secrets, {
      adminKey: ADMIN_KEY,
      userKey: gw.userKey,
      brokeKey: broke.key,
      wrongKey,
      providerKey: PROVIDER_KEY,
      logKey,
    });

    seen.chat = await chat(gw.url, gw.userKey, { model: 'm-primary', messages });
    bodies.chat = (await seen.chat.json()) as Record<string, unknown>;

    seen.stream = await chat(gw.url, gw.userKey, { model: 'm-primary', messages, stream: true });
    expect(await seen.stream.text()).toContain('[DONE]');

    upstream.setBehavior('m-primary', { status: 500 });
    seen.fallback = await chat(gw.url, gw.userKey, { model: 'm-primary', messages });
    await seen.fallback.text();
    upstream.reset();

    // A client that leaves mid-stream: its settlement comes after the socket closed.
    upstream.setBehavior('m-lonely', { chunks: 40, chunkDelayMs: 20 });
    const leaving = new AbortController();
    seen.left = await chat(gw.url, gw.userKey, { model: 'm-lonely', messages, stream: true }, leaving.signal);
    const reader = seen.left.body!.getReader();
    await reader.read();
    leaving.abort();
    await reader.read().catch(() => undefined);
    upstream.reset();

    seen.responses = await fetch(`${gw.url}/v1/responses`, {
      method: 'POST',
      headers: auth(gw.userKey),
      body: JSON.stringify({ model: 'm-primary', input: 'hello from the Responses API' }),
    });
    await seen.responses.text();
    seen.responsesStream = await fetch(`${gw.url}/v1/responses`, {
      method: 'POST',
      headers: auth(gw.userKey),
      body: JSON.stringify({ model: 'm-primary', input: 'hello again', stream: true }),
    });
    await seen.responsesStream.text();

    seen.wrong = await chat(gw.url, wrongKey, { model: 'm-primary', messages });
    await seen.wrong.text();
    seen.malformed = await fetch(`${gw.url}/v1/models`, { headers: { authorization: `Bearer${wrongKey}` } });
    await seen.malformed.text();
    seen.refused = await chat(gw.url, broke.key, { model: 'm-primary', messages });
    await seen.refused.text();
    seen.keyInQuery = await fetch(`${gw.url}/v1/models?api_key=${gw.userKey}`, { headers: auth(gw.userKey) });
    await seen.keyInQuery.text();
    seen.listKeys = await fetch(`${gw.url}/v1/keys`, { headers: auth(ADMIN_KEY) });
    await seen.listKeys.text();
    seen.credits = await fetch(`${gw.url}/v1/credits?key_id=${broke.id}`, { headers: auth(ADMIN_KEY) });
    await seen.credits.text();
    seen.revoke = await fetch(`${gw.url}/v1/keys/${broke.id}`, { method: 'DELETE', headers: auth(ADMIN_KEY) });
    await seen.revoke.text();
    seen.notAdmin = await fetch(`${gw.url}/v1/keys`, { headers: auth(gw.userKey) });
    await seen.notAdmin.text();

    // Every request's line is written (the left stream's once it settled), then the gateway stops.
    await waitUntil(
      async () => (Object.values(seen).every((res) => lineFor(logs, res) !== undefined) ? true : undefined),
      'a request line for every request',
    );
    await gw.close();
  });

  it('the workload happened as intended, with the provider key in the gateway’s hands', () => {
    expect(Object.fromEntries(Object.entries(seen).map(([name, res]) => [name, res.status]))).toMatchObject({
      chat: 200,
      stream: 200,
      fallback: 200,
      left: 200,
      responses: 200,
      responsesStream: 200,
      wrong: 401,
      malformed: 401,
      refused: 402,
      keyInQuery: 200,
      listKeys: 200,
      credits: 200,
      revoke: 200,
      notAdmin: 403,
    });
    // The scan only means something if the provider key really went upstream.
    const sent = upstream.requests.slice(upstreamRequestsBefore);
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.every((r) => r.headers['authorization'] === `Bearer ${PROVIDER_KEY}`)).toBe(true);
  });

  it('no secret used in the run appears anywhere in the output', () => {
    const text = logs.text();
    expect(text.length).toBeGreaterThan(1000);
    const found = Object.entries(secrets)
      .filter(([, secret]) => text.includes(secret))
      .map(([name]) => name);
    expect(found).toEqual([]);
    // Nor any part of a SafeRouter key, nor a credential after `Bearer`.
    expect(text).not.toMatch(/sk-sr-[A-Za-z0-9_-]/);
    expect(text).not.toMatch(/bearer\s*(?!\[redacted\])[A-Za-z0-9]/i);
  });

  it('every line is one JSON object; startup lines and debug attempt lines are there too', () => {
    for (const line of logs.text().trim().split('\n')) expect(() => JSON.parse(line) as unknown).not.toThrow();
    const messages = logs.lines().map((l) => String(l.msg));
    expect(messages.some((m) => m.startsWith('attestation: '))).toBe(true);
    expect(messages).toContain('attempt');
  });

  it('one request line per request, each with its id, method, path, key id, status and latency', () => {
    const lines = requestLines(logs);
    for (const [name, res] of Object.entries(seen)) {
      expect(
        lines.filter((l) => l.reqId === res.headers.get('x-request-id')),
        name,
      ).toHaveLength(1);
      const line = lineFor(logs, res);
      expect(line, name).toMatchObject({ status: res.status, method: expect.any(String), path: expect.any(String) });
      expect(line?.latencyMs, name).toBeGreaterThan(0);
    }
    expect(lineFor(logs, seen.listKeys!)).toMatchObject({ method: 'GET', path: '/v1/keys', keyId: 'admin' });
    expect(lineFor(logs, seen.notAdmin!)).toMatchObject({ status: 403 });
    expect(lineFor(logs, seen.revoke!)).toMatchObject({ method: 'DELETE', path: `/v1/keys/${keys.broke}` });
    expect(lineFor(logs, seen.credits!)).toMatchObject({ path: '/v1/credits', keyId: 'admin' });
    expect(lineFor(logs, seen.wrong!)).not.toHaveProperty('keyId');
    // The path only: the query string (which held a key) is not logged.
    expect(lineFor(logs, seen.keyInQuery!)).toMatchObject({ path: '/v1/models', keyId: keys.user });
  });

  it('a chat request line: model, provider, time to first byte, attempts and the exact cost charged', () => {
    const line = lineFor(logs, seen.chat!);
    const usage = bodies.chat!.usage as { cost: number; prompt_tokens: number; completion_tokens: number };
    expect(line).toMatchObject({
      level: 30,
      method: 'POST',
      path: '/v1/chat/completions',
      keyId: keys.user,
      status: 200,
      model: 'm-primary',
      requested: 'm-primary',
      provider: 'up',
      attempts: 1,
      ttfbMs: expect.any(Number),
      promptTokens: usage.prompt_tokens,
      completionTokens: usage.completion_tokens,
      stream: false,
    });
    expect(Number(line?.costUsd)).toBe(usage.cost);
    expect(usage.cost).toBeGreaterThan(0);

    expect(lineFor(logs, seen.stream!)).toMatchObject({
      status: 200,
      model: 'm-primary',
      provider: 'up',
      attempts: 1,
      stream: true,
      ttfbMs: expect.any(Number),
    });
    expect(Number(lineFor(logs, seen.stream!)?.costUsd)).toBeGreaterThan(0);
  });

  it('a fallback, a stream the client left, Responses calls and a 402 carry their own story', () => {
    expect(lineFor(logs, seen.fallback!)).toMatchObject({
      status: 200,
      requested: 'm-primary',
      model: 'm-backup',
      attempts: 2,
    });
    const left = lineFor(logs, seen.left!);
    expect(left).toMatchObject({ status: 200, aborted: true, model: 'm-lonely', provider: 'up', stream: true });
    expect(left).not.toHaveProperty('settled');
    for (const res of [seen.responses!, seen.responsesStream!]) {
      expect(lineFor(logs, res)).toMatchObject({ path: '/v1/responses', status: 200, model: 'm-primary', attempts: 1 });
      expect(Number(lineFor(logs, res)?.costUsd)).toBeGreaterThan(0);
    }
    expect(lineFor(logs, seen.refused!)).toMatchObject({
      status: 402,
      keyId: keys.broke,
      model: 'm-primary',
      attempts: 0,
      costUsd: '0',
    });
  });
});

describe('SAFEROUTER_LOG_LEVEL', () => {
  it('warn: no info lines, but a failed request still gets its (warn) line', async () => {
    const { gw, logs } = await startLogged('warn');
    try {
      const ok = await chat(gw.url, gw.userKey, { model: 'm-lonely', messages });
      await ok.text();
      upstream.setBehavior('m-lonely', { status: 500 });
      const failed = await chat(gw.url, gw.userKey, { model: 'm-lonely', messages });
      await failed.text();
      upstream.reset();
      expect(failed.status).toBeGreaterThanOrEqual(500);
      await waitUntil(async () => lineFor(logs, failed), 'the failed request’s line');
      expect(lineFor(logs, ok)).toBeUndefined();
      expect(logs.lines().every((l) => Number(l.level) >= 40)).toBe(true);
      expect(lineFor(logs, failed)).toMatchObject({ level: 40, model: 'm-lonely', attempts: 1 });
    } finally {
      await gw.close();
    }
  });

  it('silent: nothing at all', async () => {
    const { gw, logs } = await startLogged('silent');
    try {
      await (await chat(gw.url, gw.userKey, { model: 'm-lonely', messages })).text();
      await (await chat(gw.url, 'sk-sr-nope', { model: 'm-lonely', messages })).text();
    } finally {
      await gw.close();
    }
    expect(logs.text()).toBe('');
  });

  it('a bad value stops the real server before anything starts, naming the variable', () => {
    const server = fileURLToPath(new URL('../src/server.ts', import.meta.url));
    const run = spawnSync(process.execPath, ['--import', 'tsx', server], {
      env: { ...process.env, SAFEROUTER_LOG_LEVEL: 'verbose', PORT: '0', SAFEROUTER_DATA_DIR: '/nonexistent/sr' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/SAFEROUTER_LOG_LEVEL/);
    expect(run.stderr).toMatch(/verbose/);
    // Loading the server through tsx takes seconds on a busy machine: the spawn's own timeout rules.
  }, 40_000);
});
