/**
 * Billing conformance: the invariants of `billing-types.ts` (balance = ledger sum, holds never
 * overcommit, settle is idempotent and never drives a balance negative), checked sequentially
 * and under concurrency through two connections to one database (two pools on Postgres, like
 * two gateway replicas).
 */

import { InvalidArgumentError } from '@saferouter/errors';
import { describe, expect, it } from 'vitest';
import type { NewHold, SettleResult } from './billing-types.js';
import { expectStoreError, insertKey, T0, type ConformanceContext } from './conformance-support.js';
import type { Store } from './types.js';

let seq = 0;
/** A unique id per call, so tests never collide on ledger or hold ids. */
function uid(prefix: string): string {
  seq += 1;
  return `${prefix}_${seq.toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
}

function hold(keyId: string, amountMicros: number, overrides: Partial<NewHold> = {}): NewHold {
  return { id: uid('hold'), keyId, amountMicros, requestId: uid('req'), ts: T0, expiresAt: T0 + 60_000, ...overrides };
}

async function topUp(store: Store, keyId: string, amountMicros: number, ts = T0): Promise<void> {
  await store.billing.credit({ id: uid('led'), keyId, amountMicros, kind: 'topup', ts });
}

/** The two invariants that must hold after any sequence of operations. */
async function expectConsistent(store: Store, keyId: string, balanceMicros: number, heldMicros: number): Promise<void> {
  expect(await store.billing.balance(keyId)).toEqual({ keyId, balanceMicros, heldMicros });
  expect(await store.billing.ledgerSum(keyId)).toBe(balanceMicros);
}

/**
 * @example
 * describeBillingConformance({ store: () => store, open });
 */
export function describeBillingConformance(ctx: ConformanceContext): void {
  describe('billing', () => {
    it('a key with no ledger has zero balance, zero held and an empty ledger', async () => {
      const keyId = await insertKey(ctx.store());
      await expectConsistent(ctx.store(), keyId, 0, 0);
      expect(await ctx.store().billing.ledger(keyId)).toEqual([]);
      // Unknown keys read as empty too: balance() answers, it does not judge.
      expect(await ctx.store().billing.balance('key_nobody')).toEqual({
        keyId: 'key_nobody',
        balanceMicros: 0,
        heldMicros: 0,
      });
    });

    it('keeps balance = ledgerSum after mixed operations, ledger newest first', async () => {
      const s = ctx.store();
      const keyId = await insertKey(s);
      const top = await s.billing.credit({
        id: 'led_top',
        keyId,
        amountMicros: 10_000,
        kind: 'topup',
        ts: T0 + 1,
        note: 'stripe',
      });
      expect(top).toEqual({
        id: 'led_top',
        keyId,
        ts: T0 + 1,
        kind: 'topup',
        amountMicros: 10_000,
        requestId: null,
        note: 'stripe',
      });
      await s.billing.credit({
        id: 'led_adj1',
        keyId,
        amountMicros: -2_000,
        kind: 'adjustment',
        ts: T0 + 2,
        requestId: 'req_x',
      });
      const a = hold(keyId, 3_000, { ts: T0 + 3 });
      expect(await s.billing.placeHold(a)).toEqual({ ok: true, availableMicros: 5_000 });
      await expectConsistent(s, keyId, 8_000, 3_000);
      const settled = await s.billing.settle(a.id, { costMicros: 2_500, ts: T0 + 4 });
      expect(settled?.chargedMicros).toBe(2_500);
      const b = hold(keyId, 1_000);
      expect((await s.billing.placeHold(b)).ok).toBe(true);
      await s.billing.release(b.id);
      const c = hold(keyId, 4_000);
      expect((await s.billing.placeHold(c)).ok).toBe(true);
      expect(await s.billing.settle(c.id, { costMicros: 0, ts: T0 + 5 })).toEqual({ chargedMicros: 0 });
      await s.billing.credit({ id: 'led_adj2', keyId, amountMicros: 500, kind: 'adjustment', ts: T0 + 6 });
      await expectConsistent(s, keyId, 6_000, 0);

      const ledger = await s.billing.ledger(keyId);
      expect(ledger.map((e) => [e.kind, e.amountMicros, e.ts])).toEqual([
        ['adjustment', 500, T0 + 6],
        ['charge', -2_500, T0 + 4],
        ['adjustment', -2_000, T0 + 2],
        ['topup', 10_000, T0 + 1],
      ]);
      expect(ledger[1]).toMatchObject({ requestId: a.requestId, note: null });
      expect(ledger[2]).toMatchObject({ id: 'led_adj1', requestId: 'req_x', note: null });
      expect((await s.billing.ledger(keyId, { limit: 2 })).map((e) => e.ts)).toEqual([T0 + 6, T0 + 4]);
      expect((await s.billing.ledger(keyId, { before: T0 + 4 })).map((e) => e.ts)).toEqual([T0 + 2, T0 + 1]);
    });

    it('keeps keys apart', async () => {
      const s = ctx.store();
      const [k1, k2] = [await insertKey(s), await insertKey(s)];
      await topUp(s, k1, 700);
      await topUp(s, k2, 300);
      expect((await s.billing.placeHold(hold(k2, 400))).ok).toBe(false);
      await expectConsistent(s, k1, 700, 0);
      await expectConsistent(s, k2, 300, 0);
      expect((await s.billing.ledger(k2)).map((e) => e.keyId)).toEqual([k2]);
    });

    it('refuses a hold larger than balance - held, reporting what is available', async () => {
      const s = ctx.store();
      const keyId = await insertKey(s);
      expect(await s.billing.placeHold(hold(keyId, 1))).toEqual({ ok: false, availableMicros: 0 });
      await topUp(s, keyId, 1_000);
      expect(await s.billing.placeHold(hold(keyId, 600))).toEqual({ ok: true, availableMicros: 400 });
      expect(await s.billing.placeHold(hold(keyId, 401))).toEqual({ ok: false, availableMicros: 400 });
      expect(await s.billing.placeHold(hold(keyId, 400))).toEqual({ ok: true, availableMicros: 0 });
      expect(await s.billing.placeHold(hold(keyId, 1))).toEqual({ ok: false, availableMicros: 0 });
      await expectConsistent(s, keyId, 1_000, 1_000);
    });

    it('places zero holds (free requests) on funded and unfunded keys, never on unknown ones', async () => {
      const s = ctx.store();
      const keyId = await insertKey(s);
      const h = hold(keyId, 0);
      expect(await s.billing.placeHold(h)).toEqual({ ok: true, availableMicros: 0 });
      expect(await s.billing.settle(h.id, { costMicros: 50, ts: T0 })).toEqual({ chargedMicros: 0 });
      expect(await s.billing.placeHold(hold('key_nobody', 0))).toEqual({ ok: false, availableMicros: 0 });
      await expectConsistent(s, keyId, 0, 0);
    });

    it('settle charges once: a second settle returns undefined and changes nothing', async () => {
      const s = ctx.store();
      const keyId = await insertKey(s);
      await topUp(s, keyId, 5_000);
      const h = hold(keyId, 2_000);
      await s.billing.placeHold(h);
      const first = await s.billing.settle(h.id, { costMicros: 1_234, ts: T0 + 9, note: 'estimated' });
      expect(first).toEqual({
        chargedMicros: 1_234,
        entry: {
          id: expect.any(String),
          keyId,
          ts: T0 + 9,
          kind: 'charge',
          amountMicros: -1_234,
          requestId: h.requestId,
          note: 'estimated',
        },
      });
      expect(await s.billing.settle(h.id, { costMicros: 1_234, ts: T0 + 10 })).toBeUndefined();
      expect(await s.billing.settle('hold_unknown', { costMicros: 1, ts: T0 })).toBeUndefined();
      await s.billing.release(h.id); // releasing a settled hold is a no-op as well
      await expectConsistent(s, keyId, 3_766, 0);
      expect(await s.billing.ledger(keyId)).toHaveLength(2);
    });

    it('settle clamps to the balance, never below zero, and records the clamp', async () => {
      const s = ctx.store();
      const keyId = await insertKey(s);
      await topUp(s, keyId, 500);
      const h = hold(keyId, 300);
      await s.billing.placeHold(h);
      const res = await s.billing.settle(h.id, { costMicros: 800, ts: T0 + 1, note: 'estimated' });
      expect(res?.chargedMicros).toBe(500);
      expect(res?.entry).toMatchObject({ amountMicros: -500, note: 'estimated; clamped from 800' });
      await expectConsistent(s, keyId, 0, 0);
      expect((await s.billing.ledger(keyId))[0]).toMatchObject({
        kind: 'charge',
        amountMicros: -500,
        note: 'estimated; clamped from 800',
      });

      // With nothing left, a clamped charge is 0 and writes no row.
      const h2 = hold(keyId, 0);
      await s.billing.placeHold(h2);
      expect(await s.billing.settle(h2.id, { costMicros: 100, ts: T0 + 2 })).toEqual({ chargedMicros: 0 });
      expect(await s.billing.ledger(keyId)).toHaveLength(2);
    });

    it('clamps without a caller note, and a later hold sees the reduced balance', async () => {
      const s = ctx.store();
      const keyId = await insertKey(s);
      await topUp(s, keyId, 1_000);
      const [h1, h2] = [hold(keyId, 500), hold(keyId, 500)];
      await s.billing.placeHold(h1);
      await s.billing.placeHold(h2);
      // h1 costs more than estimated and eats into what h2 reserved: allowed, but clamped later.
      expect((await s.billing.settle(h1.id, { costMicros: 900, ts: T0 }))?.chargedMicros).toBe(900);
      await expectConsistent(s, keyId, 100, 500);
      expect(await s.billing.placeHold(hold(keyId, 1))).toEqual({ ok: false, availableMicros: 0 });
      const res = await s.billing.settle(h2.id, { costMicros: 400, ts: T0 });
      expect(res?.entry?.note).toBe('clamped from 400');
      await expectConsistent(s, keyId, 0, 0);
    });

    it('release refunds the hold without charging, idempotently', async () => {
      const s = ctx.store();
      const keyId = await insertKey(s);
      await topUp(s, keyId, 1_000);
      const h = hold(keyId, 700);
      await s.billing.placeHold(h);
      await s.billing.release(h.id);
      await s.billing.release(h.id);
      await s.billing.release('hold_unknown');
      await expectConsistent(s, keyId, 1_000, 0);
      expect(await s.billing.settle(h.id, { costMicros: 700, ts: T0 })).toBeUndefined();
      expect(await s.billing.ledger(keyId)).toHaveLength(1);
    });

    it('expireHolds releases only holds that expired before now', async () => {
      const s = ctx.store();
      const [k1, k2] = [await insertKey(s), await insertKey(s)];
      await topUp(s, k1, 1_000);
      await topUp(s, k2, 1_000);
      const old1 = hold(k1, 100, { expiresAt: T0 + 10 });
      const old2 = hold(k1, 200, { expiresAt: T0 + 20 });
      const old3 = hold(k2, 300, { expiresAt: T0 + 5 });
      const live = hold(k1, 400, { expiresAt: T0 + 30 });
      for (const h of [old1, old2, old3, live]) expect((await s.billing.placeHold(h)).ok).toBe(true);
      expect(await s.billing.expireHolds(T0 + 5)).toBe(0); // strictly before now
      expect(await s.billing.expireHolds(T0 + 30)).toBe(3);
      expect(await s.billing.expireHolds(T0 + 30)).toBe(0);
      await expectConsistent(s, k1, 1_000, 400);
      await expectConsistent(s, k2, 1_000, 0);
      expect(await s.billing.settle(old1.id, { costMicros: 100, ts: T0 })).toBeUndefined();
      expect((await s.billing.settle(live.id, { costMicros: 400, ts: T0 }))?.chargedMicros).toBe(400);
      await expectConsistent(s, k1, 600, 0);
    });

    it('credit: adjustments go both ways, but never below zero; bad credits change nothing', async () => {
      const s = ctx.store();
      const keyId = await insertKey(s);
      await expect(
        s.billing.credit({ id: uid('led'), keyId, amountMicros: -1, kind: 'adjustment', ts: T0 }),
      ).rejects.toThrow(InvalidArgumentError);
      await topUp(s, keyId, 1_000);
      await s.billing.credit({ id: uid('led'), keyId, amountMicros: -400, kind: 'adjustment', ts: T0 });
      await expect(
        s.billing.credit({ id: uid('led'), keyId, amountMicros: -601, kind: 'adjustment', ts: T0 }),
      ).rejects.toThrow(InvalidArgumentError);
      await expect(
        s.billing.credit({ id: uid('led'), keyId, amountMicros: -5, kind: 'topup', ts: T0 }),
      ).rejects.toThrow(InvalidArgumentError);
      await expect(
        s.billing.credit({ id: uid('led'), keyId, amountMicros: 0, kind: 'adjustment', ts: T0 }),
      ).rejects.toThrow(InvalidArgumentError);
      await expect(
        s.billing.credit({ id: uid('led'), keyId: 'key_nobody', amountMicros: 5, kind: 'topup', ts: T0 }),
      ).rejects.toThrow(InvalidArgumentError);
      await s.billing.credit({ id: uid('led'), keyId, amountMicros: -600, kind: 'adjustment', ts: T0 });
      await expectConsistent(s, keyId, 0, 0);
      expect(await s.billing.ledger(keyId)).toHaveLength(3);
    });

    it('moves amounts beyond 32 bits exactly', async () => {
      const s = ctx.store();
      const keyId = await insertKey(s);
      const big = 900_000_000_000_000; // $900M
      await topUp(s, keyId, big);
      const h = hold(keyId, 5_000_000_000);
      expect(await s.billing.placeHold(h)).toEqual({ ok: true, availableMicros: big - 5_000_000_000 });
      expect((await s.billing.settle(h.id, { costMicros: 4_294_967_297, ts: T0 }))?.chargedMicros).toBe(4_294_967_297);
      await expectConsistent(s, keyId, big - 4_294_967_297, 0);
    });

    it('rejects duplicate ledger and hold ids with a conflict, changing nothing', async () => {
      const s = ctx.store();
      const keyId = await insertKey(s);
      await s.billing.credit({ id: 'led_dup', keyId, amountMicros: 1_000, kind: 'topup', ts: T0 });
      await expectStoreError(
        s.billing.credit({ id: 'led_dup', keyId, amountMicros: 1_000, kind: 'topup', ts: T0 }),
        'conflict',
      );
      const h = hold(keyId, 100);
      await s.billing.placeHold(h);
      await expectStoreError(s.billing.placeHold({ ...h, amountMicros: 200 }), 'conflict');
      await expectConsistent(s, keyId, 1_000, 100);
    });

    it('rejects malformed input with TypeError/RangeError', async () => {
      const s = ctx.store();
      const keyId = await insertKey(s);
      const b = s.billing;
      await expect(b.balance(7 as unknown as string)).rejects.toThrow(InvalidArgumentError);
      await expect(b.credit({ id: 'x', keyId, amountMicros: 1.5, kind: 'topup', ts: T0 })).rejects.toThrow(
        InvalidArgumentError,
      );
      await expect(b.credit({ id: 'x', keyId, amountMicros: 1, kind: 'charge' as 'topup', ts: T0 })).rejects.toThrow(
        InvalidArgumentError,
      );
      await expect(b.credit({ id: '', keyId, amountMicros: 1, kind: 'topup', ts: T0 })).rejects.toThrow(
        InvalidArgumentError,
      );
      await expect(b.placeHold({ ...hold(keyId, 1), amountMicros: -1 })).rejects.toThrow(InvalidArgumentError);
      await expect(b.placeHold({ ...hold(keyId, 1), expiresAt: '1' as unknown as number })).rejects.toThrow(
        InvalidArgumentError,
      );
      await expect(b.settle('h', { costMicros: -1, ts: T0 })).rejects.toThrow(InvalidArgumentError);
      await expect(b.settle('h', { costMicros: Number.NaN, ts: T0 })).rejects.toThrow(InvalidArgumentError);
      await expect(b.settle(1 as unknown as string, { costMicros: 1, ts: T0 })).rejects.toThrow(InvalidArgumentError);
      await expect(b.expireHolds(-1)).rejects.toThrow(InvalidArgumentError);
      await expect(b.ledger(keyId, { limit: 0 })).rejects.toThrow(InvalidArgumentError);
      await expect(b.ledger(keyId, { limit: 1001 })).rejects.toThrow(InvalidArgumentError);
      await expectConsistent(s, keyId, 0, 0);
    });

    describe('concurrency (two connections, like two replicas)', () => {
      it('200 concurrent holds never promise more than the balance', async () => {
        const stores = [ctx.store(), await ctx.open()];
        const keyId = await insertKey(stores[0]!);
        await topUp(stores[0]!, keyId, 50_000);
        const holds = Array.from({ length: 200 }, () => hold(keyId, 1_000));
        const results = await Promise.all(holds.map((h, i) => stores[i % 2]!.billing.placeHold(h)));
        const placed = holds.filter((_, i) => results[i]!.ok);
        expect(placed).toHaveLength(50);
        await expectConsistent(stores[1]!, keyId, 50_000, 50_000);
        await Promise.all(placed.map((h, i) => stores[i % 2]!.billing.release(h.id)));
        await expectConsistent(stores[0]!, keyId, 50_000, 0);
      });

      it('200 concurrent placeHold+settle pairs keep balance >= 0 and balance = ledgerSum', async () => {
        const stores = [ctx.store(), await ctx.open()];
        const keyId = await insertKey(stores[0]!);
        const initial = 50_000;
        await topUp(stores[0]!, keyId, initial);
        const pair = async (i: number): Promise<number> => {
          const s = stores[i % 2]!;
          const h = hold(keyId, 1_000);
          if (!(await s.billing.placeHold(h)).ok) return 0;
          // Costs around the estimate, some above it: those are clamped once money runs out.
          const cost = 500 + (i % 3) * 500;
          if (i % 10 === 0) {
            // Two replicas settling the same hold at once: exactly one may charge.
            const both = await Promise.all(stores.map((r) => r.billing.settle(h.id, { costMicros: cost, ts: T0 + i })));
            const done = both.filter((r): r is SettleResult => r !== undefined);
            expect(done).toHaveLength(1);
            return done[0]!.chargedMicros;
          }
          return (await s.billing.settle(h.id, { costMicros: cost, ts: T0 + i }))?.chargedMicros ?? Number.NaN;
        };
        const charged = await Promise.all(Array.from({ length: 200 }, (_, i) => pair(i)));
        const total = charged.reduce((a, b) => a + b, 0);
        const after = await stores[1]!.billing.balance(keyId);
        expect(after.balanceMicros).toBeGreaterThanOrEqual(0);
        expect(after.heldMicros).toBe(0);
        expect(after.balanceMicros).toBe(initial - total);
        expect(await stores[0]!.billing.ledgerSum(keyId)).toBe(after.balanceMicros);
        expect(charged.filter((c) => c > 0).length).toBeGreaterThanOrEqual(40);
        const rows = await stores[0]!.billing.ledger(keyId, { limit: 1000 });
        expect(rows.filter((r) => r.kind === 'charge')).toHaveLength(charged.filter((c) => c > 0).length);
      });
    });
  });
}
