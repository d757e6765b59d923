/**
 * Test helpers: a temp data dir, a catalog pointed at the fake upstream, and a real gateway
 * started on a free port.
 */
import { fileURLToPath } from 'node:url';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCatalogConfig, type CatalogConfig } from '@saferouter/router';
import type { GatewayConfig } from '../src/config.js';
import { startGateway, type RunningGateway } from '../src/start.js';
import { createSecureFetch } from '@saferouter/verify';

export const ADMIN_KEY = 'sk-sr-admin-test-0123456789abcdefghijklmnopqrstuv';

export function fakeCatalogJson(upstreamUrl: string): Record<string, unknown> {
  const model = (id: string, provider: string, caps: string[], fallbacks: string[] = []) => ({
    id,
    provider,
    contextLength: 64000,
    maxOutputTokens: 4096,
    pricing: { inputPerMillion: 0.27, outputPerMillion: 1.1 },
    capabilities: caps,
    fallbacks,
  });
  return {
    providers: [
      { id: 'up', baseUrl: `${upstreamUrl}/v1`, apiKeyEnv: 'FAKE_UP_KEY', modelPrefixes: ['up-'] },
      { id: 'nokey', baseUrl: `${upstreamUrl}/v1`, apiKeyEnv: 'FAKE_MISSING_KEY' },
      { id: 'saferouter', kind: 'demo', baseUrl: 'http://demo.invalid' },
    ],
    models: [
      model('m-primary', 'up', ['tools', 'reasoning'], ['m-backup']),
      model('m-backup', 'up', ['tools']),
      model('m-notools', 'up', []),
      model('m-tools-chain', 'up', ['tools'], ['m-notools', 'm-backup']),
      model('m-nokey', 'nokey', ['tools'], ['m-backup']),
      model('m-lonely', 'up', []),
      {
        ...model('saferouter/demo', 'saferouter', []),
        pricing: { inputPerMillion: 0, outputPerMillion: 0 },
        demo: true,
      },
      {
        ...model('saferouter/demo-thinking', 'saferouter', ['reasoning']),
        pricing: { inputPerMillion: 0, outputPerMillion: 0 },
        demo: true,
      },
    ],
  };
}

/** The test catalog, parsed, with `extraModels` appended (raw config entries). */
export function fakeCatalog(upstreamUrl: string, extraModels: readonly unknown[] = []): CatalogConfig {
  const base = fakeCatalogJson(upstreamUrl) as { providers: unknown[]; models: unknown[] };
  return parseCatalogConfig({ ...base, models: [...base.models, ...extraModels] });
}

export interface TestGateway extends RunningGateway {
  dataDir: string;
  userKey: string;
}

/** The e2e gateway's config: the fake catalog, the mock backend, small timeouts; `overrides` win. */
export function testGatewayConfig(
  upstreamUrl: string,
  dataDir: string,
  overrides: Partial<GatewayConfig> = {},
): GatewayConfig {
  return {
    port: 0,
    host: '127.0.0.1',
    dataDir,
    adminKey: ADMIN_KEY,
    configPath: undefined,
    catalog: parseCatalogConfig(fakeCatalogJson(upstreamUrl)),
    bodyLimitBytes: 4 * 1024 * 1024,
    connectTimeoutMs: 2000,
    firstByteTimeoutMs: 1500,
    databaseUrl: undefined,
    redisUrl: undefined,
    selfTopup: false,
    // Demo streams unpaced, so tests keep their speed (the operator's default is 40 ms).
    demoChunkDelayMs: 0,
    // No SEV-SNP here: point configfs-tsm at a path that does not exist, so the mock is used.
    tsmRoot: join(dataDir, 'no-tsm'),
    measuredBinary: fileURLToPath(new URL('../src/server.ts', import.meta.url)),
    audience: 'e2e',
    logKey: undefined,
    auditRate: 0.05,
    receiptRetentionDays: 30,
    // Errors only, as console.error printed before there was a logger; logs.e2e.test.ts captures all.
    logLevel: 'error',
    ...overrides,
  };
}

export async function startTestGateway(
  upstreamUrl: string,
  overrides: Partial<GatewayConfig> = {},
): Promise<TestGateway> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sr-gw-'));
  const config = testGatewayConfig(upstreamUrl, dataDir, overrides);
  const running = await startGateway(config, { FAKE_UP_KEY: 'upstream-secret-do-not-leak' });
  // A gateway that refuses plaintext bodies (SAFEROUTER_REQUIRE_EHBP) gets its key sealed.
  const send = config.requireEhbp === true ? await createSecureFetch(running.url, { allowMock: true }) : fetch;
  const res = await send(`${running.url}/v1/keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'e2e', credit_usd: '100' }),
  });
  if (res.status !== 201) throw new Error(`key creation failed: ${res.status} ${await res.text()}`);
  const { key } = (await res.json()) as { key: string };
  return {
    ...running,
    dataDir,
    userKey: key,
    async close() {
      await running.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Reads an SSE response body as text. */
export async function readAll(res: Response): Promise<string> {
  return await res.text();
}
