/**
 * The SQLite store: the shared conformance suite against a temp data directory, then what only
 * SQLite has (file permissions, pragmas, files on disk, schema bookkeeping).
 */

import { InvalidArgumentError } from '@saferouter/errors';
import { describeTileStorageConformance } from '@saferouter/tlog/testing';
import Database from 'better-sqlite3';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { storedActivity } from './conformance-support.js';
import { describeStoreConformance } from './conformance.js';
import { generateApiKey } from './keys.js';
import { migrations } from './migrations.js';
import { applySqliteMigrations } from './sqlite-migrate.js';
import { openSqliteDatabase, openSqliteStore, SQLITE_FILE_NAME, type SqliteStoreOptions } from './sqlite.js';
import type { Store } from './types.js';

function tempRoot(): string {
  return mkdtempSync(join(tmpdir(), 'saferouter-store-'));
}

function mode(path: string): number {
  return statSync(path).mode & 0o777;
}

describeStoreConformance('sqlite', async () => {
  const root = tempRoot();
  // A not-yet-existing subdirectory, so every test also exercises directory creation.
  const dataDir = join(root, 'data');
  return {
    open: () => openSqliteStore({ dataDir }),
    destroy: async () => rmSync(root, { recursive: true, force: true }),
  };
});

// The transparency-log storage also passes @saferouter/tlog's own TileStorage suite.
describeTileStorageConformance('sqlite store.tlog', async () => {
  const root = tempRoot();
  const opened: Store[] = [];
  return {
    open: async () => {
      const store = await openSqliteStore({ dataDir: join(root, 'data') });
      opened.push(store);
      return store.tlog.log('conformance');
    },
    destroy: async () => {
      for (const s of opened) await s.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
});

describe('sqlite store on disk', () => {
  let root: string;
  let dataDir: string;
  const stores: Store[] = [];
  const raw: Database.Database[] = [];

  const openStore = async (options: SqliteStoreOptions = { dataDir }): Promise<Store> => {
    const s = await openSqliteStore(options);
    stores.push(s);
    return s;
  };
  const openDb = (options: SqliteStoreOptions = { dataDir }): Database.Database => {
    const db = openSqliteDatabase(options);
    raw.push(db);
    return db;
  };

  beforeEach(() => {
    root = tempRoot();
    dataDir = join(root, 'nested', 'data');
  });

  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
    for (const db of raw.splice(0)) db.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('creates the data directory 0700 and the database and its WAL files 0600', async () => {
    const store = await openStore();
    await store.meta.set('k', 'v'); // make sure the WAL has been written
    expect(mode(dataDir)).toBe(0o700);
    const files = readdirSync(dataDir);
    expect(files).toContain(SQLITE_FILE_NAME);
    expect(files).toContain(`${SQLITE_FILE_NAME}-wal`);
    for (const f of files) expect({ f, mode: mode(join(dataDir, f)) }).toEqual({ f, mode: 0o600 });
  });

  it('tightens an existing world-readable database file to 0600', async () => {
    const path = join(root, 'existing.db');
    writeFileSync(path, '', { mode: 0o644 });
    const store = await openStore({ path });
    await store.meta.set('k', 'v');
    expect(mode(path)).toBe(0o600);
    expect(mode(`${path}-wal`)).toBe(0o600);
  });

  it('accepts an explicit path and :memory:', async () => {
    const path = join(root, 'explicit.db');
    const onDisk = await openStore({ path });
    expect(onDisk.kind).toBe('sqlite');
    expect(readdirSync(root)).toContain('explicit.db');
    const memory = await openStore({ path: ':memory:' });
    await memory.meta.set('k', 'v');
    expect(await memory.meta.get('k')).toBe('v');
  });

  it('uses WAL, synchronous NORMAL by default, foreign keys and a busy timeout', () => {
    const db = openDb();
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
  });

  it('honours synchronous FULL and a custom busy timeout', () => {
    const db = openDb({ dataDir, synchronous: 'FULL', busyTimeoutMs: 250 });
    expect(db.pragma('synchronous', { simple: true })).toBe(2); // FULL
    expect(db.pragma('busy_timeout', { simple: true })).toBe(250);
  });

  it('records each migration once however often it is reopened', async () => {
    for (let i = 0; i < 3; i++) await (await openStore()).close();
    const db = new Database(join(dataDir, SQLITE_FILE_NAME), { readonly: true });
    raw.push(db);
    expect(db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all()).toEqual([
      { version: 1, name: 'api_keys_and_meta' },
      { version: 2, name: 'billing_activity_limits' },
      { version: 3, name: 'transparency_logs' },
      { version: 4, name: 'audit_receipts_samples' },
      { version: 5, name: 'activity_generation' },
      { version: 6, name: 'byok_keys' },
      { version: 7, name: 'key_release' },
    ]);
  });

  it('upgrades a version-4 database: its activity reads with the defaults and is found by request id', async () => {
    const path = join(root, 'v4.db');
    const v4 = new Database(path);
    applySqliteMigrations(v4, migrations.slice(0, 4));
    v4.prepare(
      `INSERT INTO activity VALUES ('act_old', 'req_old', 5, 'key_a', 'm', 'p', 'auto', 2, 200, NULL, 50, 10, 3, 4, 7, 1, 0)`,
    ).run();
    v4.close();
    const store = await openStore({ path });
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

  it('refuses to open a database migrated by a newer build, and closes it', async () => {
    await (await openStore()).close();
    const db = new Database(join(dataDir, SQLITE_FILE_NAME));
    db.prepare("INSERT INTO schema_migrations VALUES (999, 'future', 0)").run();
    db.close();
    await expect(openStore()).rejects.toMatchObject({ name: 'StoreError', code: 'schema' });
  });

  it('never writes the plaintext secret to any file in the data directory', async () => {
    const { secret, id, prefix, hash } = generateApiKey();
    const admin = generateApiKey();
    const store = await openStore();
    await store.keys.insert({ id, name: 'k', prefix, hash, role: 'user', createdAt: 1 });
    await store.keys.touch(id, 2);
    await store.keys.rename(id, 'renamed');
    await store.meta.set('admin_key_hash', admin.hash);

    const needles = [secret, secret.slice(12), admin.secret, admin.secret.slice(12)].map((s) => Buffer.from(s, 'utf8'));
    const scan = (): string[] => {
      const files = readdirSync(dataDir);
      for (const f of files) {
        const bytes = readFileSync(join(dataDir, f));
        for (const needle of needles) expect(bytes.includes(needle), `${f} contains a secret`).toBe(false);
      }
      return files;
    };
    // While open (WAL and shared memory present) and after close (checkpointed into the db).
    expect(scan()).toContain(`${SQLITE_FILE_NAME}-wal`);
    await store.close();
    scan();
    // Sanity check that the scan would notice: the hash itself is there.
    expect(readFileSync(join(dataDir, SQLITE_FILE_NAME)).includes(Buffer.from(hash))).toBe(true);
  });

  it('rejects malformed options', async () => {
    await expect(openStore({} as SqliteStoreOptions)).rejects.toThrow(InvalidArgumentError);
    await expect(openStore({ dataDir, path: 'x' } as unknown as SqliteStoreOptions)).rejects.toThrow(
      InvalidArgumentError,
    );
    await expect(openStore({ path: '' })).rejects.toThrow(InvalidArgumentError);
    await expect(openStore({ dataDir: 7 } as unknown as SqliteStoreOptions)).rejects.toThrow(InvalidArgumentError);
    await expect(openStore({ dataDir, synchronous: 'OFF' as 'FULL' })).rejects.toThrow(InvalidArgumentError);
    await expect(openStore({ dataDir, busyTimeoutMs: -1 })).rejects.toThrow(InvalidArgumentError);
    await expect(openStore(null as unknown as SqliteStoreOptions)).rejects.toThrow(InvalidArgumentError);
  });
});
