/** Tests for the package entry: `openStore` picks the backend from configuration. */

import { InvalidArgumentError } from '@saferouter/errors';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type OpenStoreOptions } from './index.js';

const DB_URL = process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

describe('openStore', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'saferouter-open-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('opens SQLite in dataDir when no databaseUrl is set (empty counts as unset)', async () => {
    for (const options of [{ dataDir: root }, { dataDir: root, databaseUrl: '' }]) {
      const store = await openStore(options);
      expect(store.kind).toBe('sqlite');
      await store.close();
    }
  });

  it('opens Postgres when databaseUrl is set, in the schema its search_path names', async () => {
    const schema = `sr_test_${randomBytes(6).toString('hex')}`;
    const admin = postgres(DB_URL, { max: 1, onnotice: () => undefined });
    try {
      await admin.unsafe(`CREATE SCHEMA ${schema}`);
      const store = await openStore({
        dataDir: root,
        databaseUrl: `${DB_URL}${DB_URL.includes('?') ? '&' : '?'}search_path=${schema}`,
      });
      expect(store.kind).toBe('postgres');
      expect(await store.keys.list()).toEqual([]);
      await store.close();
      const rows =
        await admin`SELECT 1 FROM information_schema.tables WHERE table_schema = ${schema} AND table_name = 'ledger'`;
      expect(rows).toHaveLength(1);
    } finally {
      await admin.unsafe(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.end();
    }
  });

  it('does not echo the databaseUrl when Postgres cannot be reached', async () => {
    const url = 'postgres://user:hunter2@127.0.0.1:1/saferouter';
    const err: unknown = await openStore({ dataDir: root, databaseUrl: url }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).not.toContain('hunter2');
  });

  it('validates its options', async () => {
    await expect(openStore({} as OpenStoreOptions)).rejects.toThrow(InvalidArgumentError);
    await expect(openStore({ dataDir: '' })).rejects.toThrow(InvalidArgumentError);
    await expect(openStore({ dataDir: root, databaseUrl: 5 as unknown as string })).rejects.toThrow(
      InvalidArgumentError,
    );
  });
});
