/**
 * The behaviour every `Store` implementation must share, as a vitest suite any backend can run:
 * SQLite runs it in `sqlite.test.ts`, Postgres in `postgres.test.ts`. Exported as
 * `@saferouter/store/testing`, never from the main entry, because it imports vitest. Keys, meta
 * and lifecycle live here; billing, activity, tlog and audit have their own files.
 */

import { InvalidArgumentError } from '@saferouter/errors';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describeActivityGenerationConformance } from './conformance-activity-generation.js';
import { describeActivityConformance } from './conformance-activity.js';
import { describeAuditConformance } from './conformance-audit.js';
import { describeBillingConformance } from './conformance-billing.js';
import { describeByokConformance } from './conformance-byok.js';
import { describeKeyReleaseConformance } from './conformance-key-release.js';
import { describeTlogConformance } from './conformance-tlog.js';
import { expectStoreError, newKey, recordOf, T0, type ConformanceContext } from './conformance-support.js';
import type { KeyLimits, KeyRole, NewKeyRecord, Store } from './types.js';

/** One isolated, initially empty database that can be opened more than once. */
export interface StoreFixture {
  /** Opens a new connection to this fixture's database (migrating it if needed). */
  open(): Promise<Store>;
  /** Removes the database; called after each test once every opened store is closed. */
  destroy?(): Promise<void>;
}

/**
 * Registers the conformance tests for one backend. `createFixture` is called before each test
 * and must return a fresh, empty database.
 *
 * @example
 * import { openSqliteStore } from '@saferouter/store/sqlite';
 * describeStoreConformance('sqlite', async () => {
 *   const dataDir = await mkdtemp(join(tmpdir(), 'sr-'));
 *   return { open: () => openSqliteStore({ dataDir }), destroy: () => rm(dataDir, { recursive: true }) };
 * });
 */
