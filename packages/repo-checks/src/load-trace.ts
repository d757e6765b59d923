/**
 * Runs a snippet in a fresh Node process and returns every module URL the loader resolved: the
 * proof, rather than a reading of import statements, that an entry point loads (or does not load)
 * a package. TypeScript sources run through tsx, as in the workspace; a resolve hook registered
 * with `module.register()` (`trace-hooks.mjs`) records each URL after tsx has resolved it.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const HOOKS_URL = new URL('./trace-hooks.mjs', import.meta.url).href;

export interface LoadTrace {
  /** Every resolved URL, in resolution order. */
  urls: string[];
  /** Whether any module of the npm package `name` was loaded (`better-sqlite3`, `@scope/pkg`). */
  loaded(name: string): boolean;
}

export interface TraceOptions {
  /** Directory the snippet's bare imports resolve from (a package that depends on them). */
  cwd: string;
  /** Default 30 s. */
  timeoutMs?: number;
}

/**
 * Evaluates `code` (an ES module; top-level await allowed) and traces what it loads.
 *
 * @example
 * const trace = await traceLoads("await import('@saferouter/billing');", { cwd: here });
 * trace.loaded('ioredis'); // false
 * @throws {Error} with the child's stderr when it exits non-zero or times out.
 */
export async function traceLoads(code: string, options: TraceOptions): Promise<LoadTrace> {
  const dir = mkdtempSync(join(tmpdir(), 'saferouter-trace-'));
  const log = join(dir, 'resolved.txt');
  const register = `import { register } from 'node:module'; register(${JSON.stringify(HOOKS_URL)}, { data: { log: ${JSON.stringify(log)} } });`;
  try {
    await run(
      [
        '--import',
        'tsx',
        '--import',
        `data:text/javascript,${encodeURIComponent(register)}`,
        '--input-type=module',
        '--eval',
        code,
      ],
      options.cwd,
      options.timeoutMs ?? 30_000,
    );
    const urls = readFileSync(log, 'utf8')
      .split('\n')
      .filter((line) => line !== '');
    return { urls, loaded: (name) => urls.some((url) => url.includes(`/node_modules/${name}/`)) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function run(args: string[], cwd: string, timeoutMs: number): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      fail(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) done();
      else fail(new Error(`traced process exited with ${signal ?? code}: ${stderr}`));
    });
  });
}
