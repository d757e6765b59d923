/**
 * The billing domain on SQLite. Holds are kept in memory (see sqlite-holds.ts); every durable
 * money operation (credit, the charge of a settle) runs inside a `BEGIN IMMEDIATE`
 * transaction: the write lock is taken before the first read, so a check ("is the balance
 * enough?") and the write that depends on it can never interleave with another connection's, in
 * this process or another. Operations issued in the same event-loop turn share one transaction,
 * and each is still atomic on its own (see sqlite-group-commit.ts).
 *
 * Durability: in WAL mode with `synchronous = NORMAL` (the default) a committed transaction
 * survives the process being killed (`kill -9`, a crash, an OOM kill), because the WAL is in
 * the OS page cache the moment the commit returns. Only an OS crash or power loss can drop the
 * last commits; choose `synchronous: 'FULL'` when that matters more than write latency.
 */
import { InvalidArgumentError } from '@saferouter/errors';

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
import type {
  BillingStore,
  LedgerEntry,
  NewHold,
  PlaceHoldResult,
  SettleInput,
  SettleResult,
} from './billing-types.js';
import { StoreError } from './errors.js';
import { assertKeyId } from './inputs.js';
import { LEDGER_COLUMNS, safeInt, toLedgerEntry, type LedgerRow } from './rows.js';
import { isSqliteUniqueViolation } from './sqlite-keys.js';
import { assertTimestamp } from './validate.js';
import type { GroupCommit } from './sqlite-group-commit.js';
import { holdRegistryFor, type MemoryHold } from './sqlite-holds.js';

interface AccountRow {
  balance_micros: number;
  held_micros: number;
}

/**
 * `group` is the group commit the durable money operations run in; the store passes the one
 * it shares with the audit domain, so a request's charge and its audit sample commit together.
 *
 * @example
 * const billing = createSqliteBillingStore(db, ensureOpen, createGroupCommit(db));
 */
