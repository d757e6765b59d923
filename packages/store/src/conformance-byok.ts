/**
 * BYOK conformance (migration 6): provider keys stored sealed, one per (key, provider), an upload
 * replacing the earlier one, reads and deletes only by their owner; and the activity log's
 * `key_source`, with its default for entries written without it.
 */

import { InvalidArgumentError } from '@saferouter/errors';
import { describe, expect, it } from 'vitest';
import type { ByokKeyRecord, NewByokKey } from './byok-types.js';
import {
  expectStoreError,
  insertKey,
  newActivityEntry,
  storedActivity,
  T0,
  type ConformanceContext,
} from './conformance-support.js';
import type { ActivityEntry, ActivityKeySource } from './activity-types.js';

/** A sealed blob's shape; the store treats it as opaque text. */
function sealedText(n: number): string {
  return JSON.stringify({ v: 1, alg: 'A256GCM', backend: 'mock', measurement: 'ab'.repeat(32), ct: `ct-${n}` });
}

function byokKey(keyId: string, overrides: Partial<NewByokKey> = {}): NewByokKey {
  return {
    id: `byok_${keyId}_${overrides.provider ?? 'openai'}`,
    keyId,
    provider: 'openai',
    sealed: sealedText(1),
    last4: 'x9Qa',
    alwaysUse: false,
    createdAt: T0,
    ...overrides,
  };
}

/**
 * @example
 * describeByokConformance({ store: () => store, open });
 */
