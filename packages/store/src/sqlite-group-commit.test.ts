// Group commit: operations issued together share one transaction, yet each stays atomic alone.
import { InvalidArgumentError } from '@saferouter/errors';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { generateApiKey } from './keys.js';
import { openSqliteStore } from './sqlite.js';
import { StoreError } from './errors.js';
import type { Store } from './types.js';

let dir: string;
let store: Store;
const T = 1_700_000_000_000;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sr-group-'));
  store = await openSqliteStore({ dataDir: dir });
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function key(): Promise<string> {
  const k = generateApiKey();
  await store.keys.insert({ id: k.id, name: 'g', prefix: k.prefix, hash: k.hash, role: 'user', createdAt: T });
  return k.id;
}

it('a failing operation in a group rejects alone; the others commit and invariants hold', async () => {
  const id = await key();
  await store.billing.credit({ id: 'led_seed', keyId: id, amountMicros: 1_000, kind: 'topup', ts: T });
  await store.billing.placeHold({
    id: 'hold_a',
    keyId: id,
    amountMicros: 100,
    requestId: 'req_a',
    ts: T,
    expiresAt: T + 60_000,
  });

  // Issued in one turn, so they run in one group transaction.
  const results = await Promise.allSettled([
    store.billing.placeHold({
      id: 'hold_a',
      keyId: id,
      amountMicros: 100,
      requestId: 'req_dup',
      ts: T,
      expiresAt: T + 60_000,
    }), // duplicate id
    store.billing.placeHold({
      id: 'hold_b',
      keyId: id,
      amountMicros: 200,
      requestId: 'req_b',
      ts: T,
      expiresAt: T + 60_000,
    }),
    store.billing.credit({ id: 'led_bad', keyId: id, amountMicros: -5_000, kind: 'adjustment', ts: T }), // below zero
    store.billing.settle('hold_a', { costMicros: 150, ts: T }),
    store.billing.credit({ id: 'led_top', keyId: id, amountMicros: 500, kind: 'topup', ts: T }),
  ]);

  expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
  expect(StoreError.isInstance((results[0] as PromiseRejectedResult).reason)).toBe(true);
  expect((results[2] as PromiseRejectedResult).reason).toBeInstanceOf(InvalidArgumentError);
  const balance = await store.billing.balance(id);
  expect(balance).toEqual({ keyId: id, balanceMicros: 1_000 - 150 + 500, heldMicros: 200 });
  expect(await store.billing.ledgerSum(id)).toBe(balance.balanceMicros);
  expect((await store.billing.ledger(id)).map((e) => e.id).sort()).not.toContain('led_bad');
});

it('many concurrent holds and settles on one key never overspend', async () => {
  const id = await key();
  await store.billing.credit({ id: 'led_seed', keyId: id, amountMicros: 5_000, kind: 'topup', ts: T });
  const outcomes = await Promise.all(
    Array.from({ length: 200 }, async (_, i) => {
      const hold = await store.billing.placeHold({
        id: `hold_${i}`,
        keyId: id,
        amountMicros: 100,
        requestId: `req_${i}`,
        ts: T,
        expiresAt: T + 60_000,
      });
      if (!hold.ok) return 0;
      const settled = await store.billing.settle(`hold_${i}`, { costMicros: 100, ts: T });
      return settled?.chargedMicros ?? 0;
    }),
  );
  const charged = outcomes.reduce((a, b) => a + b, 0);
  const balance = await store.billing.balance(id);
  expect(balance.balanceMicros).toBe(5_000 - charged);
  expect(balance.balanceMicros).toBeGreaterThanOrEqual(0);
  expect(balance.heldMicros).toBe(0);
  expect(await store.billing.ledgerSum(id)).toBe(balance.balanceMicros);
  expect(charged).toBeGreaterThanOrEqual(5_000 - 100 * 50);
});

it('a group runs bare, and reruns with one savepoint per operation only when an operation throws', async () => {
  const Database = (await import('better-sqlite3')).default;
  const { createGroupCommit } = await import('./sqlite-group-commit.js');
  const db = new Database(':memory:');
  db.exec('CREATE TABLE t (v INTEGER NOT NULL UNIQUE)');
  const group = createGroupCommit(db);
  const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
  const runs = { a: 0, b: 0, c: 0 };
  const results = await Promise.allSettled([
    group(() => (runs.a++, insert.run(1).changes)),
    group(() => (runs.b++, insert.run(1).changes)), // unique violation: fails alone
    group(() => (runs.c++, insert.run(2).changes)),
  ]);
  expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  // The bare run stopped at b and was rolled back; the isolated rerun ran all three once more.
  expect(runs).toEqual({ a: 2, b: 2, c: 1 });
  expect(db.prepare('SELECT v FROM t ORDER BY v').pluck().all()).toEqual([1, 2]);

  // A group in which nothing fails runs each operation exactly once.
  const once = { n: 0 };
  await Promise.all([group(() => (once.n++, insert.run(3))), group(() => (once.n++, insert.run(4)))]);
  expect(once.n).toBe(2);
  db.close();
});
