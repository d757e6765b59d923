/** Tests for the package entry: `openStore` picks the backend from configuration. */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type OpenStoreOptions } from './index.js';

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

  it('rejects a databaseUrl until Postgres support lands, without echoing the URL', async () => {
    const url = 'postgres://user:hunter2@db/saferouter';
    const err: unknown = await openStore({ dataDir: root, databaseUrl: url }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toBe('DATABASE_URL (Postgres) support arrives with the billing issue');
    expect((err as Error).message).not.toContain('hunter2');
  });

  it('validates its options', async () => {
    await expect(openStore({} as OpenStoreOptions)).rejects.toThrow(TypeError);
    await expect(openStore({ dataDir: '' })).rejects.toThrow(RangeError);
    await expect(openStore({ dataDir: root, databaseUrl: 5 as unknown as string })).rejects.toThrow(TypeError);
  });
});