export function describeByokConformance(ctx: ConformanceContext): void {
  describe('byok', () => {
    it('stores a key and reads it back by owner, by provider and in the owner’s list (by provider)', async () => {
      const s = ctx.store();
      const owner = await insertKey(s);
      expect(await s.byok.list(owner)).toEqual([]);
      const openai = byokKey(owner, { alwaysUse: true });
      const deepseek = byokKey(owner, { id: 'byok_2', provider: 'deepseek', sealed: sealedText(2), last4: '' });
      expect(await s.byok.put(openai)).toEqual(openai);
      expect(await s.byok.put(deepseek)).toEqual(deepseek);
      expect(await s.byok.get(owner, 'openai')).toEqual(openai);
      expect(await s.byok.get(owner, 'deepseek')).toEqual(deepseek);
      expect(await s.byok.get(owner, 'zai')).toBeUndefined();
      expect(await s.byok.list(owner)).toEqual([deepseek, openai]);
    });

    it('a new upload for a provider replaces the earlier one, id and all', async () => {
      const s = ctx.store();
      const owner = await insertKey(s);
      const first = byokKey(owner, { id: 'byok_first' });
      await s.byok.put(first);
      const second = byokKey(owner, {
        id: 'byok_second',
        sealed: sealedText(7),
        last4: 'Zz99',
        alwaysUse: true,
        createdAt: T0 + 5,
      });
      expect(await s.byok.put(second)).toEqual(second);
      expect(await s.byok.list(owner)).toEqual([second]);
      expect(await s.byok.get(owner, 'openai')).toEqual(second);
      // The first id names nothing any more.
      expect(await s.byok.delete(owner, 'byok_first')).toBe(false);
      expect(await s.byok.list(owner)).toEqual([second]);
    });

    it('uploads racing for one provider, over two connections, leave exactly one key', async () => {
      const s = ctx.store();
      const other = await ctx.open();
      const owner = await insertKey(s);
      const puts = Array.from({ length: 8 }, (_, i) =>
        (i % 2 === 0 ? s : other).byok.put(byokKey(owner, { id: `byok_race_${i}`, sealed: sealedText(i) })),
      );
      await Promise.all(puts);
      const list = await s.byok.list(owner);
      expect(list).toHaveLength(1);
      expect(list[0]?.id).toMatch(/^byok_race_\d$/);
      expect(await other.byok.get(owner, 'openai')).toEqual(list[0]);
    });

    it('keeps owners apart: another key neither lists, reads nor deletes a key it does not own', async () => {
      const s = ctx.store();
      const alice = await insertKey(s);
      const bob = await insertKey(s);
      const hers = byokKey(alice, { id: 'byok_alice' });
      const his = byokKey(bob, { id: 'byok_bob', sealed: sealedText(3) });
      await s.byok.put(hers);
      await s.byok.put(his);
      expect(await s.byok.list(alice)).toEqual([hers]);
      expect(await s.byok.list(bob)).toEqual([his]);
      expect(await s.byok.delete(bob, 'byok_alice')).toBe(false);
      expect(await s.byok.get(alice, 'openai')).toEqual(hers);
      expect(await s.byok.delete(alice, 'byok_alice')).toBe(true);
      expect(await s.byok.delete(alice, 'byok_alice')).toBe(false);
      expect(await s.byok.get(alice, 'openai')).toBeUndefined();
      expect(await s.byok.list(bob)).toEqual([his]);
    });

    it('refuses a key for an owner that is not a stored key, and an id already taken', async () => {
      const s = ctx.store();
      const owner = await insertKey(s);
      await expect(s.byok.put(byokKey('key_nobody'))).rejects.toThrow(InvalidArgumentError);
      await s.byok.put(byokKey(owner, { id: 'byok_taken' }));
      await expectStoreError(s.byok.put(byokKey(owner, { id: 'byok_taken', provider: 'zai' })), 'conflict');
      expect((await s.byok.list(owner)).map((k) => k.provider)).toEqual(['openai']);
    });

    it('rejects malformed input before the database, and stores nothing', async () => {
      const s = ctx.store();
      const owner = await insertKey(s);
      const bad = (overrides: Record<string, unknown>) =>
        s.byok.put({ ...byokKey(owner), ...overrides } as unknown as ByokKeyRecord);
      for (const overrides of [
        { provider: 'OpenAI' },
        { provider: '' },
        { provider: 'x'.repeat(65) },
        { id: '' },
        { keyId: '' },
        { sealed: '' },
        { sealed: 'x'.repeat(16 * 1024 + 1) },
        { last4: 'abcde' },
        { last4: 4 },
        { alwaysUse: 'yes' },
        { createdAt: -1 },
      ]) {
        await expect(bad(overrides), JSON.stringify(overrides).slice(0, 80)).rejects.toThrow(InvalidArgumentError);
      }
      await expect(s.byok.put(null as unknown as ByokKeyRecord)).rejects.toThrow(InvalidArgumentError);
      await expect(s.byok.list('')).rejects.toThrow(InvalidArgumentError);
      await expect(s.byok.get(owner, 'Bad Provider')).rejects.toThrow(InvalidArgumentError);
      await expect(s.byok.delete(owner, '')).rejects.toThrow(InvalidArgumentError);
      expect(await s.byok.list(owner)).toEqual([]);
      // Four characters of any script are still four: counted in code points.
      const emoji = byokKey(owner, { last4: '🔑🔑🔑🔑' });
      expect(await s.byok.put(emoji)).toEqual(emoji);
    });

    it('keeps keys across close and reopen', async () => {
      const s = ctx.store();
      const owner = await insertKey(s);
      const rec = byokKey(owner);
      await s.byok.put(rec);
      await s.close();
      const again = await ctx.open();
      expect(await again.byok.list(owner)).toEqual([rec]);
      await again.close();
    });

    it('rejects every call after close with StoreError closed', async () => {
      const s = ctx.store();
      const owner = await insertKey(s);
      await s.close();
      await expectStoreError(s.byok.put(byokKey(owner)), 'closed');
      await expectStoreError(s.byok.list(owner), 'closed');
      await expectStoreError(s.byok.get(owner, 'openai'), 'closed');
      await expectStoreError(s.byok.delete(owner, 'byok_x'), 'closed');
    });
  });

  describe('activity key source', () => {
    it('round-trips key_source, and an entry written without it reads as the gateway’s key', async () => {
      const s = ctx.store();
      const byok: ActivityEntry = newActivityEntry(1, { keySource: 'byok', provider: 'deepseek' });
      const gateway = newActivityEntry(2, { keySource: 'gateway', attempt: 2 });
      const old = newActivityEntry(3);
      await s.activity.insertMany([byok, gateway, old]);
      const { entries } = await s.activity.list({});
      expect(entries).toEqual([storedActivity(old), storedActivity(gateway), storedActivity(byok)]);
      expect(entries.map((e) => e.keySource)).toEqual(['gateway', 'gateway', 'byok']);
      expect(await s.activity.generation('req_1')).toEqual([storedActivity(byok)]);
    });

    it('refuses an unknown key source, and nothing of the batch is stored', async () => {
      const s = ctx.store();
      const bad = newActivityEntry(2, { keySource: 'customer' as ActivityKeySource });
      await expect(s.activity.insertMany([newActivityEntry(1), bad])).rejects.toThrow(InvalidArgumentError);
      expect((await s.activity.list({})).entries).toEqual([]);
    });
  });
}
