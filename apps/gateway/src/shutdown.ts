/**
 * Graceful shutdown. A restart must not cut a paying client's stream off mid-answer, nor lose the
 * charge for it: on SIGTERM or SIGINT the gateway stops accepting connections, lets the requests
 * and streams in flight finish (up to `SAFEROUTER_DRAIN_MS`), ends whatever still runs at that
 * deadline (each relay then settles for what it delivered), flushes the batched writes and the
 * audit log, closes the database and exits 0. A second signal exits at once.
 *
 * Two halves: `createLifecycle()` is the app's side (the in-flight count, the draining flag that
 * `/ready` reports), and `handleShutdownSignals()` is the process's side, used by `server.ts`.
 * What "finished" means for a stream is the relay's business: `sendStream` holds its request open
 * until its pump has read the relay to its end, which is after the charge is committed.
 */
import type { Server } from 'node:http';
import { constants } from 'node:os';
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from './env.js';

export interface Lifecycle {
  /**
   * Counts every request as in flight until its handler has returned, (under Node) its response
   * has closed, and every hold it took with `c.get('keepOpen')` is released: a relayed stream
   * holds its request until the relay has settled, which can be after a client went away.
   * While draining, every response closes its connection after it.
   */
  readonly middleware: MiddlewareHandler<AppEnv>;
  /** Requests in flight now. */
  readonly inflight: number;
  /** True from `beginDrain()` on: `/ready` answers 503. */
  readonly draining: boolean;
  /** Starts draining. Idempotent. */
  beginDrain(): void;
  /** Resolves `true` once nothing is in flight, or `false` if `ms` pass first. */
  settled(ms: number): Promise<boolean>;
}

/**
 * @example
 * const lifecycle = createLifecycle();
 * app.use('*', lifecycle.middleware);
 * // at shutdown:
 * lifecycle.beginDrain();
 * const finished = await lifecycle.settled(30_000);
 */
export function createLifecycle(): Lifecycle {
  let inflight = 0;
  let draining = false;
  const waiters = new Set<() => void>();

  const leave = (): void => {
    inflight--;
    if (inflight > 0 || waiters.size === 0) return;
    for (const wake of [...waiters]) wake();
  };

  return {
    middleware: async (c, next) => {
      inflight++;
      // The request ends when every one of its ends has come: its handler returning, and under
      // Node its response closing (all written, or the connection gone: the node-server writes
      // most answers only after the handler returns), and each hold released.
      let ends = 1;
      const end = (): void => {
        if (--ends === 0) leave();
      };
      c.set('keepOpen', () => {
        ends++;
        let released = false;
        return () => {
          if (released) return;
          released = true;
          end();
        };
      });
      const outgoing = c.env?.outgoing;
      if (outgoing !== undefined && typeof outgoing.on === 'function') {
        ends++;
        outgoing.on('close', end);
        // Node then answers `Connection: close` and ends the socket after this response.
        if (draining) outgoing.shouldKeepAlive = false;
      }
      try {
        await next();
      } finally {
        end();
      }
    },
    get inflight() {
      return inflight;
    },
    get draining() {
      return draining;
    },
    beginDrain() {
      draining = true;
    },
    settled(ms) {
      if (inflight === 0) return Promise.resolve(true);
      return new Promise((resolve) => {
        const wake = (): void => {
          clearTimeout(timer);
          waiters.delete(wake);
          resolve(true);
        };
        const timer = setTimeout(() => {
          waiters.delete(wake);
          resolve(false);
        }, ms);
        waiters.add(wake);
      });
    },
  };
}

export interface ShutdownSignalOptions {
  /** Drains for up to `drainMs`, then flushes and closes everything (`RunningGateway.drain`). */
  drain(drainMs: number): Promise<void>;
  drainMs: number;
  log(level: 'info' | 'error', message: string, error?: unknown): void;
  /** Default `process.exit`. */
  exit?: ((code: number) => void) | undefined;
  /** Where the signals come from; default `process`. */
  signals?: Pick<NodeJS.Process, 'on'> | undefined;
  /**
   * How long the flush and close after the drain may take before the process gives up and exits
   * 1 (a database that stopped answering must not hold a restart forever). Default 15 000 ms.
   */
  closeTimeoutMs?: number | undefined;
}

/** Exit status of a process ended by `signal`, as a shell reports it (SIGTERM 143, SIGINT 130). */
export function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 0);
}

/**
 * On the first SIGTERM or SIGINT, drains and exits 0 (1 if closing failed or timed out); on a
 * second, exits at once with the signal's status.
 *
 * @example
 * handleShutdownSignals({ drain: (ms) => running.drain(ms), drainMs: config.drainMs, log });
 */
export function handleShutdownSignals(options: ShutdownSignalOptions): void {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const signals = options.signals ?? process;
  const closeTimeoutMs = options.closeTimeoutMs ?? 15_000;
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      options.log('info', `${signal} again: exiting now, without waiting for requests in flight`);
      exit(signalExitCode(signal));
      return;
    }
    stopping = true;
    options.log(
      'info',
      `${signal}: draining (up to ${options.drainMs} ms for requests in flight; send it again to exit now)`,
    );
    const watchdog = setTimeout(() => {
      options.log('error', `shutdown did not finish within ${options.drainMs + closeTimeoutMs} ms: exiting`);
      exit(1);
    }, options.drainMs + closeTimeoutMs);
    watchdog.unref();
    options.drain(options.drainMs).then(
      () => {
        clearTimeout(watchdog);
        options.log('info', 'drained and closed: exiting');
        exit(0);
      },
      (error: unknown) => {
        clearTimeout(watchdog);
        options.log('error', 'shutdown failed', error);
        exit(1);
      },
    );
  };
  signals.on('SIGTERM', () => onSignal('SIGTERM'));
  signals.on('SIGINT', () => onSignal('SIGINT'));
}

/** How long relays ended at the deadline get to settle (charge what they delivered) afterwards. */
const SETTLE_AFTER_CUT_MS = 5_000;

/** What `drainServer` saw: whether everything finished in time, and how much it had to end. */
export interface DrainResult {
  finished: boolean;
  /** Requests (streams included) still running at the deadline, ended by closing their connections. */
  cut: number;
}

/**
 * The HTTP side of a drain: stop accepting connections, close keep-alive connections as they go
 * idle, wait for `lifecycle` to settle for up to `ms`, then close whatever connections remain and
 * give the relays they carried a moment to settle.
 *
 * @example const { finished, cut } = await drainServer(server, gateway.lifecycle, 30_000);
 */
export async function drainServer(
  server: Pick<Server, 'close' | 'closeIdleConnections' | 'closeAllConnections'>,
  lifecycle: Lifecycle,
  ms: number,
): Promise<DrainResult> {
  lifecycle.beginDrain();
  // Node closes the idle keep-alive connections here; busy ones finish their response first.
  const closed = new Promise<void>((done) => server.close(() => done()));
  const sweep = setInterval(() => server.closeIdleConnections(), 50);
  let result: DrainResult;
  try {
    const finished = await lifecycle.settled(ms);
    result = { finished, cut: finished ? 0 : lifecycle.inflight };
    if (!finished) {
      // Each pump sees its connection close, cancels its relay, and reads it to the end.
      server.closeAllConnections();
      await lifecycle.settled(SETTLE_AFTER_CUT_MS);
    }
  } finally {
    clearInterval(sweep);
  }
  server.closeAllConnections();
  await closed;
  return result;
}
