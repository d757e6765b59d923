/**
 * Child-process plumbing for the benchmark: each server runs in its own process so it has its own
 * event loop, and every child is registered here so that no exit path (error, SIGINT, SIGTERM)
 * leaves a server running. Children are only ever signalled by their own pid.
 */
import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism } from 'node:os';

const TAIL_BYTES = 16 * 1024;

export class Child {
  private out = '';
  private readonly exitPromise: Promise<number | null>;

  constructor(
    readonly name: string,
    readonly proc: ChildProcess,
    /** Where the child's stdout goes instead of a pipe (see `spawnChild`'s `stdoutFile`). */
    readonly stdoutFile?: string,
  ) {
    // Always drain both pipes: a child whose pipe fills up blocks, and would bench as "slow".
    const keep = (d: Buffer): void => {
      this.out = (this.out + d.toString('utf8')).slice(-TAIL_BYTES);
    };
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    // 'close' rather than 'exit': it comes after the pipes are drained, so tail() is complete.
    this.exitPromise = new Promise((resolve) =>
      proc.once('close', (code, signal) => resolve(code ?? (signal === null ? null : -1))),
    );
  }

  get alive(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** The last few KB the child wrote, for error messages (its stdout file's tail first, if any). */
  tail(): string {
    const file = this.stdoutFile === undefined ? '' : fileTail(this.stdoutFile, TAIL_BYTES);
    return `${file}${file === '' ? '' : '\n'}${this.out}`.trim();
  }

  exited(): Promise<number | null> {
    return this.exitPromise;
  }

  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  async stop(graceMs = 3000): Promise<void> {
    if (!this.alive) return;
    this.proc.kill('SIGTERM');
    const timer = setTimeout(() => {
      if (this.alive) this.proc.kill('SIGKILL');
    }, graceMs);
    await this.exitPromise;
    clearTimeout(timer);
  }
}

/** The last `bytes` of a file, '' when it cannot be read. */
function fileTail(path: string, bytes: number): string {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const size = fstatSync(fd).size;
    const buf = Buffer.alloc(Math.min(bytes, size));
    readSync(fd, buf, 0, buf.length, size - buf.length);
    return buf.toString('utf8');
  } catch {
    return '';
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

const children = new Set<Child>();

export interface SpawnChildOptions extends SpawnOptions {
  /**
   * Send the child's stdout to this file (appended) instead of a pipe this process drains. For a
   * gateway under load: its log lines then cost what they cost in production (a write to a file
   * or journald), not the load generator's CPU, which shares the machine with it.
   */
  stdoutFile?: string | undefined;
  /** A server under test: with BENCH_PIN=1 it runs alone on CPU 1 (see `PIN`). */
  underTest?: boolean;
}

/**
 * BENCH_PIN=1 (on a machine with 2 or more CPUs): the servers under test (bare proxy, gateways)
 * run on CPU 1 and everything else (this process, its load generator, the fake upstream) on CPU 0.
 * A proxy's throughput is then what one core gives it, not its share of a pair it contends for
 * with the load generator, and rounds vary far less. Off by default: unpinned is closer to a
 * gateway sharing its host.
 */
export const PIN = process.env['BENCH_PIN'] === '1' && availableParallelism() >= 2;

/** With `PIN`, moves this process (all its threads) and the children it spawns later to CPU 0. */
export function pinSelf(): void {
  if (PIN) execFileSync('taskset', ['-a', '-p', '-c', '0', String(process.pid)], { stdio: 'ignore' });
}

export function spawnChild(name: string, command: string, args: string[], options: SpawnChildOptions): Child {
  const { stdoutFile, underTest, ...spawnOptions } = options;
  const fd = stdoutFile === undefined ? undefined : openSync(stdoutFile, 'a');
  // taskset execs the command: the pid (and /proc/<pid>/stat for `cpuMs`) is the server's own.
  if (PIN && underTest === true) [command, args] = ['taskset', ['-c', '1', command, ...args]];
  const proc = spawn(command, args, { ...spawnOptions, stdio: ['ignore', fd ?? 'pipe', 'pipe'] });
  if (fd !== undefined) closeSync(fd);
  const child = new Child(name, proc, stdoutFile);
  children.add(child);
  void child.exited().then(() => children.delete(child));
  return child;
}

/** Stop every registered child, gracefully, in parallel. */
export async function stopAll(): Promise<void> {
  await Promise.all([...children].map((c) => c.stop()));
}

/**
 * Last-resort cleanup: kill children on every way out of this process. `exit` handlers must be
 * synchronous, so there it is a plain SIGKILL by pid.
 */
export function installCleanup(): void {
  process.once('exit', () => {
    for (const c of children) if (c.alive) c.proc.kill('SIGKILL');
  });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      process.stderr.write(`\nbench: ${sig}, stopping servers…\n`);
      void stopAll().finally(() => process.exit(sig === 'SIGINT' ? 130 : 143));
    });
  }
}

/** Wait for the child's `{"url":"…"}` line on stdout (the protocol of the fake and the bare proxy). */
export function waitForUrlLine(child: Child, timeoutMs = 20_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdout = child.proc.stdout;
    if (stdout === null) return reject(new Error(`${child.name}: no stdout`));
    let buf = '';
    const onData = (d: Buffer): void => {
      buf += d.toString('utf8');
      let nl: number;
      while ((nl = buf.indexOf('\n')) !== -1) {
        const url = urlOf(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
        if (url === undefined) continue;
        done();
        return resolve(url);
      }
    };
    // A plain listener, not readline: closing readline would pause stdout and could block the child.
    const done = (): void => {
      clearTimeout(timer);
      stdout.off('data', onData);
    };
    const fail = (why: string): void => {
      done();
      reject(new Error(`${child.name} failed to start: ${why}\n--- ${child.name} output ---\n${child.tail()}`));
    };
    const timer = setTimeout(() => fail(`no {"url"} line within ${timeoutMs} ms`), timeoutMs);
    void child.exited().then((code) => fail(`exited with code ${String(code)}`));
    stdout.on('data', onData);
  });
}

function urlOf(line: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(line);
    const url = typeof parsed === 'object' && parsed !== null ? (parsed as { url?: unknown }).url : undefined;
    return typeof url === 'string' ? url : undefined;
  } catch {
    return undefined;
  }
}

/** Poll `url` until it answers 200, failing early if the child dies. */
export async function waitForHealth(child: Child, url: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (!child.alive)
      throw new Error(
        `${child.name} exited during startup (code ${String(child.proc.exitCode)})\n--- ${child.name} output ---\n${child.tail()}`,
      );
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
      last = `HTTP ${res.status}`;
    } catch (e) {
      last = e instanceof Error ? e.message : String(e);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(
    `${child.name} not healthy at ${url} within ${timeoutMs} ms (${last})\n--- ${child.name} output ---\n${child.tail()}`,
  );
}

/** Ask the OS for a free port. Racy in theory; on a bench box nothing else grabs it in between. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Run a command to completion, capturing its output; resolves with the exit code and output. */
export async function runToEnd(
  name: string,
  command: string,
  args: string[],
  options: SpawnOptions,
): Promise<{ code: number | null; output: string }> {
  const child = spawnChild(name, command, args, options);
  const code = await child.exited();
  return { code, output: child.tail() };
}

/** utime + stime of a process in milliseconds, from /proc (Linux); undefined elsewhere. */
export function cpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) * 10; // clock ticks of 10 ms
  } catch {
    return undefined;
  }
}
