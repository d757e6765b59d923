/**
 * The money domain of the store: per-key accounts, an append-only ledger and holds. Amounts are
 * integer micro-dollars (1 USD = 1_000_000) everywhere; a float never touches money.
 *
 * Invariants every implementation keeps, under any concurrency and across processes sharing one
 * database:
 * - `balanceMicros` equals the sum of the key's ledger rows, to the micro-dollar;
 * - `heldMicros` equals the sum of the key's active holds;
 * - a hold is placed only if `balance - held >= amount` at that instant (atomically), so
 *   concurrent admissions can never promise more than the balance;
 * - a settle never drives the balance below zero: the charge is clamped to what the balance
 *   can pay, and the clamp is recorded on the ledger row.
 */

/** Why a ledger row exists. `charge` rows are negative, `topup` rows positive. */
export type LedgerKind = 'topup' | 'charge' | 'adjustment';

export interface LedgerEntry {
  /** Unique, e.g. `led_…`. */
  id: string;
  keyId: string;
  /** Milliseconds since the Unix epoch. */
  ts: number;
  kind: LedgerKind;
  /** Signed: positive credits, negative debits. */
  amountMicros: number;
  /** The request a charge belongs to (`X-Request-Id`), else null. */
  requestId: string | null;
  /** Free text: who topped up, why an adjustment, `clamped from N` on a clamped charge. */
  note: string | null;
}

export interface AccountBalance {
  keyId: string;
  /** Sum of the ledger. Never negative. */
  balanceMicros: number;
  /** Sum of active holds. */
  heldMicros: number;
}

export interface NewHold {
  /** Unique, e.g. `hold_…`. Settling or releasing twice is a no-op. */
  id: string;
  keyId: string;
  amountMicros: number;
  requestId: string;
  ts: number;
  /**
   * When a hold left behind by a crashed process may be reclaimed by `expireHolds` (ms epoch).
   * Set it past the longest a request may run.
   */
  expiresAt: number;
}

export type PlaceHoldResult = { ok: true; availableMicros: number } | { ok: false; availableMicros: number };

export interface SettleInput {
  /** The actual cost; clamped to what the balance can pay. */
  costMicros: number;
  ts: number;
  /** Stored with the charge row (e.g. `estimated`). */
  note?: string | undefined;
}

export interface SettleResult {
  /** What was charged (≤ costMicros; less only when clamped). */
  chargedMicros: number;
  /** The ledger row written, absent when the charge was 0 (no row for free requests). */
  entry?: LedgerEntry | undefined;
}

export interface BillingStore {
  /** Balance and held amount; a key with no ledger rows has zero of both. */
  balance(keyId: string): Promise<AccountBalance>;
  /**
   * Appends a positive or negative non-charge row and updates the balance atomically.
   * @throws {RangeError} when a negative adjustment would take the balance below zero.
   */
  credit(input: {
    id: string;
    keyId: string;
    amountMicros: number;
    kind: 'topup' | 'adjustment';
    ts: number;
    note?: string | undefined;
    requestId?: string | undefined;
  }): Promise<LedgerEntry>;
  /** Atomically places the hold if `balance - held >= amount`. */
  placeHold(hold: NewHold): Promise<PlaceHoldResult>;
  /**
   * Atomically: removes the hold, appends a `charge` row for the (clamped) cost, updates the
   * balance. Idempotent: an unknown or already-settled hold returns `undefined` and changes nothing.
   */
  settle(holdId: string, input: SettleInput): Promise<SettleResult | undefined>;
  /** Removes the hold without charging (a failed attempt costs nothing). Idempotent. */
  release(holdId: string): Promise<void>;
  /** Releases holds whose `expiresAt` is before `now` (left by a crashed process). Returns how many. */
  expireHolds(now: number): Promise<number>;
  /** A key's ledger, newest first. */
  ledger(keyId: string, options?: { limit?: number; before?: number }): Promise<LedgerEntry[]>;
  /** Sum of the key's ledger rows computed from the rows themselves (for audits and tests). */
  ledgerSum(keyId: string): Promise<number>;
}
