/**
 * The two storage setups the soak runs on: SQLite in the gateway's data dir (the default), and
 * Postgres in a fresh schema of the local test database (`…?search_path=<schema>`, as
 * apps/gateway/test/pg-schema.ts does) with Redis for the per-key limits. Each gives the gateway's
 * extra environment, a store the books are read from, and a cleanup that drops what it made.
 */
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { join } from 'node:path';
import postgres from 'postgres';
import { openStore, type Store } from '@saferouter/store';
import { generateSignerKey } from '@saferouter/tlog';

export type BackendName = 'sqlite' | 'postgres';

export const PG_URL = process.env['SOAK_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env['SOAK_REDIS_URL'] ?? 'redis://127.0.0.1:6379';

export interface Backend {
  name: BackendName;
  /** Added to the gateway's environment. */
  env: Record<string, string>;
  /**
   * Where the books are read from, opened after the gateway (which migrates the schema);
   * `gatewayDataDir` is the gateway's SAFEROUTER_DATA_DIR (SQLite's database lives there).
   */
  openStore(gatewayDataDir: string): Promise<Store>;
  /** Drops the Postgres schema (SQLite: the work dir goes with the run). */
  cleanup(): Promise<void>;
  /** Shown in the report: no URLs with credentials, just what ran. */
  describe: string;
}

/**
 * Prepares one backend; `workDir` is a directory the run owns.
 *
 * @example
 * const backend = await prepareBackend('postgres', workDir);
 * @throws Error naming the service when Postgres or Redis cannot be reached.
 */
export async function prepareBackend(name: BackendName, workDir: string): Promise<Backend> {
  if (name === 'sqlite') {
    return {
      name,
      env: { DATABASE_URL: '', REDIS_URL: '' },
      openStore: (gatewayDataDir) => openStore({ dataDir: gatewayDataDir }),
      cleanup: () => Promise.resolve(),
      describe: 'SQLite (data dir), in-process limiter',
    };
  }
  await pingRedis(REDIS_URL);
  const sql = postgres(PG_URL, { max: 1, onnotice: () => undefined, connect_timeout: 5 });
  const schema = `sr_soak_${randomBytes(6).toString('hex')}`;
  try {
    await sql.unsafe(`CREATE SCHEMA ${schema}`);
  } catch (e) {
    await sql.end({ timeout: 5 });
    throw new Error(`Postgres at ${redact(PG_URL)}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const url = new URL(PG_URL);
  url.searchParams.set('search_path', schema);
  const databaseUrl = url.toString();
  const logKey = (await generateSignerKey('soak.local/saferouter/startup')).skey;
  return {
    name,
    env: { DATABASE_URL: databaseUrl, REDIS_URL, SAFEROUTER_LOG_KEY: logKey },
    // The store wants a data dir even on Postgres; nothing is written there.
    openStore: () => openStore({ dataDir: join(workDir, 'soak-books'), databaseUrl }),
    async cleanup() {
      await sql.unsafe(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await sql.end({ timeout: 5 });
    },
    describe: `Postgres ${redact(PG_URL)} schema ${schema}, Redis ${redact(REDIS_URL)}`,
  };
}

/** A URL without its password. */
function redact(raw: string): string {
  try {
    const u = new URL(raw);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable URL)';
  }
}

/** `PING` over RESP, so a missing Redis is a clear message before the gateway starts. */
function pingRedis(raw: string): Promise<void> {
  const u = new URL(raw);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: u.hostname, port: Number(u.port || 6379) });
    const fail = (why: string): void => {
      socket.destroy();
      reject(new Error(`Redis at ${redact(raw)}: ${why}`));
    };
    socket.setTimeout(3000, () => fail('no answer within 3 s'));
    socket.once('error', (e) => fail(e.message));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (d) => {
      socket.end();
      const line = d.toString('utf8');
      if (line.startsWith('+PONG')) resolve();
      else fail(`answered ${JSON.stringify(line.trim())} to PING (a password is not supported here)`);
    });
  });
}