export function createSqliteBillingStore(
  db: Database.Database,
  ensureOpen: () => void,
  group: GroupCommit,
): BillingStore {
  const stmt = {
    keyExists: db.prepare<[string], { one: number }>('SELECT 1 AS one FROM api_keys WHERE id = ?'),
    // Accounts are created lazily, and only for keys that exist.
    ensureAccount: db.prepare<[{ keyId: string; ts: number }]>(
      `INSERT INTO accounts (key_id, updated_at)
       SELECT @keyId, @ts WHERE EXISTS (SELECT 1 FROM api_keys WHERE id = @keyId)
       ON CONFLICT (key_id) DO NOTHING`,
    ),
    account: db.prepare<[string], AccountRow>('SELECT balance_micros, held_micros FROM accounts WHERE key_id = ?'),
    /** One read for admission: no row when the key does not exist, balance 0 without an account. */
    keyBalance: db.prepare<[string], { balance_micros: number }>(
      `SELECT COALESCE(a.balance_micros, 0) AS balance_micros
         FROM api_keys k LEFT JOIN accounts a ON a.key_id = k.id WHERE k.id = ?`,
    ),
    addBalance: db.prepare<[{ keyId: string; amount: number; ts: number }], AccountRow>(
      `UPDATE accounts SET balance_micros = balance_micros + @amount, updated_at = @ts
        WHERE key_id = @keyId AND balance_micros + @amount >= 0
       RETURNING balance_micros, held_micros`,
    ),
    insertLedger: db.prepare<[LedgerRow]>(
      `INSERT INTO ledger (${LEDGER_COLUMNS})
       VALUES (@id, @key_id, @ts, @kind, @amount_micros, @request_id, @note)`,
    ),
    chargeable: db.prepare<[{ keyId: string; cost: number }], { charged: number }>(
      'SELECT MIN(@cost, balance_micros) AS charged FROM accounts WHERE key_id = @keyId',
    ),
    charge: db.prepare<[{ keyId: string; charged: number; ts: number }], { balance_micros: number }>(
      `UPDATE accounts SET balance_micros = balance_micros - @charged, updated_at = @ts
        WHERE key_id = @keyId
       RETURNING balance_micros`,
    ),
    ledger: db.prepare<[string, number, number], LedgerRow>(
      `SELECT ${LEDGER_COLUMNS} FROM ledger WHERE key_id = ? AND ts < ? ORDER BY ts DESC, id DESC LIMIT ?`,
    ),
    ledgerSum: db.prepare<[string], { total: number }>(
      'SELECT COALESCE(SUM(amount_micros), 0) AS total FROM ledger WHERE key_id = ?',
    ),
  };

  const holds = holdRegistryFor(db.name);
  const credit = (input: CreditInput): LedgerEntry => {
    if (stmt.keyExists.get(input.keyId) === undefined) {
      throw new InvalidArgumentError('input.keyId', 'input.keyId does not name a stored key', 'range');
    }
    stmt.ensureAccount.run({ keyId: input.keyId, ts: input.ts });
    const after = stmt.addBalance.get({ keyId: input.keyId, amount: input.amountMicros, ts: input.ts });
    if (after === undefined) {
      throw new InvalidArgumentError(
        'input.amountMicros',
        'input.amountMicros would take the balance below zero',
        'range',
      );
    }
    // Write-through: set inside the savepoint that made it; a failed group commit clears it.
    holds.balances.set(input.keyId, safeInt(after.balance_micros, 'accounts.balance_micros'));
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
  };

  /** Synchronous, so the check and the reservation cannot interleave with anything. */
  const placeHold = (hold: NewHold): PlaceHoldResult => {
    if (holds.holds.has(hold.id)) throw new StoreError('conflict', 'A hold with this id already exists');
    let balance = holds.balances.get(hold.keyId);
    if (balance === undefined) {
      const row = stmt.keyBalance.get(hold.keyId);
      if (row === undefined) return { ok: false, availableMicros: 0 };
      balance = safeInt(row.balance_micros, 'accounts.balance_micros');
      holds.balances.set(hold.keyId, balance);
    }
    const free = balance - holds.held(hold.keyId);
    if (free < hold.amountMicros) return { ok: false, availableMicros: Math.max(0, free) };
    holds.add(hold.id, {
      keyId: hold.keyId,
      amountMicros: hold.amountMicros,
      requestId: hold.requestId,
      expiresAt: hold.expiresAt,
      settling: false,
    });
    return { ok: true, availableMicros: free - hold.amountMicros };
  };

  /** The durable half of a settle: charge the (clamped) cost in one transaction. */
  const charge = (hold: MemoryHold, input: SettleInput): SettleResult => {
    const keyId = hold.keyId;
    // No account row means a zero balance: nothing is chargeable, so nothing to create.
    const charged = safeInt(stmt.chargeable.get({ keyId, cost: input.costMicros })?.charged ?? 0, 'charged');
    if (charged === 0) return { chargedMicros: 0 };
    const after = stmt.charge.get({ keyId, charged, ts: input.ts });
    if (after !== undefined) holds.balances.set(keyId, safeInt(after.balance_micros, 'accounts.balance_micros'));
    const entry: LedgerEntry = {
      id: newLedgerId(),
      keyId,
      ts: input.ts,
      kind: 'charge',
      amountMicros: -charged,
      requestId: hold.requestId,
      note: chargeNote(input.note, input.costMicros, charged),
    };
    stmt.insertLedger.run(toRow(entry));
    return { chargedMicros: charged, entry };
  };

  return {
    async balance(keyId) {
      ensureOpen();
      assertKeyId(keyId, 'keyId');
      const row = stmt.account.get(keyId);
      return {
        keyId,
        balanceMicros: row === undefined ? 0 : safeInt(row.balance_micros, 'accounts.balance_micros'),
        heldMicros: holds.held(keyId),
      };
    },
    async credit(input) {
      ensureOpen();
      assertCreditInput(input);
      try {
        return await group(() =>
          conflictOnDuplicate(() => credit(input), 'A ledger entry with this id already exists'),
        );
      } catch (error) {
        holds.balances.delete(input.keyId); // whatever was cached may not have been committed
        throw error;
      }
    },
    async placeHold(hold) {
      ensureOpen();
      assertNewHold(hold);
      return placeHold(hold);
    },
    async settle(holdId, input) {
      ensureOpen();
      assertRecordId(holdId, 'holdId');
      assertSettleInput(input);
      const hold = holds.holds.get(holdId);
      // Unknown, already settled, or being settled right now: idempotent no-op.
      if (hold === undefined || hold.settling) return undefined;
      hold.settling = true;
      let result: SettleResult;
      try {
        result = await group(() => charge(hold, input));
      } catch (error) {
        hold.settling = false;
        holds.balances.delete(hold.keyId); // whatever was cached may not have been committed
        throw error;
      }
      // Dropped only after the commit: until then the hold still counts, so a concurrent
      // admission sees either the hold or the charge (briefly both: conservative, never over).
      holds.remove(holdId);
      return result;
    },
    async release(holdId) {
      ensureOpen();
      assertRecordId(holdId, 'holdId');
      const hold = holds.holds.get(holdId);
      if (hold !== undefined && !hold.settling) holds.remove(holdId);
    },
    async expireHolds(now) {
      ensureOpen();
      assertTimestamp(now, 'now');
      let released = 0;
      for (const [id, hold] of holds.holds) {
        if (hold.expiresAt < now && !hold.settling) {
          holds.remove(id);
          released += 1;
        }
      }
      return released;
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
