/**
 * A fresh Postgres schema per test file, so runs never collide: created with the `postgres` driver
 * the store already depends on (resolved from packages/store, the gateway has no dependency of
 * its own on it), handed to gateways as `DATABASE_URL=…?search_path=<schema>`, dumped as text for
 * secret scans, and dropped afterwards. Server: `TEST_DATABASE_URL`, else the local test database.
 */
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';

export const PG_URL = process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

/** The few driver calls used here (the driver's own types are not visible from this package). */
interface Sql {
  unsafe(query: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  end(options?: { timeout?: number }): Promise<void>;
}
type Postgres = (url: string, options?: Record<string, unknown>) => Sql;

const requireFromStore = createRequire(new URL('../../../packages/store/package.json', import.meta.url));
const postgres = requireFromStore('postgres') as Postgres;

export interface TestSchema {
  name: string;
  /** `PG_URL` with `search_path` set to this schema. */
  url: string;
  /** Every row of every table in the schema, as Postgres' row text form, one per line. */
  dump(): Promise<string>;
  query(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  /** Drops the schema and closes the connection. */
  drop(): Promise<void>;
}

export async function createTestSchema(): Promise<TestSchema> {
  const sql = postgres(PG_URL, { max: 2, onnotice: () => undefined, connect_timeout: 5 });
  const name = `sr_e2e_${randomBytes(6).toString('hex')}`;
  await sql.unsafe(`CREATE SCHEMA ${name}`);
  const url = new URL(PG_URL);
  url.searchParams.set('search_path', name);
  return {
    name,
    url: url.toString(),
    query: (q, params) => sql.unsafe(q, params),
    async dump() {
      const tables = await sql.unsafe(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name`,
        [name],
      );
      const lines: string[] = [];
      for (const t of tables) {
        const table = String(t['table_name']);
        const rows = await sql.unsafe(`SELECT t::text AS row FROM "${name}"."${table}" t`);
        for (const r of rows) lines.push(`${table}\t${String(r['row'])}`);
      }
      return lines.join('\n');
    },
    async drop() {
      await sql.unsafe(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
      await sql.end({ timeout: 5 });
    },
  };
}
