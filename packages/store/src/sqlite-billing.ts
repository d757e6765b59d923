/**
 * The billing domain on SQLite. Every money operation runs inside a `BEGIN IMMEDIATE`
 * transaction: the write lock is taken before the first read, so a check ("is the balance
 * enough?") and the write that depends on it can never interleave with another connection's, in
 * this process or another. Operations issued in the same event-loop turn share one transaction,
 * each in its own savepoint (see sqlite-group-commit.ts); each is still atomic on its own.
 *
 * Durability: in WAL mode with `synchronous = NORMAL` (the default) a committed transaction
 * survives the process being killed (`kill -9`, a crash, an OOM kill), because the WAL is in
 * the OS page cache the moment the commit returns. Only an OS crash or power loss can drop the
 * last commits; choose `synchronous: 'FULL'` when that matters more than write latency.
 */

import type Database from 'better-sqlite3';
import {
  assertCreditInput,
  assertNewHold,
  assertRecordId,
  assertSettleInput,
  chargeNote,
  newLedgerId,
  resolveLedgerOptions,
  type CreditInput,
} from './billing-inputs.js';
import type { BillingStore, LedgerEntry, NewHold, PlaceHoldResult, SettleInput, SettleResult } from './billing-types.js';
import { StoreError } from './errors.js';
import { assertKeyId } from './inputs.js';
import { LEDGER_COLUMNS, safeInt, toLedgerEntry, type LedgerRow } from './rows.js';
import { isSqliteUniqueViolation } from './sqlite-keys.js';
import { assertTimestamp } from './validate.js';
import { createGroupCommit } from './sqlite-group-commit.js';

interface HoldRow {
  key_id: string;
  amount_micros: number;
  request_id: string;
}

interface AccountRow {
  balance_micros: number;
  held_micros: number;
}

/**
 * @example
 * const billing = createSqliteBillingStore(db, ensureOpen);
 */
