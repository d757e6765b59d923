/**
 * The billing domain on Postgres, safe across many gateway processes sharing one database.
 *
 * Every money operation is a single statement: data-modifying CTEs run as one atomic unit, so
 * no explicit transaction (and none of its extra round trips) is needed on the request path.
 * - placeHold: one conditional `UPDATE … WHERE balance - held >= amount`; the row lock it takes
 *   makes concurrent admissions queue on the account, and each re-checks the condition on the
 *   latest row, so they can never promise more than the balance.
 * - settle: `DELETE … RETURNING` on the hold comes first, so of two replicas settling the same
 *   hold exactly one gets the row and charges; the other sees nothing and changes nothing.
 *   The clamp is computed on the account row locked `FOR UPDATE`, i.e. its latest version.
 * - Money parameters are cast to BIGINT explicitly; left to inference, some would be typed
 *   INTEGER and overflow at $2147.
 */
import { InvalidArgumentError } from '@saferouter/errors';

import {
  assertCreditInput,
  assertNewHold,
  assertRecordId,
  assertSettleInput,
  chargeNote,
  newLedgerId,
  resolveLedgerOptions,
} from './billing-inputs.js';
import type { BillingStore, LedgerEntry } from './billing-types.js';
import { StoreError } from './errors.js';
import { assertKeyId } from './inputs.js';
import {
  isPgCheckViolation,
  isPgForeignKeyViolation,
  isPgUniqueViolation,
  onlyRow,
  type PgSql,
} from './postgres-sql.js';
import { LEDGER_COLUMNS, safeInt, toLedgerEntry, type LedgerRow } from './rows.js';
import { assertTimestamp } from './validate.js';

interface SettleRow {
  key_id: string;
  request_id: string;
  charged: number;
  ledger_id: string | null;
  note: string | null;
}

/**
 * @example
 * const billing = createPostgresBillingStore(sql, ensureOpen);
 */
