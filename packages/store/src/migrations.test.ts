/** Tests for the versioned SQLite migration runner. */

import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { StoreError } from './errors.js';
import { assertMigrationList, migrations, type Migration } from './migrations.js';
import { applySqliteMigrations } from './sqlite-migrate.js';

const open: Database.Database[] = [];
function memoryDb(): Database.Database {
  const db = new Database(':memory:');
  open.push(db);
  return db;
}

afterEach(() => {
  for (const db of open.splice(0)) db.close();
});

function tables(db: Database.Database): string[] {
  return db
    .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    .all()
    .map((r) => r.name);
}

describe('applySqliteMigrations', () => {
  it('creates the schema once and records each version', () => {
    const db = memoryDb();
    expect(applySqliteMigrations(db, migrations, () => 123)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(tables(db)).toEqual([
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
    expect(db.prepare('SELECT version, name, applied_at FROM schema_migrations').all()).toEqual([
      { version: 1, name: 'api_keys_and_meta', applied_at: 123 },
      { version: 2, name: 'billing_activity_limits', applied_at: 123 },
      { version: 3, name: 'transparency_logs', applied_at: 123 },
      { version: 4, name: 'audit_receipts_samples', applied_at: 123 },
      { version: 5, name: 'activity_generation', applied_at: 123 },
      { version: 6, name: 'byok_keys', applied_at: 123 },
      { version: 7, name: 'key_release', applied_at: 123 },
    ]);
  });

  it('is idempotent', () => {
    const db = memoryDb();
    applySqliteMigrations(db);
    expect(applySqliteMigrations(db)).toEqual([]);
    expect(applySqliteMigrations(db)).toEqual([]);
    expect(db.prepare('SELECT COUNT(*) AS n FROM schema_migrations').get()).toEqual({ n: migrations.length });
  });

  it('applies only the versions not yet seen', () => {
    const db = memoryDb();
    expect(applySqliteMigrations(db, migrations.slice(0, 1))).toEqual([1]);
    expect(tables(db)).not.toContain('ledger');
    const extra = migrations.length + 1;
    const next: Migration[] = [
      ...migrations,
      { version: extra, name: 'extra', sqlite: 'CREATE TABLE extra (x INTEGER)' },
    ];
    expect(applySqliteMigrations(db, next)).toEqual(Array.from({ length: extra - 1 }, (_, i) => i + 2));
    expect(tables(db)).toContain('extra');
    expect(tables(db)).toContain('ledger');
  });

  it('upgrades a version-1 database with keys in it, giving them no limits', () => {
    const db = memoryDb();
    applySqliteMigrations(db, migrations.slice(0, 1));
    db.prepare(
      "INSERT INTO api_keys (id, name, prefix, hash, role, created_at) VALUES ('key_old', 'n', 'p', 'h', 'user', 1)",
    ).run();
    expect(applySqliteMigrations(db)).toEqual([2, 3, 4, 5, 6, 7]);
    expect(db.prepare("SELECT rpm_limit, concurrency_limit FROM api_keys WHERE id = 'key_old'").get()).toEqual({
      rpm_limit: null,
      concurrency_limit: null,
    });
  });

  it('enforces the billing CHECKs: no negative balance, no positive charge', () => {
    const db = memoryDb();
    db.pragma('foreign_keys = ON'); // as the store configures it
    applySqliteMigrations(db);
    db.prepare(
      "INSERT INTO api_keys (id, name, prefix, hash, role, created_at) VALUES ('k', 'n', 'p', 'h', 'user', 1)",
    ).run();
    expect(() =>
      db.prepare("INSERT INTO accounts (key_id, balance_micros, updated_at) VALUES ('k', -1, 0)").run(),
    ).toThrow(/accounts_balance_nonnegative/);
    const ledger = db.prepare("INSERT INTO ledger (id, key_id, ts, kind, amount_micros) VALUES (?, 'k', 0, ?, ?)");
    expect(() => ledger.run('l1', 'charge', 5)).toThrow(/ledger_sign/);
    expect(() => ledger.run('l2', 'topup', -5)).toThrow(/ledger_sign/);
    expect(() => ledger.run('l3', 'refund', 5)).toThrow(/CHECK/);
    expect(() => ledger.run('l4', 'topup', 5)).not.toThrow();
    expect(() => db.prepare("INSERT INTO holds VALUES ('h', 'key_nobody', 1, 'r', 0, 0)").run()).toThrow(/FOREIGN KEY/);
  });

  it('upgrades a version-4 database with activity in it, giving old rows the new defaults', () => {
    const db = memoryDb();
    applySqliteMigrations(db, migrations.slice(0, 4));
    db.prepare(
      `INSERT INTO activity VALUES ('act_old', 'req_old', 1, 'key_a', 'm', 'p', 'm', 1, 200, NULL, 5, 1, 3, 4, 7, 0, 0)`,
    ).run();
    expect(applySqliteMigrations(db)).toEqual([5, 6, 7]);
    expect(
      db
        .prepare(
          `SELECT id, generation_id, finish_reason, cached_tokens, reasoning_tokens, excluded, generation_ms
             FROM activity`,
        )
        .all(),
    ).toEqual([
      {
        id: 'act_old',
        generation_id: null,
        finish_reason: null,
        cached_tokens: 0,
        reasoning_tokens: 0,
        excluded: null,
        generation_ms: null,
      },
    ]);
  });

  it('enforces the activity CHECKs of migration 5', () => {
    const db = memoryDb();
    applySqliteMigrations(db);
    const row = (column: string, value: string | number | null) =>
      db
        .prepare(
          `INSERT INTO activity (id, request_id, ts, key_id, model, provider, original_model, attempt, status,
             latency_ms, prompt_tokens, completion_tokens, cost_micros, stream, estimated, ${column})
           VALUES (?, 'r', 1, 'k', 'm', 'p', 'm', 1, 200, 1, 1, 1, 1, 0, 0, ?)`,
        )
        .run(`act_${column}_${String(value).length}`, value);
    const json = (n: number) => `[${'"x",'.repeat(n)}"x"]`;
    expect(() => row('generation_id', '')).toThrow(/activity_generation_id_length/);
    expect(() => row('generation_id', 'g'.repeat(201))).toThrow(/activity_generation_id_length/);
    expect(() => row('finish_reason', 'r'.repeat(65))).toThrow(/activity_finish_reason_length/);
    expect(() => row('cached_tokens', -1)).toThrow(/activity_cached_tokens_nonnegative/);
    expect(() => row('reasoning_tokens', -1)).toThrow(/activity_reasoning_tokens_nonnegative/);
    expect(() => row('generation_ms', -1)).toThrow(/activity_generation_ms_nonnegative/);
    expect(() => row('excluded', '{"a":1}')).toThrow(/activity_excluded_json/);
    expect(() => row('excluded', '[oops')).toThrow(/activity_excluded_json/);
    expect(() => row('excluded', '')).toThrow(/activity_excluded_json/);
    // `json(n)` is 4n + 5 bytes: 4089 and 4093 fit, 4097 does not.
    expect(() => row('excluded', json(1021))).not.toThrow();
    expect(() => row('excluded', json(1022))).not.toThrow();
    expect(() => row('excluded', json(1023))).toThrow(/activity_excluded_json/);
    expect(() => row('generation_id', 'g'.repeat(200))).not.toThrow();
    expect(() => row('excluded', null)).not.toThrow();
  });

  it('upgrades a version-5 database: old activity reads as the gateway’s key; byok_keys enforces its rules', () => {
    const db = memoryDb();
    db.pragma('foreign_keys = ON'); // as the store configures it
    applySqliteMigrations(db, migrations.slice(0, 5));
    db.prepare(
      `INSERT INTO activity (id, request_id, ts, key_id, model, provider, original_model, attempt, status,
         latency_ms, prompt_tokens, completion_tokens, cost_micros, stream, estimated)
       VALUES ('act_old', 'r', 1, 'k', 'm', 'p', 'm', 1, 200, 1, 1, 1, 1, 0, 0)`,
    ).run();
    expect(applySqliteMigrations(db)).toEqual([6, 7]);
    expect(db.prepare('SELECT id, key_source FROM activity').all()).toEqual([{ id: 'act_old', key_source: 'gateway' }]);
    expect(() => db.prepare("UPDATE activity SET key_source = 'customer'").run()).toThrow(/activity_key_source/);
    db.prepare(
      "INSERT INTO api_keys (id, name, prefix, hash, role, created_at) VALUES ('k', 'n', 'p', 'h', 'user', 1)",
    ).run();
    const put = db.prepare('INSERT INTO byok_keys VALUES (?, ?, ?, ?, ?, ?, 1)');
    expect(() => put.run('b1', 'k', 'openai', '{}', 'abcd', 0)).not.toThrow();
    expect(() => put.run('b2', 'k', 'openai', '{}', 'abcd', 0)).toThrow(/UNIQUE/);
    expect(() => put.run('b3', 'key_nobody', 'openai', '{}', 'abcd', 0)).toThrow(/FOREIGN KEY/);
    expect(() => put.run('b4', 'k', 'zai', '{}', 'abcde', 0)).toThrow(/CHECK/);
    expect(() => put.run('b5', 'k', 'zai', '{}', 'abcd', 2)).toThrow(/CHECK/);
    expect(() => put.run('b6', 'k', '', '{}', 'abcd', 0)).toThrow(/CHECK/);
  });

  it('gives every migration Postgres SQL too', () => {
    for (const m of migrations) expect(m.postgres, `migration ${m.version}`).toMatch(/CREATE TABLE|ALTER TABLE/);
  });

  it('rolls back a failing migration completely, recording nothing', () => {
    const db = memoryDb();
    applySqliteMigrations(db);
    const broken: Migration[] = [
      ...migrations,
      {
        version: migrations.length + 1,
        name: 'broken',
        sqlite: 'CREATE TABLE half (x INTEGER); INSERT INTO nowhere VALUES (1);',
      },
    ];
    expect(() => applySqliteMigrations(db, broken)).toThrow(/nowhere/);
    expect(tables(db)).not.toContain('half');
    expect(db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get()).toEqual({ v: migrations.length });
  });

  it('refuses a database migrated by a newer build', () => {
    const db = memoryDb();
    applySqliteMigrations(db);
    db.prepare("INSERT INTO schema_migrations VALUES (?, 'future', 0)").run(migrations.length + 1);
    let err: unknown;
    try {
      applySqliteMigrations(db);
    } catch (e) {
      err = e;
    }
    expect(StoreError.isInstance(err) && err.code === 'schema').toBe(true);
  });

  it('enforces STRICT column types and the role check', () => {
    const db = memoryDb();
    applySqliteMigrations(db);
    const insert = db.prepare(
      "INSERT INTO api_keys (id, name, prefix, hash, role, created_at) VALUES ('k', 'n', 'p', 'h', ?, ?)",
    );
    expect(() => insert.run('root', 1)).toThrow(/CHECK/);
    expect(() => insert.run('user', 'yesterday')).toThrow(/cannot store TEXT value in INTEGER column/);
  });
});

describe('assertMigrationList', () => {
  it('accepts the shipped list', () => {
    expect(() => assertMigrationList(migrations)).not.toThrow();
  });

  it.each([
    [
      'a gap',
      [
        { version: 1, name: 'a', sqlite: '' },
        { version: 3, name: 'c', sqlite: '' },
      ],
    ],
    [
      'a repeat',
      [
        { version: 1, name: 'a', sqlite: '' },
        { version: 1, name: 'b', sqlite: '' },
      ],
    ],
    ['not starting at 1', [{ version: 0, name: 'z', sqlite: '' }]],
  ])('rejects %s with RangeError', (_label, list) => {
    expect(() => assertMigrationList(list)).toThrow(RangeError);
  });
});
