// Graceful shutdown's parts: the in-flight count and its settling, the HTTP drain against a real
// Node server, the signal handling (first signal drains and exits 0, a second exits at once) and
// SAFEROUTER_DRAIN_MS. The whole path, through a gateway process and a stream, is in
// test/shutdown.e2e.test.ts.
import { EventEmitter } from 'node:events';
import { createServer, request, Agent, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Hono } from 'hono';
import { ConfigError } from '@saferouter/router';
import { loadGatewayConfig } from './config.js';
import type { AppEnv } from './env.js';
import { createLifecycle, drainServer, handleShutdownSignals, signalExitCode, type Lifecycle } from './shutdown.js';

const tick = (ms = 10): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('SAFEROUTER_DRAIN_MS', () => {
  const base = { SAFEROUTER_DATA_DIR: '/tmp/sr-drain' };
  it('defaults to 30 000 ms and takes whole milliseconds up to an hour', () => {
    expect(loadGatewayConfig(base).drainMs).toBe(30_000);
    expect(loadGatewayConfig({ ...base, SAFEROUTER_DRAIN_MS: '' }).drainMs).toBe(30_000);
    expect(loadGatewayConfig({ ...base, SAFEROUTER_DRAIN_MS: '0' }).drainMs).toBe(0);
    expect(loadGatewayConfig({ ...base, SAFEROUTER_DRAIN_MS: '45000' }).drainMs).toBe(45_000);
    expect(loadGatewayConfig({ ...base, SAFEROUTER_DRAIN_MS: '3600000' }).drainMs).toBe(3_600_000);
  });

  it('stops the start on anything else, naming the variable', () => {
    for (const raw of ['-1', '1.5', '30s', 'abc', '3600001', '1e3', '0x10', 'Infinity']) {
      const fails = (): unknown => loadGatewayConfig({ ...base, SAFEROUTER_DRAIN_MS: raw });
      expect(fails, raw).toThrow(ConfigError);
      expect(fails, raw).toThrow(/SAFEROUTER_DRAIN_MS/);
    }
  });
});

describe('createLifecycle', () => {
  it('counts requests until their handler returns, and holds until released', async () => {
    const lifecycle = createLifecycle();
    let finish: () => void = () => undefined;
    let streamDone: (() => void) | undefined;
    const app = new Hono<AppEnv>();
    app.use('*', lifecycle.middleware);
    app.get('/slow', async (c) => {
      await new Promise<void>((resolve) => {
        finish = resolve;
      });
      return c.text('ok');
    });
    app.get('/stream', (c) => {
      streamDone = c.get('keepOpen')?.();
      return c.text('headers sent, body still coming');
    });

    expect(lifecycle.inflight).toBe(0);
    expect(await lifecycle.settled(0)).toBe(true);
    const slow = app.request('/slow');
    await tick();
    expect(lifecycle.inflight).toBe(1);
    expect(await lifecycle.settled(20)).toBe(false);
    const settled = lifecycle.settled(5_000);
    finish();
    expect((await slow).status).toBe(200);
    expect(await settled).toBe(true);

    await app.request('/stream');
    expect(lifecycle.inflight).toBe(1); // the handler returned; the stream holds on
    const streamSettled = lifecycle.settled(5_000);
    streamDone?.();
    streamDone?.(); // releasing twice counts once
    expect(await streamSettled).toBe(true);
    expect(lifecycle.inflight).toBe(0);
  });

  it('counts a request whose handler throws as finished', async () => {
    const lifecycle = createLifecycle();
    const app = new Hono<AppEnv>();
    app.use('*', lifecycle.middleware);
    app.get('/boom', () => {
      throw new Error('boom');
    });
    app.onError((_err, c) => c.text('failed', 500));
    expect((await app.request('/boom')).status).toBe(500);
    expect(lifecycle.inflight).toBe(0);
  });

  it('reports draining from beginDrain on', () => {
    const lifecycle = createLifecycle();
    expect(lifecycle.draining).toBe(false);
    lifecycle.beginDrain();
    lifecycle.beginDrain();
    expect(lifecycle.draining).toBe(true);
  });
});