export function createPostgresBillingStore(sql: PgSql, ensureOpen: () => void): BillingStore {
  const ledgerColumns = sql.unsafe(LEDGER_COLUMNS);

  return {
    async balance(keyId) {
      ensureOpen();
      assertKeyId(keyId, 'keyId');
      const rows = await sql<{ balance_micros: number; held_micros: number }[]>`
        SELECT balance_micros, held_micros FROM accounts WHERE key_id = ${keyId}`;
      const row = rows[0];
      return {
        keyId,
        balanceMicros: row === undefined ? 0 : safeInt(row.balance_micros, 'accounts.balance_micros'),
        heldMicros: row === undefined ? 0 : safeInt(row.held_micros, 'accounts.held_micros'),
      };
    },

    async credit(input) {
      ensureOpen();
      assertCreditInput(input);
      const { id, keyId, amountMicros: amount, kind, ts } = input;
      let rows: LedgerRow[];
      try {
        // The proposed row is never negative (its CHECK fires before ON CONFLICT is considered);
        // a debit only ever applies to an existing account, through the UPDATE, where the
        // balance CHECK refuses to go below zero. A debit with no account inserts nothing.
        rows = await sql<LedgerRow[]>`
          WITH acc AS (
            INSERT INTO accounts AS a (key_id, balance_micros, updated_at)
            SELECT ${keyId}, GREATEST(${amount}::bigint, 0), ${ts}::bigint
             WHERE ${amount}::bigint > 0 OR EXISTS (SELECT 1 FROM accounts WHERE key_id = ${keyId})
            ON CONFLICT (key_id) DO UPDATE
              SET balance_micros = a.balance_micros + ${amount}::bigint, updated_at = ${ts}::bigint
            RETURNING key_id
          )
          INSERT INTO ledger (${ledgerColumns})
          SELECT ${id}, key_id, ${ts}::bigint, ${kind}, ${amount}::bigint, ${input.requestId ?? null}, ${input.note ?? null}
            FROM acc
          RETURNING ${ledgerColumns}`;
      } catch (err) {
        if (isPgCheckViolation(err, 'accounts_balance_nonnegative')) {
          throw new InvalidArgumentError(
            'input.amountMicros',
            'input.amountMicros would take the balance below zero',
            'range',
          );
        }
        if (isPgForeignKeyViolation(err))
          throw new InvalidArgumentError('input.keyId', 'input.keyId does not name a stored key', 'range');
        if (isPgUniqueViolation(err)) {
          throw new StoreError('conflict', 'A ledger entry with this id already exists', { cause: err });
        }
        throw err;
      }
      const row = rows[0];
      if (row === undefined)
        throw new InvalidArgumentError(
          'input.amountMicros',
          'input.amountMicros would take the balance below zero',
          'range',
        );
      return toLedgerEntry(row);
    },

    async placeHold(hold) {
      ensureOpen();
      assertNewHold(hold);
      const { id, keyId, amountMicros: amount, requestId, ts, expiresAt } = hold;
      let row: { placed: number | null; current: number | null };
      try {
        // `ok` has a row when the hold fits. The second branch admits a zero hold on a key that
        // has no account yet (SQLite creates the account lazily; here there is nothing to lock).
        const rows = await sql<{ placed: number | null; current: number | null }[]>`
          WITH upd AS (
            UPDATE accounts SET held_micros = held_micros + ${amount}::bigint, updated_at = ${ts}::bigint
             WHERE key_id = ${keyId} AND balance_micros - held_micros >= ${amount}::bigint
            RETURNING balance_micros - held_micros AS available
          ), ok AS (
            SELECT available FROM upd
            UNION ALL
            SELECT 0::bigint WHERE ${amount}::bigint = 0
               AND NOT EXISTS (SELECT 1 FROM accounts WHERE key_id = ${keyId})
               AND EXISTS (SELECT 1 FROM api_keys WHERE id = ${keyId})
          ), ins AS (
            INSERT INTO holds (id, key_id, amount_micros, request_id, ts, expires_at)
            SELECT ${id}, ${keyId}, ${amount}::bigint, ${requestId}, ${ts}::bigint, ${expiresAt}::bigint FROM ok
            RETURNING id
          )
          SELECT (SELECT available FROM ok LIMIT 1) AS placed,
                 (SELECT GREATEST(balance_micros - held_micros, 0) FROM accounts WHERE key_id = ${keyId}) AS current`;
        row = onlyRow(rows, 'placeHold');
      } catch (err) {
        if (isPgUniqueViolation(err))
          throw new StoreError('conflict', 'A hold with this id already exists', { cause: err });
        throw err;
      }
      if (row.placed !== null) return { ok: true, availableMicros: safeInt(row.placed, 'available') };
      // From the statement's snapshot: under contention it may lag the row that refused the hold.
      return { ok: false, availableMicros: row.current === null ? 0 : safeInt(row.current, 'available') };
    },

    async settle(holdId, input) {
      ensureOpen();
      assertRecordId(holdId, 'holdId');
      assertSettleInput(input);
      const { costMicros: cost, ts } = input;
      // Both possible notes are formatted here, by the same function SQLite uses.
      const fullNote = chargeNote(input.note, cost, cost);
      const clampedNote = chargeNote(input.note, cost, cost - 1);
      const rows = await sql<SettleRow[]>`
        WITH h AS (
          DELETE FROM holds WHERE id = ${holdId} RETURNING key_id, amount_micros, request_id
        ), cur AS (
          SELECT a.key_id, a.balance_micros, LEAST(${cost}::bigint, a.balance_micros) AS charged,
                 h.amount_micros AS held
            FROM accounts a JOIN h ON a.key_id = h.key_id
             FOR UPDATE OF a
        ), upd AS (
          UPDATE accounts a
             SET balance_micros = cur.balance_micros - cur.charged,
                 held_micros = a.held_micros - cur.held,
                 updated_at = ${ts}::bigint
            FROM cur WHERE a.key_id = cur.key_id
          RETURNING a.key_id
        ), led AS (
          INSERT INTO ledger (id, key_id, ts, kind, amount_micros, request_id, note)
          SELECT ${newLedgerId()}, cur.key_id, ${ts}::bigint, 'charge', -cur.charged, h.request_id,
                 CASE WHEN cur.charged < ${cost}::bigint THEN ${clampedNote}::text ELSE ${fullNote}::text END
            FROM cur JOIN h ON true
           WHERE cur.charged > 0
          RETURNING id, note
        )
        SELECT h.key_id, h.request_id, COALESCE(cur.charged, 0)::bigint AS charged, led.id AS ledger_id, led.note
          FROM h LEFT JOIN cur ON true LEFT JOIN led ON true`;
      const row = rows[0];
      if (row === undefined) return undefined;
      const charged = safeInt(row.charged, 'charged');
      if (charged === 0 || row.ledger_id === null) return { chargedMicros: 0 };
      const entry: LedgerEntry = {
        id: row.ledger_id,
        keyId: row.key_id,
        ts,
        kind: 'charge',
        amountMicros: -charged,
        requestId: row.request_id,
        note: row.note,
      };
      return { chargedMicros: charged, entry };
    },

    async release(holdId) {
      ensureOpen();
      assertRecordId(holdId, 'holdId');
      await sql`
        WITH h AS (DELETE FROM holds WHERE id = ${holdId} RETURNING key_id, amount_micros)
        UPDATE accounts a SET held_micros = a.held_micros - h.amount_micros FROM h WHERE a.key_id = h.key_id`;
    },

    async expireHolds(now) {
      ensureOpen();
      assertTimestamp(now, 'now');
      // Deadlock-free against other sweepers and settles: holds another transaction is busy with
      // are skipped (it is removing them anyway), and accounts are locked in key order.
      const rows = await sql<{ n: number }[]>`
        WITH gone AS (
          DELETE FROM holds WHERE id IN (
            SELECT id FROM holds WHERE expires_at < ${now}::bigint ORDER BY id FOR UPDATE SKIP LOCKED)
          RETURNING key_id, amount_micros
        ), per_key AS (
          SELECT key_id, SUM(amount_micros)::bigint AS amount FROM gone GROUP BY key_id
        ), locked AS (
          SELECT key_id FROM accounts WHERE key_id IN (SELECT key_id FROM per_key) ORDER BY key_id FOR UPDATE
        ), upd AS (
          UPDATE accounts a SET held_micros = a.held_micros - p.amount
            FROM per_key p JOIN locked l ON l.key_id = p.key_id
           WHERE a.key_id = p.key_id
          RETURNING a.key_id
        )
        SELECT count(*)::int AS n FROM gone`;
      return onlyRow(rows, 'expireHolds').n;
    },

    async ledger(keyId, options) {
      ensureOpen();
      assertKeyId(keyId, 'keyId');
      const { limit, before } = resolveLedgerOptions(options);
      const rows = await sql<LedgerRow[]>`
        SELECT ${ledgerColumns} FROM ledger WHERE key_id = ${keyId} AND ts < ${before}::bigint
         ORDER BY ts DESC, id DESC LIMIT ${limit}`;
      return rows.map(toLedgerEntry);
    },

    async ledgerSum(keyId) {
      ensureOpen();
      assertKeyId(keyId, 'keyId');
      const rows = await sql<{ total: number }[]>`
        SELECT COALESCE(SUM(amount_micros), 0)::bigint AS total FROM ledger WHERE key_id = ${keyId}`;
      return safeInt(onlyRow(rows, 'ledgerSum').total, 'ledger sum');
    },
  };
}
