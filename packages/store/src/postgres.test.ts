/**
 * The Postgres store: the shared conformance suite, each test in a fresh schema so runs never
 * collide, then what only Postgres has (migration locking across processes, BIGINT mapping,
 * default schema, URL secrecy). Needs a server: `TEST_DATABASE_URL`, else the local
 * `postgres://postgres@127.0.0.1:5432/test`. Without one these tests fail; they never skip.
 */

import { InvalidArgumentError } from '@saferouter/errors';
import { describeTileStorageConformance } from '@saferouter/tlog/testing';
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { activityGenerationSql } from './activity-sql.js';
import { storedActivity } from './conformance-support.js';
import { describeStoreConformance } from './conformance.js';
import { StoreError } from './errors.js';
import { generateApiKey } from './keys.js';
import { migrations } from './migrations.js';
import { applyPostgresMigrations } from './postgres-migrate.js';
import { PG_TYPES } from './postgres-sql.js';
import { openPostgresStore, type PostgresStoreOptions } from './postgres.js';
import type { Store } from './types.js';

const DB_URL = process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Creates and drops test schemas and databases, and peeks at tables behind the store's back. */
const admin = postgres(DB_URL, { max: 4, onnotice: () => undefined, connect_timeout: 5 });

async function freshSchema(): Promise<string> {
  const name = `sr_test_${randomBytes(6).toString('hex')}`;
  await admin.unsafe(`CREATE SCHEMA ${name}`);
  return name;
}

