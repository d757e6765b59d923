/**
 * A small, obviously correct in-memory `BillingStore` for billing's own tests (never built or
 * published). Every method does its work in one synchronous step after an optional await, so it is
 * atomic the way the SQLite and Postgres stores are, while `interleave` lets concurrent callers
 * overlap at the awaits the way they do against a real database.
 */
import type { AccountBalance, BillingStore, LedgerEntry, NewHold, SettleResult } from '@saferouter/store';

export interface FakeBillingStore extends BillingStore {
  /** Active holds, by id (inspect, do not mutate). */
  readonly holds: ReadonlyMap<string, NewHold>;
  /** Names of the methods called, in order. */
  readonly calls: string[];
}

export function createFakeBillingStore(options: { interleave?: boolean } = {}): FakeBillingStore {
  const balances = new Map<string, number>();
  const holds = new Map<string, NewHold>();
  const rows: LedgerEntry[] = [];
  const calls: string[] = [];
  let seq = 0;

  const pause = async (name: string): Promise<void> => {
    calls.push(name);
    if (options.interleave === true) {
      // A random number of macrotask turns, so concurrent callers reach the atomic step in a mixed order.
      const turns = Math.floor(Math.random() * 3);
      for (let i = 0; i < turns; i++) await new Promise((resolve) => setImmediate(resolve));
    }
  };
  const heldOf = (keyId: string): number => {
    let sum = 0;
    for (const h of holds.values()) if (h.keyId === keyId) sum += h.amountMicros;
    return sum;
  };
  const append = (row: Omit<LedgerEntry, 'id'> & { id?: string }): LedgerEntry => {
    const entry: LedgerEntry = { ...row, id: row.id ?? `led_fake_${++seq}` };
    rows.push(entry);
    balances.set(entry.keyId, (balances.get(entry.keyId) ?? 0) + entry.amountMicros);
    return entry;
  };

  return {
    holds,
    calls,
    async balance(keyId): Promise<AccountBalance> {
      await pause('balance');
      return { keyId, balanceMicros: balances.get(keyId) ?? 0, heldMicros: heldOf(keyId) };
    },
    async credit(input) {
      await pause('credit');
      if (!Number.isSafeInteger(input.amountMicros)) throw new RangeError('amountMicros must be a safe integer');
      if ((balances.get(input.keyId) ?? 0) + input.amountMicros < 0)
        throw new RangeError('balance would go below zero');
      return append({
        id: input.id,
        keyId: input.keyId,
        ts: input.ts,
        kind: input.kind,
        amountMicros: input.amountMicros,
        requestId: input.requestId ?? null,
        note: input.note ?? null,
      });
    },
    async placeHold(hold) {
      await pause('placeHold');
      // Strict on purpose: billing must never ask for an empty or fractional hold.
      if (!Number.isSafeInteger(hold.amountMicros) || hold.amountMicros <= 0)
        throw new RangeError('hold.amountMicros must be a positive integer');
      if (holds.has(hold.id)) throw new Error(`duplicate hold id ${hold.id}`);
      const available = (balances.get(hold.keyId) ?? 0) - heldOf(hold.keyId);
      if (available < hold.amountMicros) return { ok: false, availableMicros: Math.max(0, available) };
      holds.set(hold.id, { ...hold });
      return { ok: true, availableMicros: available - hold.amountMicros };
    },
    async settle(holdId, input): Promise<SettleResult | undefined> {
      await pause('settle');
      const hold = holds.get(holdId);
      if (hold === undefined) return undefined;
      holds.delete(holdId);
      const balance = balances.get(hold.keyId) ?? 0;
      const charged = Math.min(input.costMicros, balance);
      if (charged === 0) return { chargedMicros: 0 };
      const clamp = charged < input.costMicros ? `clamped from ${input.costMicros}` : undefined;
      const note = [input.note, clamp].filter((n) => n !== undefined).join('; ');
      const entry = append({
        keyId: hold.keyId,
        ts: input.ts,
        kind: 'charge',
        amountMicros: -charged,
        requestId: hold.requestId,
        note: note === '' ? null : note,
      });
      return { chargedMicros: charged, entry };
    },
    async release(holdId) {
      await pause('release');
      holds.delete(holdId);
    },
    async expireHolds(now) {
      await pause('expireHolds');
      let n = 0;
      for (const [id, h] of holds) {
        if (h.expiresAt < now) {
          holds.delete(id);
          n++;
        }
      }
      return n;
    },
    async ledger(keyId, opts) {
      await pause('ledger');
      const mine = rows
        .filter((r) => r.keyId === keyId && (opts?.before === undefined || r.ts < opts.before))
        .reverse();
      return mine.slice(0, opts?.limit ?? mine.length);
    },
    async ledgerSum(keyId) {
      await pause('ledgerSum');
      return rows.filter((r) => r.keyId === keyId).reduce((sum, r) => sum + r.amountMicros, 0);
    },
  };
}