export function describeStoreConformance(name: string, createFixture: () => Promise<StoreFixture>): void {
  describe(`${name} store conformance`, () => {
    let fixture: StoreFixture;
    let opened: Store[] = [];
    let store: Store;

    const open = async (): Promise<Store> => {
      const s = await fixture.open();
      opened.push(s);
      return s;
    };

    beforeEach(async () => {
      fixture = await createFixture();
      opened = [];
      store = await open();
    });

    afterEach(async () => {
      for (const s of opened) await s.close();
      await fixture.destroy?.();
    });

    const ctx: ConformanceContext = { store: () => store, open };

    describe('keys', () => {
      it('inserts a key with empty usage and finds it by id and by hash', async () => {
        const k = newKey({ name: 'laptop', role: 'admin' });
        const inserted = await store.keys.insert(recordOf(k));
        const expected = { ...recordOf(k), lastUsedAt: null, revokedAt: null, requestCount: 0, limits: NONE };
        expect(inserted).toEqual(expected);
        expect(await store.keys.get(k.id)).toEqual(expected);
        expect(await store.keys.findByHash(k.hash)).toEqual(expected);
      });

      it('lists every key, revoked included, oldest first with ties broken by id', async () => {
        expect(await store.keys.list()).toEqual([]);
        const late = newKey({ id: 'key_c', createdAt: T0 + 10 });
        const tieB = newKey({ id: 'key_b', createdAt: T0 });
        const tieA = newKey({ id: 'key_a', createdAt: T0 });
        for (const k of [late, tieB, tieA]) await store.keys.insert(recordOf(k));
        await store.keys.revoke('key_b', T0 + 20);
        const list = await store.keys.list();
        expect(list.map((r) => r.id)).toEqual(['key_a', 'key_b', 'key_c']);
        expect(list[1]?.revokedAt).toBe(T0 + 20);
      });

      it('renames a key and leaves every other field alone', async () => {
        const k = newKey();
        const before = await store.keys.insert(recordOf(k));
        const renamed = await store.keys.rename(k.id, 'CI runner');
        expect(renamed).toEqual({ ...before, name: 'CI runner' });
        expect(await store.keys.get(k.id)).toEqual(renamed);
      });

      it('stores limits given at insert, and setLimits changes only the limits', async () => {
        const k = newKey({ limits: { rpm: 60, concurrency: null } });
        const inserted = await store.keys.insert(recordOf(k));
        expect(inserted.limits).toEqual({ rpm: 60, concurrency: null });
        expect((await store.keys.get(k.id))?.limits).toEqual({ rpm: 60, concurrency: null });
        const updated = await store.keys.setLimits(k.id, { rpm: null, concurrency: 4 });
        expect(updated).toEqual({ ...inserted, limits: { rpm: null, concurrency: 4 } });
        expect(await store.keys.findByHash(k.hash)).toEqual(updated);
        expect((await store.keys.setLimits(k.id, NONE))?.limits).toEqual(NONE);
        expect(await store.keys.setLimits(newKey().id, NONE)).toBeUndefined();
      });

      it('rejects malformed limits', async () => {
        const k = newKey();
        await store.keys.insert(recordOf(k));
        const bad = (limits: unknown) => store.keys.setLimits(k.id, limits as KeyLimits);
        await expect(bad({ rpm: 0, concurrency: null })).rejects.toThrow(InvalidArgumentError);
        await expect(bad({ rpm: 1.5, concurrency: null })).rejects.toThrow(InvalidArgumentError);
        await expect(bad({ rpm: null, concurrency: 2 ** 31 })).rejects.toThrow(InvalidArgumentError);
        await expect(bad({ rpm: '60', concurrency: null })).rejects.toThrow(InvalidArgumentError);
        await expect(bad({ rpm: null })).rejects.toThrow(InvalidArgumentError);
        await expect(bad(null)).rejects.toThrow(InvalidArgumentError);
        await expect(
          store.keys.insert({ ...recordOf(newKey()), limits: { rpm: -1, concurrency: null } }),
        ).rejects.toThrow(InvalidArgumentError);
        expect((await store.keys.get(k.id))?.limits).toEqual(NONE);
      });

      it('revokes once: a second revoke keeps the first time, and the key stays findable', async () => {
        const k = newKey();
        await store.keys.insert(recordOf(k));
        expect((await store.keys.revoke(k.id, T0 + 5))?.revokedAt).toBe(T0 + 5);
        expect((await store.keys.revoke(k.id, T0 + 9))?.revokedAt).toBe(T0 + 5);
        expect((await store.keys.findByHash(k.hash))?.revokedAt).toBe(T0 + 5);
      });

      it('touch counts requests and only ever raises lastUsedAt', async () => {
        const k = newKey();
        await store.keys.insert(recordOf(k));
        await store.keys.touch(k.id, T0 + 100);
        expect(await store.keys.get(k.id)).toMatchObject({ lastUsedAt: T0 + 100, requestCount: 1 });
        await store.keys.touch(k.id, T0 + 50, 4);
        expect(await store.keys.get(k.id)).toMatchObject({ lastUsedAt: T0 + 100, requestCount: 5 });
        await store.keys.touch(k.id, T0 + 200, 0);
        expect(await store.keys.get(k.id)).toMatchObject({ lastUsedAt: T0 + 200, requestCount: 5 });
      });

      it('concurrent touches all count', async () => {
        const k = newKey();
        await store.keys.insert(recordOf(k));
        await Promise.all(Array.from({ length: 25 }, (_, i) => store.keys.touch(k.id, T0 + i)));
        expect(await store.keys.get(k.id)).toMatchObject({ lastUsedAt: T0 + 24, requestCount: 25 });
      });

      it('answers undefined for unknown ids and hashes, and touch ignores them', async () => {
        const ghost = newKey();
        expect(await store.keys.get(ghost.id)).toBeUndefined();
        expect(await store.keys.findByHash(ghost.hash)).toBeUndefined();
        expect(await store.keys.rename(ghost.id, 'x')).toBeUndefined();
        expect(await store.keys.revoke(ghost.id, T0)).toBeUndefined();
        await expect(store.keys.touch(ghost.id, T0)).resolves.toBeUndefined();
        expect(await store.keys.list()).toEqual([]);
      });

      it('rejects a duplicate hash or id with a conflict and keeps the original', async () => {
        const k = newKey();
        const original = await store.keys.insert(recordOf(k));
        await expectStoreError(store.keys.insert(recordOf(newKey({ hash: k.hash }))), 'conflict');
        await expectStoreError(store.keys.insert(recordOf(newKey({ id: k.id }))), 'conflict');
        expect(await store.keys.list()).toEqual([original]);
      });

      it('returns copies: mutating a result does not change the store', async () => {
        const k = newKey();
        const inserted = await store.keys.insert(recordOf(k));
        inserted.name = 'mutated';
        const got = await store.keys.get(k.id);
        if (got === undefined) throw new Error('key vanished');
        got.requestCount = 99;
        expect(await store.keys.get(k.id)).toMatchObject({ name: 'test key', requestCount: 0 });
      });

      it('rejects malformed input with TypeError/RangeError, as a rejected promise', async () => {
        const k = newKey();
        // A plaintext secret where the hash or prefix belongs must never reach the database.
        await expect(store.keys.insert({ ...recordOf(k), hash: k.secret })).rejects.toThrow(InvalidArgumentError);
        await expect(store.keys.insert({ ...recordOf(k), prefix: k.secret })).rejects.toThrow(InvalidArgumentError);
        await expect(store.keys.insert({ ...recordOf(k), hash: k.hash.toUpperCase() })).rejects.toThrow(
          InvalidArgumentError,
        );
        await expect(store.keys.insert({ ...recordOf(k), role: 'root' as KeyRole })).rejects.toThrow(
          InvalidArgumentError,
        );
        await expect(store.keys.insert({ ...recordOf(k), name: '' })).rejects.toThrow(InvalidArgumentError);
        await expect(store.keys.insert({ ...recordOf(k), createdAt: 1.5 })).rejects.toThrow(InvalidArgumentError);
        await expect(store.keys.insert({ ...recordOf(k), createdAt: String(T0) as unknown as number })).rejects.toThrow(
          InvalidArgumentError,
        );
        await expect(store.keys.insert(null as unknown as NewKeyRecord)).rejects.toThrow(InvalidArgumentError);
        await expect(store.keys.get(42 as unknown as string)).rejects.toThrow(InvalidArgumentError);
        await expect(store.keys.findByHash('abc')).rejects.toThrow(InvalidArgumentError);
        await expect(store.keys.revoke(k.id, -1)).rejects.toThrow(InvalidArgumentError);
        await expect(store.keys.touch(k.id, T0, -1)).rejects.toThrow(InvalidArgumentError);
        await expect(store.keys.touch(k.id, T0, 0.5)).rejects.toThrow(InvalidArgumentError);
        expect(await store.keys.list()).toEqual([]);
      });

      it('error messages never contain the secret', async () => {
        const k = newKey();
        const err: unknown = await store.keys.insert({ ...recordOf(k), hash: k.secret }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(InvalidArgumentError);
        expect(String((err as Error).message)).not.toContain(k.secret);
      });

      it('never holds the plaintext secret in any field', async () => {
        const k = newKey();
        await store.keys.insert(recordOf(k));
        await store.keys.touch(k.id, T0 + 1);
        await store.keys.rename(k.id, 'renamed');
        const dump = JSON.stringify(await store.keys.list());
        expect(dump).not.toContain(k.secret);
        // The prefix shows the first 12 characters; nothing after them may be stored.
        expect(dump).not.toContain(k.secret.slice(12));
      });
    });

    describe('meta', () => {
      it('gets undefined for a missing key, then sets, overwrites and round-trips empty', async () => {
        expect(await store.meta.get('admin_key_hash')).toBeUndefined();
        await store.meta.set('admin_key_hash', 'a'.repeat(64));
        expect(await store.meta.get('admin_key_hash')).toBe('a'.repeat(64));
        await store.meta.set('admin_key_hash', 'b'.repeat(64));
        expect(await store.meta.get('admin_key_hash')).toBe('b'.repeat(64));
        await store.meta.set('note', '');
        expect(await store.meta.get('note')).toBe('');
        expect(await store.meta.get('admin_key_hash')).toBe('b'.repeat(64));
      });

      it('setIfAbsent: the first value written is kept and returned to every writer, across connections', async () => {
        expect(await store.meta.setIfAbsent('secret', 'first')).toBe('first');
        expect(await store.meta.setIfAbsent('secret', 'second')).toBe('first');
        expect(await store.meta.get('secret')).toBe('first');
        // Writers racing on an absent key (two connections, several calls each) all get one value.
        const other = await open();
        const results = await Promise.all(
          Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? store : other).meta.setIfAbsent('raced', `v${i}`)),
        );
        expect(new Set(results).size).toBe(1);
        expect(await store.meta.get('raced')).toBe(results[0]);
        await expect(store.meta.setIfAbsent('secret', 7 as unknown as string)).rejects.toThrow(InvalidArgumentError);
      });

      it('rejects malformed keys and values', async () => {
        await expect(store.meta.get('')).rejects.toThrow(InvalidArgumentError);
        await expect(store.meta.set('k', 7 as unknown as string)).rejects.toThrow(InvalidArgumentError);
        await expect(store.meta.set(undefined as unknown as string, 'v')).rejects.toThrow(InvalidArgumentError);
      });
    });

    describe('lifecycle', () => {
      it('reports its kind', () => {
        expect(['sqlite', 'postgres']).toContain(store.kind);
      });

      it('keeps data across close and reopen, and reopening repeatedly is harmless', async () => {
        const k = newKey();
        await store.keys.insert(recordOf(k));
        await store.keys.touch(k.id, T0 + 7, 3);
        await store.keys.revoke(k.id, T0 + 8);
        await store.meta.set('admin_key_hash', k.hash);
        const snapshot = await store.keys.get(k.id);
        await store.close();

        // Every open re-runs migrations; they must be no-ops on a current schema.
        for (let i = 0; i < 3; i++) {
          const again = await open();
          expect(await again.keys.get(k.id)).toEqual(snapshot);
          expect(await again.keys.list()).toHaveLength(1);
          expect(await again.meta.get('admin_key_hash')).toBe(k.hash);
          await again.close();
        }
      });

      it('two open connections see each other’s writes', async () => {
        const other = await open();
        const k = newKey();
        await store.keys.insert(recordOf(k));
        await other.keys.touch(k.id, T0 + 1);
        expect(await store.keys.get(k.id)).toMatchObject({ requestCount: 1 });
        await other.meta.set('x', 'y');
        expect(await store.meta.get('x')).toBe('y');
      });

      it('close is idempotent and later calls reject with StoreError closed', async () => {
        await store.close();
        await store.close();
        await expectStoreError(store.keys.list(), 'closed');
        await expectStoreError(store.keys.get('key_x'), 'closed');
        await expectStoreError(store.keys.touch('key_x', T0), 'closed');
        await expectStoreError(store.meta.get('x'), 'closed');
        await expectStoreError(store.meta.set('x', 'y'), 'closed');
        await expectStoreError(store.keys.setLimits('key_x', NONE), 'closed');
        await expectStoreError(store.billing.balance('key_x'), 'closed');
        await expectStoreError(store.billing.settle('hold_x', { costMicros: 1, ts: T0 }), 'closed');
        await expectStoreError(store.activity.list({}), 'closed');
        await expectStoreError(store.activity.insertMany([]), 'closed');
        await expectStoreError(store.activity.generation('req_x'), 'closed');
        await expectStoreError(store.activity.endpointSamples(T0, 10), 'closed');
        await expectStoreError(store.ping(), 'closed');
      });

      it('answers ping while open', async () => {
        await expect(store.ping()).resolves.toBeUndefined();
        const other = await open();
        await other.ping();
        await other.close();
        await expect(store.ping()).resolves.toBeUndefined();
      });
    });

    describeBillingConformance(ctx);
    describeActivityConformance(ctx);
    describeActivityGenerationConformance(ctx);
    describeTlogConformance(ctx);
    describeAuditConformance(ctx);
    describeByokConformance(ctx);
    describeKeyReleaseConformance(ctx);
  });
}

const NONE: KeyLimits = { rpm: null, concurrency: null };
