/**
 * A real gateway in its own process (`src/server.ts` under tsx), configured only through the
 * environment as an operator would, with every byte it writes to stdout and stderr kept. Tests
 * kill it with SIGKILL to simulate a crash, or SIGTERM to stop it. Every child started here is
 * SIGKILLed when the test worker exits, so a failing test never leaves a gateway behind.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateSignerKey } from '@saferouter/tlog';

const serverPath = fileURLToPath(new URL('../src/server.ts', import.meta.url));

export interface ChildGatewayOptions {
  dataDir: string;
  /** Path of the catalog JSON (`SAFEROUTER_CONFIG`). */
  configPath: string;
  /** `SAFEROUTER_ADMIN_KEY`; omit to let the gateway generate (and print) one. */
  adminKey?: string | undefined;
  databaseUrl?: string | undefined;
  redisUrl?: string | undefined;
  /** The upstream provider's API key (`FAKE_UP_KEY`). */
  upstreamKey?: string | undefined;
  /**
   * `SAFEROUTER_LOG_KEY`. Replicas sharing Postgres need one; by default every Postgres child of
   * this test file gets the same key, generated once.
   */
  logKey?: string | undefined;
  /** More environment (`SAFEROUTER_DRAIN_MS`, …); wins over everything above. */
  env?: Record<string, string> | undefined;
}

let sharedLogKey: Promise<string> | undefined;
/** The log signer key every Postgres child in this process shares (generated on first use). */
export function testLogKey(): Promise<string> {
  sharedLogKey ??= generateSignerKey('e2e.test/saferouter/startup').then((k) => k.skey);
  return sharedLogKey;
}

export interface ChildGateway {
  url: string;
  child: ChildProcess;
  /** stdout and stderr, raw, interleaved in arrival order. */
  output(): Buffer;
  /** Resolves when the process has exited. */
  exited: Promise<void>;
  /** `kill -9` and wait for the exit. */
  crash(): Promise<void>;
  /** SIGTERM (graceful shutdown) and wait for the exit; SIGKILL after 5 s. */
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

/** SIGKILLs every child still running (for `afterAll`). */
export async function killAllGateways(): Promise<void> {
  await Promise.all(
    [...live].map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          c.once('exit', () => resolve());
          c.kill('SIGKILL');
        }),
    ),
  );
}

export async function spawnGateway(options: ChildGatewayOptions): Promise<ChildGateway> {
  const logKey = options.logKey ?? (options.databaseUrl ? await testLogKey() : '');
  const child = fork(serverPath, [], {
    execArgv: ['--import', 'tsx'],
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      SAFEROUTER_DATA_DIR: options.dataDir,
      SAFEROUTER_CONFIG: options.configPath,
      SAFEROUTER_ADMIN_KEY: options.adminKey ?? '',
      DATABASE_URL: options.databaseUrl ?? '',
      REDIS_URL: options.redisUrl ?? '',
      FAKE_UP_KEY: options.upstreamKey ?? 'fake-upstream-key',
      SAFEROUTER_LOG_KEY: logKey,
      // Demo streams unpaced (the default, 40 ms a chunk, is for browsers).
      SAFEROUTER_DEMO_CHUNK_DELAY_MS: '0',
      // No SEV-SNP in tests: a configfs-tsm root that does not exist selects the mock backend.
      SAFEROUTER_TSM_ROOT: join(options.dataDir, 'no-tsm'),
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  live.add(child);
  const chunks: Buffer[] = [];
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      live.delete(child);
      resolve();
    });
  });
  const url = await new Promise<string>((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(
      () => reject(new Error(`gateway did not start in 30 s: ${Buffer.concat(chunks).toString()}`)),
      30_000,
    );
    child.stdout!.on('data', (d: Buffer) => {
      chunks.push(d);
      seen += d.toString('utf8');
      const m = /listening on (http:\/\/\S+)/.exec(seen);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.stderr!.on('data', (d: Buffer) => chunks.push(d));
    void exited.then(() => {
      clearTimeout(timer);
      reject(
        new Error(`gateway exited early (${child.exitCode ?? child.signalCode}): ${Buffer.concat(chunks).toString()}`),
      );
    });
  });
  const signal = async (sig: NodeJS.Signals, graceMs: number): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill(sig);
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  };
  return {
    url,
    child,
    output: () => Buffer.concat(chunks),
    exited,
    crash: () => signal('SIGKILL', 0),
    stop: () => signal('SIGTERM', 5000),
  };
}
