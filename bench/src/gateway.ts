/**
 * Builds and starts the real gateway for the benchmark, pointed at the fake upstream, with a
 * fresh data dir and admin key, then issues the user key the load runs authenticate with (auth
 * stays on: an unauthenticated gateway would bench a path no one runs).
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { type Child, freePort, runToEnd, spawnChild, waitForHealth } from './children.js';

export interface GatewayTarget {
  child: Child;
  url: string;
  /** The user key issued through POST /v1/keys. */
  userKey: string;
  /** `SAFEROUTER_ADMIN_KEY` of this gateway (the soak creates and revokes keys with it). */
  adminKey: string;
  /** `SAFEROUTER_DATA_DIR` of this gateway (the soak reads the SQLite books from it). */
  dataDir: string;
}

export interface GatewayOptions {
  root: string;
  upstreamUrl: string;
  /** A fresh directory this run owns; data and config go inside. */
  workDir: string;
  /** Run `pnpm --filter @saferouter/gateway run build` first (default true). */
  build: boolean;
  /** Server entry, relative to root (default apps/gateway/dist/server.mjs). */
  entry: string;
  /** The child's name in logs, and its data dir's (default `gateway`). */
  name?: string;
  /** Extra environment, e.g. `SAFEROUTER_AUDIT_RATE`. */
  env?: Record<string, string>;
  /** The catalog (`SAFEROUTER_CONFIG`'s JSON); default: `fake-model` on the fake upstream. */
  catalog?: unknown;
}

/** `sk-sr-` + 43 base64url characters: 32 random bytes, the format the gateway expects. */
export function newAdminKey(): string {
  return `sk-sr-${randomBytes(32).toString('base64url')}`;
}

function benchConfig(upstreamUrl: string): unknown {
  return {
    providers: [{ id: 'fake', baseUrl: `${upstreamUrl}/v1`, apiKeyEnv: 'FAKE_UPSTREAM_KEY', modelPrefixes: ['fake-'] }],
    models: [
      {
        id: 'fake-model',
        provider: 'fake',
        contextLength: 128000,
        maxOutputTokens: 8192,
        pricing: { inputPerMillion: 0.27, outputPerMillion: 1.1 },
        capabilities: ['tools'],
      },
    ],
  };
}

/** @throws Error with the build or server output when the gateway cannot be built or started. */
export async function startGateway(o: GatewayOptions): Promise<GatewayTarget> {
  if (o.build) {
    process.stderr.write('bench: building the gateway…\n');
    const { code, output } = await runToEnd(
      'gateway build',
      'pnpm',
      ['--filter', '@saferouter/gateway', 'run', 'build'],
      { cwd: o.root, env: process.env },
    );
    if (code !== 0) throw new Error(`gateway build failed (exit ${String(code)})\n${output}`);
  }
  const entry = resolve(o.root, o.entry);
  if (!existsSync(entry)) {
    throw new Error(
      `gateway entry ${entry} does not exist; build the gateway, or set BENCH_SKIP_GATEWAY=1 to bench upstream and bare proxy only`,
    );
  }

  const name = o.name ?? 'gateway';
  const dataDir = join(o.workDir, `${name}-data`);
  await mkdir(dataDir, { recursive: true });
  const configPath = join(o.workDir, `${name}-config.json`);
  await writeFile(configPath, JSON.stringify(o.catalog ?? benchConfig(o.upstreamUrl), null, 2));
  const adminKey = newAdminKey();
  const port = await freePort();
  const child = spawnChild(name, process.execPath, [entry], {
    cwd: o.root,
    underTest: true,
    // Log lines go to a file, as in production; the load generator does not read them.
    stdoutFile: join(o.workDir, `${name}.log`),
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      SAFEROUTER_DATA_DIR: dataDir,
      SAFEROUTER_ADMIN_KEY: adminKey,
      SAFEROUTER_CONFIG: configPath,
      FAKE_UPSTREAM_KEY: 'bench-upstream-key',
      // Demo streams unpaced: a benchmark measures the gateway, not the demo's pacing.
      SAFEROUTER_DEMO_CHUNK_DELAY_MS: '0',
      ...o.env,
    },
  });
  const url = `http://127.0.0.1:${port}`;
  await waitForHealth(child, `${url}/health`);

  const res = await fetch(`${url}/v1/keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
    // Billing is on: the key needs credit for every benchmarked request (holds, settles, ledger rows).
    body: JSON.stringify({ name: 'bench', credit_usd: '1000000' }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`gateway: POST /v1/keys answered ${res.status}: ${text}`);
  const key: unknown = (JSON.parse(text) as { key?: unknown }).key;
  if (typeof key !== 'string' || key.length === 0) throw new Error(`gateway: POST /v1/keys returned no "key": ${text}`);
  return { child, url, userKey: key, adminKey, dataDir };
}