describe('drainServer', () => {
  let server: Server | undefined;
  const agents: Agent[] = [];
  afterEach(() => {
    server?.closeAllConnections();
    server?.close();
    for (const a of agents.splice(0)) a.destroy();
  });

  /** A Node server whose requests go through the lifecycle; `/hang` waits for `release`. */
  async function serve(lifecycle: Lifecycle): Promise<{ port: number; release: () => void; started: Promise<void> }> {
    let release: () => void = () => undefined;
    let markStarted: () => void = () => undefined;
    const started = new Promise<void>((resolve) => {
      markStarted = resolve;
    });
    const app = new Hono<AppEnv>();
    app.use('*', lifecycle.middleware);
    app.get('/hang', async (c) => {
      markStarted();
      await new Promise<void>((resolve) => {
        release = resolve;
      });
      return c.text('finished');
    });
    app.get('/quick', (c) => c.text('quick'));
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      void (async () => {
        const answer = await app.fetch(new Request(`http://x${req.url ?? '/'}`), { incoming: req, outgoing: res });
        res.writeHead(answer.status, Object.fromEntries(answer.headers));
        res.end(Buffer.from(await answer.arrayBuffer()));
      })();
    });
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    return { port: (server.address() as AddressInfo).port, release: () => release(), started };
  }

  function get(
    port: number,
    path: string,
    agent?: Agent,
  ): Promise<{ status: number; body: string; headers: IncomingMessage['headers'] }> {
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path, agent: agent ?? false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  it('stops accepting, lets a request in flight finish, closes its keep-alive connection', async () => {
    const lifecycle = createLifecycle();
    const { port, release, started } = await serve(lifecycle);
    // An idle keep-alive connection, opened before the drain.
    const idleAgent = new Agent({ keepAlive: true, maxSockets: 1 });
    agents.push(idleAgent);
    expect((await get(port, '/quick', idleAgent)).status).toBe(200);
    const idleSocketClosed = new Promise<void>((resolve) => {
      const socket = Object.values(idleAgent.freeSockets).flat()[0];
      socket?.once('close', () => resolve());
    });

    const busyAgent = new Agent({ keepAlive: true, maxSockets: 1 });
    agents.push(busyAgent);
    const hanging = get(port, '/hang', busyAgent);
    await started;
    const drained = drainServer(server!, lifecycle, 5_000);
    await idleSocketClosed; // the idle connection is closed at once
    await expect(get(port, '/quick')).rejects.toThrow(/ECONNREFUSED/);
    expect(lifecycle.draining).toBe(true);
    await tick(50);
    release();
    const answer = await hanging;
    expect(answer).toMatchObject({ status: 200, body: 'finished' });
    expect(await drained).toEqual({ finished: true, cut: 0 });
  });

  it('closes new responses on kept-alive connections while draining', async () => {
    const lifecycle = createLifecycle();
    const { port, release, started } = await serve(lifecycle);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    agents.push(agent);
    const hanging = get(port, '/hang', new Agent({ keepAlive: true }));
    await started;
    lifecycle.beginDrain();
    const during = await get(port, '/quick', agent);
    expect(during.headers.connection).toBe('close');
    release();
    await hanging;
    expect(await drainServer(server!, lifecycle, 1_000)).toEqual({ finished: true, cut: 0 });
  });

  it('ends what still runs at the deadline', async () => {
    const lifecycle = createLifecycle();
    const { port, started } = await serve(lifecycle);
    // A request that would never finish on its own; its connection is closed at the deadline.
    const hanging = get(port, '/hang').catch((err: unknown) => err);
    await started;
    const before = Date.now();
    // The handler never returns, so the drain also waits out its settle window after the cut.
    const drained = drainServer(server!, lifecycle, 100);
    expect(await hanging).toBeInstanceOf(Error); // socket hang up
    expect(Date.now() - before).toBeGreaterThanOrEqual(90);
    expect(await drained).toEqual({ finished: false, cut: 1 });
  }, 15_000);
});

describe('handleShutdownSignals', () => {
  function harness(drain: (ms: number) => Promise<void>, closeTimeoutMs?: number) {
    const signals = new EventEmitter();
    const exits: number[] = [];
    const lines: string[] = [];
    const drains: number[] = [];
    handleShutdownSignals({
      drain: (ms) => {
        drains.push(ms);
        return drain(ms);
      },
      drainMs: 250,
      log: (level, message) => lines.push(`${level}: ${message}`),
      exit: (code) => exits.push(code),
      signals: signals as unknown as Pick<NodeJS.Process, 'on'>,
      closeTimeoutMs,
    });
    return { signals, exits, lines, drains };
  }

  it('drains for drainMs on the first signal, then exits 0', async () => {
    let finish: () => void = () => undefined;
    const h = harness(
      () =>
        new Promise<void>((resolve) => {
          finish = resolve;
        }),
    );
    h.signals.emit('SIGTERM');
    expect(h.drains).toEqual([250]);
    await tick();
    expect(h.exits).toEqual([]);
    finish();
    await tick();
    expect(h.exits).toEqual([0]);
    expect(h.lines.join('\n')).toMatch(/SIGTERM: draining/);
  });

  it('exits at once, non-zero, on a second signal', async () => {
    const h = harness(() => new Promise<void>(() => undefined));
    h.signals.emit('SIGINT');
    h.signals.emit('SIGTERM');
    expect(h.exits).toEqual([signalExitCode('SIGTERM')]);
    expect(signalExitCode('SIGTERM')).toBe(143);
    expect(signalExitCode('SIGINT')).toBe(130);
    expect(h.drains).toHaveLength(1);
  });

  it('exits 1 when closing fails, or does not finish in time', async () => {
    const failing = harness(() => Promise.reject(new Error('store')));
    failing.signals.emit('SIGTERM');
    await tick();
    expect(failing.exits).toEqual([1]);
    expect(failing.lines.join('\n')).toMatch(/shutdown failed/);

    const stuck = harness(() => new Promise<void>(() => undefined), 20);
    stuck.signals.emit('SIGTERM');
    await tick(400);
    expect(stuck.exits).toEqual([1]);
  });
});