async function dropSchema(name: string): Promise<void> {
  await admin.unsafe(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
}

describe('postgres server', () => {
  it('is reachable (without it the Postgres tests fail rather than skip)', async () => {
    const rows = await admin<{ one: number }[]>`SELECT 1 AS one`;
    expect(rows[0]?.one).toBe(1);
  });
});

/**
 * Migrating a new schema is ~200 ms of DDL, far more than a conformance test's own work. So a
 * few schemas are created and migrated ahead while tests run; a test's own open then finds its
 * schema current, which is the path every gateway start takes anyway.
 */
const AHEAD = 2;
const ready: Promise<string>[] = [];
async function migratedSchema(): Promise<string> {
  const name = await freshSchema();
  await (await openPostgresStore({ url: DB_URL, schema: name, max: 1 })).close();
  return name;
}
function takeMigratedSchema(): Promise<string> {
  while (ready.length < AHEAD + 1) {
    const p = migratedSchema();
    // Surfaced by the test that takes it; never an unhandled rejection in between.
    p.catch(() => undefined);
    ready.push(p);
  }
  return ready.shift() as Promise<string>;
}

afterAll(async () => {
  for (const p of ready.splice(0)) {
    const leftover = await p.catch(() => undefined);
    if (leftover !== undefined) await dropSchema(leftover);
  }
  await admin.end({ timeout: 5 });
});

describeStoreConformance('postgres', async () => {
  const schema = await takeMigratedSchema();
  return {
    open: () => openPostgresStore({ url: DB_URL, schema, max: 10 }),
    destroy: () => dropSchema(schema),
  };
});

// The transparency-log storage also passes @saferouter/tlog's own TileStorage suite.
describeTileStorageConformance('postgres store.tlog', async () => {
  const schema = await takeMigratedSchema();
  const opened: Store[] = [];
  return {
    open: async () => {
      const store = await openPostgresStore({ url: DB_URL, schema, max: 4 });
      opened.push(store);
      return store.tlog.log('conformance');
    },
    destroy: async () => {
      for (const s of opened) await s.close();
      await dropSchema(schema);
    },
  };
});

describe('postgres store', () => {
  const stores: Store[] = [];
  const schemas: string[] = [];
  const open = async (options: Partial<PostgresStoreOptions> = {}): Promise<Store> => {
    const s = await openPostgresStore({ url: DB_URL, ...options });
    stores.push(s);
    return s;
  };
  const schema = async (): Promise<string> => {
    const name = await freshSchema();
    schemas.push(name);
    return name;
  };

  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
    for (const name of schemas.splice(0)) await dropSchema(name);
  });

  it('migrates exactly once when several processes start at the same moment', async () => {
    const name = await schema();
    const opened = await Promise.all(Array.from({ length: 6 }, () => open({ schema: name, max: 2 })));
    expect(opened).toHaveLength(6);
    const rows = await admin.unsafe(`SELECT version, name FROM ${name}.schema_migrations ORDER BY version`);
    expect(rows.map((r) => ({ ...r }))).toEqual([
      { version: 1, name: 'api_keys_and_meta' },
      { version: 2, name: 'billing_activity_limits' },
      { version: 3, name: 'transparency_logs' },
      { version: 4, name: 'audit_receipts_samples' },
      { version: 5, name: 'activity_generation' },
      { version: 6, name: 'byok_keys' },
      { version: 7, name: 'key_release' },
    ]);
  });

  it('creates tables in the schema it is given and nowhere else', async () => {
    const name = await schema();
    await open({ schema: name });
    const tables = await admin<{ table_name: string }[]>`
      SELECT table_name FROM information_schema.tables WHERE table_schema = ${name} ORDER BY table_name`;
    expect(tables.map((t) => t.table_name)).toEqual([
      'accounts',
      'activity',
      'api_keys',
      'audit_samples',
      'byok_keys',
      'deployment_keys',
      'holds',
      'key_grants',
      'key_holders',
      'key_requests',
      'ledger',
      'meta',
      'receipts',
      'schema_migrations',
      'tlog_bundles',
      'tlog_checkpoints',
      'tlog_tiles',
    ]);
  });

  it('without a schema option, uses the database default schema', async () => {
    const db = `sr_test_${randomBytes(6).toString('hex')}`;
    await admin.unsafe(`CREATE DATABASE ${db}`);
    try {
      const url = new globalThis.URL(DB_URL);
      url.pathname = `/${db}`;
      const store = await openPostgresStore({ url: url.toString(), max: 1 });
      await store.meta.set('k', 'v');
      await store.close();
      const peek = postgres(url.toString(), { max: 1, onnotice: () => undefined });
      const rows = await peek<{ table_schema: string }[]>`
        SELECT DISTINCT table_schema FROM information_schema.tables WHERE table_name = 'ledger'`;
      await peek.end();
      expect(rows.map((r) => r.table_schema)).toEqual(['public']);
    } finally {
      await admin.unsafe(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    }
  });

  it('stores money as BIGINT and returns it as exact numbers', async () => {
    const name = await schema();
    await open({ schema: name });
    const cols = await admin<{ table_name: string; column_name: string; data_type: string }[]>`
      SELECT table_name, column_name, data_type FROM information_schema.columns
       WHERE table_schema = ${name} AND column_name LIKE '%micros' ORDER BY table_name, column_name`;
    expect(cols.length).toBeGreaterThanOrEqual(5);
    for (const c of cols) expect(c, `${c.table_name}.${c.column_name}`).toMatchObject({ data_type: 'bigint' });
  });

  it('refuses to read a balance a double cannot hold exactly', async () => {
    const name = await schema();
    const store = await open({ schema: name });
    const { id, prefix, hash } = generateApiKey();
    await store.keys.insert({ id, name: 'k', prefix, hash, role: 'user', createdAt: 1 });
    await store.billing.credit({ id: 'led_1', keyId: id, amountMicros: 1, kind: 'topup', ts: 1 });
    await admin.unsafe(`UPDATE ${name}.accounts SET balance_micros = 9007199254740993`);
    await expect(store.billing.balance(id)).rejects.toThrow(RangeError);
  });

  it('upgrades a version-4 schema: its activity reads with the defaults and is found by request id', async () => {
    const name = await schema();
    const v4 = postgres(DB_URL, {
      max: 1,
      onnotice: () => undefined,
      types: PG_TYPES,
      connection: { search_path: name },
    });
    try {
      expect(await applyPostgresMigrations(v4, migrations.slice(0, 4))).toEqual([1, 2, 3, 4]);
      await v4.unsafe(
        `INSERT INTO activity VALUES ('act_old', 'req_old', 5, 'key_a', 'm', 'p', 'auto', 2, 200, NULL, 50, 10, 3, 4, 7, true, false)`,
      );
    } finally {
      await v4.end();
    }
    const store = await open({ schema: name });
    const old = storedActivity({
      id: 'act_old',
      requestId: 'req_old',
      ts: 5,
      keyId: 'key_a',
      model: 'm',
      provider: 'p',
      originalModel: 'auto',
      attempt: 2,
      status: 200,
      error: null,
      latencyMs: 50,
      ttfbMs: 10,
      promptTokens: 3,
      completionTokens: 4,
      costMicros: 7,
      stream: true,
      estimated: false,
    });
    expect((await store.activity.list({})).entries).toEqual([old]);
    expect(await store.activity.generation('req_old', 'key_a')).toEqual([old]);
    expect(await store.activity.endpointSamples(0, 10)).toEqual([
      { model: 'm', provider: 'p', latencyMs: 50, completionTokens: 4, generationMs: null },
    ]);
  });

  it('enforces the activity CHECKs of migration 5', async () => {
    const name = await schema();
    await open({ schema: name });
    let n = 0;
    const row = (column: string, value: string | number | null) =>
      admin.unsafe(
        `INSERT INTO ${name}.activity (id, request_id, ts, key_id, model, provider, original_model, attempt, status,
           latency_ms, prompt_tokens, completion_tokens, cost_micros, stream, estimated, ${column})
         VALUES ($1, 'r', 1, 'k', 'm', 'p', 'm', 1, 200, 1, 1, 1, 1, false, false, $2)`,
        [`act_${++n}`, value],
      );
    const json = (k: number) => `[${'"x",'.repeat(k)}"x"]`; // 4k + 5 bytes
    await expect(row('generation_id', '')).rejects.toThrow(/activity_generation_id_length/);
    await expect(row('generation_id', 'g'.repeat(201))).rejects.toThrow(/activity_generation_id_length/);
    await expect(row('finish_reason', 'r'.repeat(65))).rejects.toThrow(/activity_finish_reason_length/);
    await expect(row('cached_tokens', -1)).rejects.toThrow(/activity_cached_tokens_nonnegative/);
    await expect(row('reasoning_tokens', -1)).rejects.toThrow(/activity_reasoning_tokens_nonnegative/);
    await expect(row('generation_ms', -1)).rejects.toThrow(/activity_generation_ms_nonnegative/);
    await expect(row('excluded', '{"a":1}')).rejects.toThrow(/activity_excluded_json/);
    await expect(row('excluded', json(1023))).rejects.toThrow(/activity_excluded_json/);
    await expect(row('excluded', '[oops')).rejects.toThrow(/json/);
    await row('excluded', json(1022));
    await row('generation_id', 'g'.repeat(200));
    await row('excluded', null);
  });

  it('can look a generation id up through its partial index', async () => {
    const name = await schema();
    await open({ schema: name });
    const { text, values } = activityGenerationSql('postgres', 'chatcmpl-1', 'key_a');
    const plan = await admin.begin(async (tx) => {
      // The tables are empty, so the planner would rightly scan them; forbid that to see the index.
      await tx.unsafe('SET LOCAL enable_seqscan = off');
      await tx.unsafe(`SET LOCAL search_path = ${name}`);
      const rows = await tx.unsafe<{ 'QUERY PLAN': string }[]>(`EXPLAIN ${text}`, values);
      return rows.map((r) => r['QUERY PLAN']).join('\n');
    });
    expect(plan).toContain('activity_generation_id');
    expect(plan).toContain('activity_request_id');
  });

  it('refuses to open a schema migrated by a newer build', async () => {
    const name = await schema();
    await (await open({ schema: name })).close();
    await admin.unsafe(`INSERT INTO ${name}.schema_migrations VALUES (999, 'future', 0)`);
    const err: unknown = await openPostgresStore({ url: DB_URL, schema: name }).catch((e: unknown) => e);
    expect(StoreError.isInstance(err) && err.code === 'schema').toBe(true);
  });

  it('never holds a plaintext secret in any table', async () => {
    const name = await schema();
    const store = await open({ schema: name });
    const user = generateApiKey();
    const adminKey = generateApiKey();
    await store.keys.insert({
      id: user.id,
      name: 'k',
      prefix: user.prefix,
      hash: user.hash,
      role: 'user',
      createdAt: 1,
    });
    await store.keys.touch(user.id, 2);
    await store.keys.rename(user.id, 'renamed');
    await store.keys.setLimits(user.id, { rpm: 10, concurrency: 2 });
    await store.meta.set('admin_key_hash', adminKey.hash);
    await store.billing.credit({ id: 'led_1', keyId: user.id, amountMicros: 5_000, kind: 'topup', ts: 3, note: 'n' });
    const hold = { id: 'hold_1', keyId: user.id, amountMicros: 1_000, requestId: 'req_1', ts: 4, expiresAt: 9 };
    await store.billing.placeHold(hold);
    await store.billing.placeHold({ ...hold, id: 'hold_2' });
    await store.billing.settle('hold_1', { costMicros: 700, ts: 5 });
    await store.activity.insertMany([
      {
        id: 'act_1',
        requestId: 'req_1',
        ts: 4,
        keyId: user.id,
        model: 'm',
        provider: 'p',
        originalModel: 'm',
        attempt: 1,
        status: 200,
        error: null,
        latencyMs: 5,
        ttfbMs: 1,
        promptTokens: 1,
        completionTokens: 1,
        costMicros: 700,
        stream: false,
        estimated: false,
      },
    ]);

    const tables = await admin<{ table_name: string }[]>`
      SELECT table_name FROM information_schema.tables WHERE table_schema = ${name}`;
    expect(tables.length).toBe(17);
    let dump = '';
    for (const { table_name: t } of tables) {
      const rows = await admin.unsafe<{ row: string }[]>(`SELECT t::text AS row FROM ${name}.${t} t`);
      dump += rows.map((r) => r.row).join('\n');
    }
    for (const secret of [user.secret, adminKey.secret]) {
      expect(dump).not.toContain(secret);
      expect(dump).not.toContain(secret.slice(12));
    }
    expect(dump).toContain(user.hash); // sanity: the scan sees real data
  });

  it('validates options and never repeats the URL (it holds the password)', async () => {
    const refused: unknown = await openPostgresStore({ url: 'postgres://u:hunter2@127.0.0.1:1/db' }).catch(
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(Error);
    expect(String((refused as Error).message)).not.toContain('hunter2');
    const malformed: unknown = await openPostgresStore({ url: 'postgres://u:hunter2@[oops/db' }).catch(
      (e: unknown) => e,
    );
    expect(malformed).toBeInstanceOf(InvalidArgumentError);
    expect(String((malformed as Error).message)).not.toContain('hunter2');
    await expect(openPostgresStore({ url: 'mysql://u:hunter2@h/db' })).rejects.toThrow(InvalidArgumentError);
    await expect(openPostgresStore({ url: 5 as unknown as string })).rejects.toThrow(InvalidArgumentError);
    await expect(openPostgresStore({ url: DB_URL, max: 0 })).rejects.toThrow(InvalidArgumentError);
    await expect(openPostgresStore({ url: DB_URL, schema: 'Robert"); DROP' })).rejects.toThrow(InvalidArgumentError);
    await expect(openPostgresStore(null as unknown as PostgresStoreOptions)).rejects.toThrow(InvalidArgumentError);
  });
});
