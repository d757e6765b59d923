/**
 * Test-only: a gateway built from real parts (SQLite store in a temp dir, a catalog with the
 * built-in demo provider and one provider without a key) for the in-process tests that call
 * `app.request()`. Nothing here opens a socket; the end-to-end tests in `test/` do that.
 * Not imported by the server entry point, so it never reaches the bundle.
 */
import type { StaticFiles } from './static-files.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { createCatalog, parseCatalogConfig, type Catalog } from '@saferouter/router';
import { generateApiKey, hashApiKey, type Store } from '@saferouter/store';
import { openSqliteStore } from '@saferouter/store/sqlite';
import { createApp, type Gateway } from './app.js';
import type { OpenAIErrorBody } from './errors.js';
import { createLogger, type Logger, type LogLevel } from './logger.js';
import type { CorsOrigins } from './cors-origins.js';

export const ADMIN_KEY = 'sk-sr-admin-unit-0123456789abcdefghijklmnopqrstuvw';
export const REQUEST_ID = /^req_[0-9a-f]{32}$/;
export const MESSAGES = [{ role: 'user', content: 'hello' }];

/** The catalog: demo models (free, offline) and `nokey/model`, whose provider has no API key. */
export const catalogJson = {
  providers: [
    { id: 'saferouter', kind: 'demo', baseUrl: 'http://demo.invalid' },
    { id: 'nokey', baseUrl: 'http://nokey.invalid/v1', apiKeyEnv: 'SR_UNIT_MISSING_KEY' },
  ],
  models: [
    {
      id: 'saferouter/demo',
      provider: 'saferouter',
      contextLength: 64000,
      maxOutputTokens: 4096,
      pricing: { inputPerMillion: 0, outputPerMillion: 0 },
      demo: true,
    },
    {
      id: 'saferouter/demo-thinking',
      provider: 'saferouter',
      contextLength: 64000,
      maxOutputTokens: 4096,
      pricing: { inputPerMillion: 0, outputPerMillion: 0 },
      capabilities: ['reasoning'],
      demo: true,
    },
    {
      id: 'nokey/model',
      provider: 'nokey',
      contextLength: 128000,
      maxOutputTokens: 8192,
      pricing: { inputPerMillion: 0.27, outputPerMillion: 1.1 },
      capabilities: ['tools'],
    },
  ],
};

export interface FixtureOptions {
  bodyLimitBytes?: number;
  /** SAFEROUTER_SELF_TOPUP: keys may top themselves up. */
  selfTopup?: boolean;
  keyCacheTtlMs?: number;
  /** Serve `/verify/` from this directory. */
  verifierDir?: string;
  /** Serve the dashboard at `/` from these files. */
  dashboardFiles?: StaticFiles;
  /** Serve the API reference's assets at `/docs/` from these files. */
  docsFiles?: StaticFiles;
  /** Where the app logs (see `captureLogs`); default silent. */
  logger?: Logger;
  /** SAFEROUTER_CORS_ORIGINS for `/v1/*`; default none. */
  corsOrigins?: CorsOrigins;
}

/** A logger whose lines are kept in memory, as the text written and as parsed objects. */
export interface CapturedLogs {
  logger: Logger;
  text(): string;
  lines(): Record<string, unknown>[];
}

/**
 * @example
 * const logs = captureLogs();
 * const fx = await createFixture({ logger: logs.logger });
 * expect(logs.lines().filter((l) => l.level === 50)).toHaveLength(0);
 */
export function captureLogs(level: LogLevel = 'trace', secrets: readonly string[] = []): CapturedLogs {
  const chunks: string[] = [];
  const logger = createLogger({ level, destination: { write: (line) => void chunks.push(line) }, secrets });
  const text = (): string => chunks.join('');
  return {
    logger,
    text,
    lines: () =>
      text()
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

export interface Fixture extends Gateway {
  store: Store;
  catalog: Catalog;
  /** A user key inserted straight into the store. */
  user: { id: string; secret: string };
  /** The fake clock's current time; `advance()` moves it. */
  now(): number;
  advance(ms: number): void;
  /** `app.request()` with a Bearer key (the user key unless `key` says otherwise; `null` for none). */
  call(path: string, init?: CallInit): Promise<Response>;
  /** Closes the gateway, the catalog and the store, and removes the temp dir. */
  dispose(): Promise<void>;
}

export interface CallInit {
  method?: string;
  key?: string | null;
  /** Sent as JSON unless it is already a string. */
  body?: unknown;
  headers?: Record<string, string>;
}

export async function createFixture(options: FixtureOptions = {}): Promise<Fixture> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sr-gw-unit-'));
  const store = await openSqliteStore({ dataDir });
  const catalog = createCatalog(parseCatalogConfig(catalogJson), { env: {} });
  let time = 1_700_000_000_000;
  const clock = (): number => time;
  const issued = generateApiKey();
  await store.keys.insert({
    id: issued.id,
    name: 'unit',
    prefix: issued.prefix,
    hash: issued.hash,
    role: 'user',
    createdAt: clock(),
  });
  await store.billing.credit({
    id: 'led_fixture',
    keyId: issued.id,
    amountMicros: 100_000_000,
    kind: 'topup',
    ts: clock(),
    note: 'fixture',
  });
  const gateway = createApp({ store, catalog, adminKeyHash: hashApiKey(ADMIN_KEY), clock, ...options });
  const user = { id: issued.id, secret: issued.secret };

  async function call(path: string, init: CallInit = {}): Promise<Response> {
    const headers: Record<string, string> = { ...init.headers };
    const key = init.key === undefined ? user.secret : init.key;
    if (key !== null) headers.authorization = `Bearer ${key}`;
    let body: string | undefined;
    if (init.body !== undefined) {
      body = typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await gateway.app.request(path, {
      method: init.method ?? (body === undefined ? 'GET' : 'POST'),
      headers,
      ...(body === undefined ? {} : { body }),
    });
    // Every response, whatever its status, carries a request id.
    expect(res.headers.get('x-request-id')).toMatch(REQUEST_ID);
    return res;
  }

  return {
    ...gateway,
    store,
    catalog,
    user,
    now: clock,
    advance: (ms) => {
      time += ms;
    },
    call,
    async dispose() {
      await gateway.close();
      await catalog.close();
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Asserts an OpenAI-shaped error and returns its body. */
export async function expectError(
  res: Response,
  status: number,
  code?: string,
  type?: string,
): Promise<OpenAIErrorBody> {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  const json = (await res.json()) as OpenAIErrorBody;
  // OpenAI's shape; `param` names the field when the error is about one, `metadata` holds details.
  const { param, metadata, ...rest } = json.error;
  expect({ error: rest }).toEqual({
    error: { message: expect.any(String), type: expect.any(String), code: expect.any(String) },
  });
  if (param !== undefined) expect(typeof param).toBe('string');
  if (metadata !== undefined) expect(metadata).toBeTypeOf('object');
  if (code !== undefined) expect(json.error.code).toBe(code);
  if (type !== undefined) expect(json.error.type).toBe(type);
  return json;
}
