/**
 * Where the gateway's log lines go by default: a file descriptor (stdout), written in batches.
 *
 * Lines are joined and written with one `writeSync`, in order, `flushMs` (10 ms) after the first
 * of them, or at the next turn of the event loop once 64 KiB are pending. Measured under load
 * (`pnpm bench`, BENCH_SECOND=quiet, with a CPU profile of each gateway): pino's default
 * asynchronous destination cost ~5 µs of CPU per line (a write, or a buffer append, per line); one
 * write per event-loop turn ~1 µs, still a fifth of what logs and metrics cost together at 2,000
 * requests a second, since a turn holds only a line or two; one write per 10 ms a fraction of that.
 * Synchronous writes keep lines in order with no second buffer to lose; a reader that stops
 * reading (a full pipe) slows the gateway down rather than growing its memory, as with any
 * synchronous logger. A process killed with SIGKILL loses at most the last `flushMs` of lines; any
 * other exit writes them (`process.on('exit')`).
 *
 * - A pipe another part of the process made non-blocking answers EAGAIN when full: the rest waits
 *   for a timer and is retried, still ahead of any later line.
 * - A short write keeps its remainder at the front.
 * - Any other error (EPIPE: the reader is gone) stops the output: later lines are dropped, one
 *   notice goes to stderr, and the gateway keeps serving. A log is never worth a crash.
 * - `flushSync()` writes everything now (at exit, after the drain; `process.on('exit')` calls it
 *   too), retrying EAGAIN for up to a second.
 */
import { writeSync } from 'node:fs';

export interface BatchedDestination {
  write(line: string): void;
  /** Writes what is pending now; `cb` after it is written (or the output failed). */
  flush(cb?: (error?: Error) => void): void;
  flushSync(): void;
  /** Flushes and stops listening for the process's exit. */
  end(): void;
}

export interface BatchedDestinationOptions {
  /** Default 1 (stdout). */
  fd?: number;
  /** Where a failing output is reported once; default stderr. */
  onError?: (error: Error) => void;
  /** How long the first pending line waits for others; default 10 ms; 0: the next event-loop turn. */
  flushMs?: number;
  /** Test seam: the write call (default `fs.writeSync`). */
  writeSync?: (fd: number, data: Uint8Array) => number;
}

/** Pending output that is written at the next turn without waiting for `flushMs`. */
const MAX_PENDING_CHARS = 64 * 1024;
/** How long a full non-blocking pipe waits before the next try. */
const EAGAIN_RETRY_MS = 2;
/** How long `flushSync` keeps retrying a full pipe before it gives up on what is left. */
const SYNC_EAGAIN_LIMIT_MS = 1000;

/**
 * @example
 * const out = batchedDestination();            // stdout
 * const logger = pino({ level: 'info' }, out);  // lines leave in batches, in order
 */
export function batchedDestination(options: BatchedDestinationOptions = {}): BatchedDestination {
  const fd = options.fd ?? 1;
  const write = options.writeSync ?? ((target: number, data: Uint8Array) => writeSync(target, data));
  const onError =
    options.onError ??
    ((error: Error) =>
      process.stderr.write(`saferouter: log output failed, later lines are dropped: ${error.message}\n`));
  const flushMs = options.flushMs ?? 10;
  let lines: string[] = [];
  let pendingChars = 0;
  /** Bytes of an earlier batch a short write or EAGAIN left unwritten; they go first. */
  let rest: Uint8Array | undefined;
  /** A flush is scheduled: the timer of `flushMs`, or (`true`) the next turn. */
  let scheduled: NodeJS.Timeout | boolean = false;
  let retryTimer: NodeJS.Timeout | undefined;
  let failed = false;
  const waiting: ((error?: Error) => void)[] = [];

  function fail(error: Error): void {
    failed = true;
    lines = [];
    pendingChars = 0;
    rest = undefined;
    onError(error);
  }

  /** Writes `rest` and then the pending lines; false when a full pipe said EAGAIN. */
  function drain(): boolean {
    if (failed) return true;
    for (;;) {
      if (rest === undefined) {
        if (lines.length === 0) return true;
        rest = Buffer.from(lines.length === 1 ? (lines[0] as string) : lines.join(''));
        lines = [];
        pendingChars = 0;
      }
      try {
        const n = write(fd, rest);
        rest = n >= rest.length ? undefined : rest.subarray(n);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EAGAIN') return false;
        fail(error as Error);
        return true;
      }
    }
  }

  function settle(): void {
    const error = failed ? new Error('log output failed') : undefined;
    for (const cb of waiting.splice(0)) cb(error);
  }

  function flushNow(): void {
    if (typeof scheduled === 'object') clearTimeout(scheduled);
    scheduled = false;
    if (retryTimer !== undefined) return; // a retry is pending; it writes everything in order
    if (drain()) return settle();
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      flushNow();
    }, EAGAIN_RETRY_MS);
  }

  const flushSync = (): void => {
    if (retryTimer !== undefined) {
      clearTimeout(retryTimer);
      retryTimer = undefined;
    }
    const deadline = Date.now() + SYNC_EAGAIN_LIMIT_MS;
    const pause = new Int32Array(new SharedArrayBuffer(4));
    while (!drain()) {
      if (Date.now() > deadline) {
        fail(new Error(`output still full after ${SYNC_EAGAIN_LIMIT_MS} ms`));
        break;
      }
      Atomics.wait(pause, 0, 0, EAGAIN_RETRY_MS);
    }
    settle();
  };
  process.on('exit', flushSync);

  return {
    write(line) {
      if (failed) return;
      lines.push(line);
      pendingChars += line.length;
      if (retryTimer !== undefined || scheduled === true) return;
      if (flushMs === 0 || pendingChars >= MAX_PENDING_CHARS) {
        if (typeof scheduled === 'object') clearTimeout(scheduled);
        scheduled = true;
        setImmediate(flushNow);
      } else if (scheduled === false) {
        scheduled = setTimeout(flushNow, flushMs);
        scheduled.unref();
      }
    },
    flush(cb) {
      if (cb !== undefined) waiting.push(cb);
      flushNow();
    },
    flushSync,
    end() {
      flushSync();
      process.off('exit', flushSync);
    },
  };
}