export function createSqliteBillingStore(db: Database.Database, ensureOpen: () => void): BillingStore {
  const stmt = {
    keyExists: db.prepare<[string], { one: number }>('SELECT 1 AS one FROM api_keys WHERE id = ?'),
    // Accounts are created lazily, and only for keys that exist.
    ensureAccount: db.prepare<[{ keyId: string; ts: number }]>(
      `INSERT INTO accounts (key_id, updated_at)
       SELECT @keyId, @ts WHERE EXISTS (SELECT 1 FROM api_keys WHERE id = @keyId)
       ON CONFLICT (key_id) DO NOTHING`,
    ),
    account: db.prepare<[string], AccountRow>('SELECT balance_micros, held_micros FROM accounts WHERE key_id = ?'),
    addBalance: db.prepare<[{ keyId: string; amount: number; ts: number }], AccountRow>(
      `UPDATE accounts SET balance_micros = balance_micros + @amount, updated_at = @ts
        WHERE key_id = @keyId AND balance_micros + @amount >= 0
       RETURNING balance_micros, held_micros`,
    ),
    insertLedger: db.prepare<[LedgerRow]>(
      `INSERT INTO ledger (${LEDGER_COLUMNS})
       VALUES (@id, @key_id, @ts, @kind, @amount_micros, @request_id, @note)`,
    ),
    // The condition and the increment are one statement: the check cannot go stale.
    reserve: db.prepare<[{ keyId: string; amount: number; ts: number }], { available: number }>(
      `UPDATE accounts SET held_micros = held_micros + @amount, updated_at = @ts
        WHERE key_id = @keyId AND balance_micros - held_micros >= @amount
       RETURNING balance_micros - held_micros AS available`,
    ),
    insertHold: db.prepare<[NewHold]>(
      `INSERT INTO holds (id, key_id, amount_micros, request_id, ts, expires_at)
       VALUES (@id, @keyId, @amountMicros, @requestId, @ts, @expiresAt)`,
    ),
    deleteHold: db.prepare<[string], HoldRow>(
      'DELETE FROM holds WHERE id = ? RETURNING key_id, amount_micros, request_id',
    ),
    chargeable: db.prepare<[{ keyId: string; cost: number }], { charged: number }>(
      'SELECT MIN(@cost, balance_micros) AS charged FROM accounts WHERE key_id = @keyId',
    ),
    charge: db.prepare<[{ keyId: string; charged: number; held: number; ts: number }]>(
      `UPDATE accounts SET balance_micros = balance_micros - @charged, held_micros = held_micros - @held,
              updated_at = @ts
        WHERE key_id = @keyId`,
    ),
    unhold: db.prepare<[{ keyId: string; held: number }]>(
      'UPDATE accounts SET held_micros = held_micros - @held WHERE key_id = @keyId',
    ),
    deleteExpired: db.prepare<[number], HoldRow>(
      'DELETE FROM holds WHERE expires_at < ? RETURNING key_id, amount_micros, request_id',
    ),
    ledger: db.prepare<[string, number, number], LedgerRow>(
      `SELECT ${LEDGER_COLUMNS} FROM ledger WHERE key_id = ? AND ts < ? ORDER BY ts DESC, id DESC LIMIT ?`,
    ),
    ledgerSum: db.prepare<[string], { total: number }>(
      'SELECT COALESCE(SUM(amount_micros), 0) AS total FROM ledger WHERE key_id = ?',
    ),
  };

  const group = createGroupCommit(db);
  const credit = db.transaction((input: CreditInput): LedgerEntry => {
    if (stmt.keyExists.get(input.keyId) === undefined) {
      throw new RangeError('input.keyId does not name a stored key');
    }
    stmt.ensureAccount.run({ keyId: input.keyId, ts: input.ts });
    if (stmt.addBalance.get({ keyId: input.keyId, amount: input.amountMicros, ts: input.ts }) === undefined) {
      throw new RangeError('input.amountMicros would take the balance below zero');
    }
    const entry: LedgerEntry = {
      id: input.id,
      keyId: input.keyId,
      ts: input.ts,
      kind: input.kind,
      amountMicros: input.amountMicros,
      requestId: input.requestId ?? null,
      note: input.note ?? null,
    };
    stmt.insertLedger.run(toRow(entry));
    return entry;
  });

  const placeHold = db.transaction((hold: NewHold): PlaceHoldResult => {
    stmt.ensureAccount.run({ keyId: hold.keyId, ts: hold.ts });
    const reserved = stmt.reserve.get({ keyId: hold.keyId, amount: hold.amountMicros, ts: hold.ts });
    if (reserved === undefined) return { ok: false, availableMicros: available(stmt.account.get(hold.keyId)) };
    stmt.insertHold.run({
      id: hold.id,
      keyId: hold.keyId,
      amountMicros: hold.amountMicros,
      requestId: hold.requestId,
      ts: hold.ts,
      expiresAt: hold.expiresAt,
    });
    return { ok: true, availableMicros: safeInt(reserved.available, 'available') };
  });

  const settle = db.transaction((holdId: string, input: SettleInput): SettleResult | undefined => {
    // Deleting first makes settle idempotent: a second call finds no hold and changes nothing.
    const hold = stmt.deleteHold.get(holdId);
    if (hold === undefined) return undefined;
    const keyId = hold.key_id;
    const charged = safeInt(stmt.chargeable.get({ keyId, cost: input.costMicros })?.charged ?? 0, 'charged');
    stmt.charge.run({ keyId, charged, held: safeInt(hold.amount_micros, 'holds.amount_micros'), ts: input.ts });
    if (charged === 0) return { chargedMicros: 0 };
    const entry: LedgerEntry = {
      id: newLedgerId(),
      keyId,
      ts: input.ts,
      kind: 'charge',
      amountMicros: -charged,
      requestId: hold.request_id,
      note: chargeNote(input.note, input.costMicros, charged),
    };
    stmt.insertLedger.run(toRow(entry));
    return { chargedMicros: charged, entry };
  });

  const release = db.transaction((holdId: string): void => {
    const hold = stmt.deleteHold.get(holdId);
    if (hold !== undefined) stmt.unhold.run({ keyId: hold.key_id, held: hold.amount_micros });
  });

  const expire = db.transaction((now: number): number => {
    const gone = stmt.deleteExpired.all(now);
    const perKey = new Map<string, number>();
    for (const h of gone) perKey.set(h.key_id, (perKey.get(h.key_id) ?? 0) + h.amount_micros);
    for (const [keyId, held] of perKey) stmt.unhold.run({ keyId, held });
    return gone.length;
  });

  return {
    async balance(keyId) {
      ensureOpen();
      assertKeyId(keyId, 'keyId');
      const row = stmt.account.get(keyId);
      return {
        keyId,
        balanceMicros: row === undefined ? 0 : safeInt(row.balance_micros, 'accounts.balance_micros'),
        heldMicros: row === undefined ? 0 : safeInt(row.held_micros, 'accounts.held_micros'),
      };
    },
    async credit(input) {
      ensureOpen();
      assertCreditInput(input);
      return group(() => conflictOnDuplicate(() => credit(input), 'A ledger entry with this id already exists'));
    },
    async placeHold(hold) {
      ensureOpen();
      assertNewHold(hold);
      return group(() => conflictOnDuplicate(() => placeHold(hold), 'A hold with this id already exists'));
    },
    async settle(holdId, input) {
      ensureOpen();
      assertRecordId(holdId, 'holdId');
      assertSettleInput(input);
      return group(() => settle(holdId, input));
    },
    async release(holdId) {
      ensureOpen();
      assertRecordId(holdId, 'holdId');
      await group(() => release(holdId));
    },
    async expireHolds(now) {
      ensureOpen();
      assertTimestamp(now, 'now');
      return group(() => expire(now));
    },
    async ledger(keyId, options) {
      ensureOpen();
      assertKeyId(keyId, 'keyId');
      const { limit, before } = resolveLedgerOptions(options);
      return stmt.ledger.all(keyId, before, limit).map(toLedgerEntry);
    },
    async ledgerSum(keyId) {
      ensureOpen();
      assertKeyId(keyId, 'keyId');
      return safeInt(stmt.ledgerSum.get(keyId)?.total ?? 0, 'ledger sum');
    },
  };
}

/** What a refused hold reports: never negative, even when clamped charges overcommitted a key. */
function available(row: AccountRow | undefined): number {
  if (row === undefined) return 0;
  return Math.max(0, safeInt(row.balance_micros, 'accounts.balance_micros') - safeInt(row.held_micros, 'accounts.held_micros'));
}

function toRow(e: LedgerEntry): LedgerRow {
  return {
    id: e.id,
    key_id: e.keyId,
    ts: e.ts,
    kind: e.kind,
    amount_micros: e.amountMicros,
    request_id: e.requestId,
    note: e.note,
  };
}

function conflictOnDuplicate<T>(run: () => T, message: string): T {
  try {
    return run();
  } catch (err) {
    if (isSqliteUniqueViolation(err)) throw new StoreError('conflict', message, { cause: err });
    throw err;
  }
}
