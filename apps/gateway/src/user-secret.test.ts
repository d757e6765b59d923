// The `user` pseudonym secret over a real SQLite store: from SAFEROUTER_USER_SECRET (nothing
// written to the database), or generated once, kept, and adopted by every later start.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '@saferouter/store';
import { openSqliteStore } from '@saferouter/store/sqlite';
import { decodeUserSecret, resolveUserSecret } from './user-secret.js';

let dir: string;
let store: Store;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sr-user-secret-'));
  store = await openSqliteStore({ dataDir: dir });
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('resolveUserSecret', () => {
  it('uses the configured secret and writes nothing to the database', async () => {
    const configured = new Uint8Array(32).fill(42);
    expect(await resolveUserSecret(store, configured)).toEqual(configured);
    expect(await store.meta.get('user_hmac_secret')).toBeUndefined();
  });

  it('without one, generates 32 bytes once and returns the same on every later start', async () => {
    const first = await resolveUserSecret(store);
    expect(first).toHaveLength(32);
    expect(decodeUserSecret(await store.meta.get('user_hmac_secret'))).toEqual(first);
    await store.close();
    store = await openSqliteStore({ dataDir: dir });
    expect(await resolveUserSecret(store)).toEqual(first);
  });

  it('refuses a malformed stored secret instead of replacing it', async () => {
    await store.meta.set('user_hmac_secret', 'garbage');
    await expect(resolveUserSecret(store)).rejects.toThrow(/user pseudonym secret .* malformed/);
    expect(await store.meta.get('user_hmac_secret')).toBe('garbage');
  });
});
