/**
 * Boundary checks and small shared rules for the billing domain, used by every backend so that
 * SQLite and Postgres accept, reject and record exactly the same things.
 */
import { InvalidArgumentError } from '@saferouter/errors';

import type { LedgerKind, NewHold, SettleInput } from './billing-types.js';
import { timeOrderedId } from './ids.js';
import { assertKeyId } from './inputs.js';
import { assertInteger, assertObject, assertOneOf, assertString, assertTimestamp } from './validate.js';

/**
 * The largest amount one operation may move: 10^15 micro-dollars, a billion dollars. Far
 * below 2^53, so even thousands of maximal top-ups cannot push a balance past what a double
 * represents exactly.
 */
export const MAX_MICROS = 1_000_000_000_000_000;

/** Default and maximum page size of `ledger()`. */
export const LEDGER_DEFAULT_LIMIT = 100;
export const LEDGER_MAX_LIMIT = 1000;

/** The input of `BillingStore.credit`, named once for both backends. */
export interface CreditInput {
  id: string;
  keyId: string;
  amountMicros: number;
  kind: 'topup' | 'adjustment';
  ts: number;
  note?: string | undefined;
  requestId?: string | undefined;
}

const CREDIT_KINDS: readonly CreditInput['kind'][] = ['topup', 'adjustment'];

/**
 * Ledger, hold and request ids: opaque, non-empty, bounded.
 *
 * @throws {InvalidArgumentError} when `value` is not a 1–128 character string.
 */
export function assertRecordId(value: unknown, name: string): asserts value is string {
  assertString(value, name, { min: 1, max: 128 });
}

function assertOptionalNote(value: unknown, name: string): asserts value is string | undefined {
  if (value !== undefined) assertString(value, name, { min: 0, max: 500 });
}

/**
 * A top-up must add money; an adjustment may go either way but must move something, since a
 * zero row would only clutter the ledger.
 *
 * @throws {InvalidArgumentError} on any malformed field.
 */
export function assertCreditInput(input: unknown): asserts input is CreditInput {
  assertObject(input, 'input');
  assertRecordId(input['id'], 'input.id');
  assertKeyId(input['keyId'], 'input.keyId');
  assertOneOf(input['kind'], 'input.kind', CREDIT_KINDS);
  const min = input['kind'] === 'topup' ? 1 : -MAX_MICROS;
  assertInteger(input['amountMicros'], 'input.amountMicros', { min, max: MAX_MICROS });
  if (input['amountMicros'] === 0)
    throw new InvalidArgumentError('input.amountMicros', 'input.amountMicros must not be 0', 'range');
  assertTimestamp(input['ts'], 'input.ts');
  assertOptionalNote(input['note'], 'input.note');
  if (input['requestId'] !== undefined) assertRecordId(input['requestId'], 'input.requestId');
}

/**
 * A zero hold is allowed (a free model still gets a hold, so settle has one code path); it
 * succeeds whenever the key's balance is not overcommitted.
 *
 * @throws {InvalidArgumentError} on any malformed field.
 */
export function assertNewHold(hold: unknown): asserts hold is NewHold {
  assertObject(hold, 'hold');
  assertRecordId(hold['id'], 'hold.id');
  assertKeyId(hold['keyId'], 'hold.keyId');
  assertInteger(hold['amountMicros'], 'hold.amountMicros', { min: 0, max: MAX_MICROS });
  assertRecordId(hold['requestId'], 'hold.requestId');
  assertTimestamp(hold['ts'], 'hold.ts');
  assertTimestamp(hold['expiresAt'], 'hold.expiresAt');
}

/**
 * @throws {InvalidArgumentError} on any malformed field.
 */
export function assertSettleInput(input: unknown): asserts input is SettleInput {
  assertObject(input, 'input');
  assertInteger(input['costMicros'], 'input.costMicros', { min: 0, max: MAX_MICROS });
  assertTimestamp(input['ts'], 'input.ts');
  assertOptionalNote(input['note'], 'input.note');
}

/**
 * Resolves `ledger()` options: `limit` 1–1000 (default 100), `before` an exclusive upper bound
 * on `ts` (default: no bound).
 *
 * @throws {InvalidArgumentError} on malformed options.
 */
export function resolveLedgerOptions(options: unknown): { limit: number; before: number } {
  if (options === undefined) return { limit: LEDGER_DEFAULT_LIMIT, before: Number.MAX_SAFE_INTEGER };
  assertObject(options, 'options');
  const limit = options['limit'] ?? LEDGER_DEFAULT_LIMIT;
  assertInteger(limit, 'options.limit', { min: 1, max: LEDGER_MAX_LIMIT });
  const before = options['before'] ?? Number.MAX_SAFE_INTEGER;
  assertTimestamp(before, 'options.before');
  return { limit, before };
}

/**
 * The note of a charge row: the caller's note, plus `clamped from N` when the balance could not
 * pay the full cost, so an audit can tell a clamp from a cheap request.
 *
 * @example
 * chargeNote('estimated', 900, 400); // 'estimated; clamped from 900'
 */
export function chargeNote(note: string | undefined, costMicros: number, chargedMicros: number): string | null {
  const clamp = chargedMicros < costMicros ? `clamped from ${costMicros}` : undefined;
  const parts = [note, clamp].filter((p): p is string => p !== undefined && p !== '');
  return parts.length === 0 ? null : parts.join('; ');
}

/**
 * Ids for the charge rows the store writes itself (settle has no caller-supplied ledger id).
 *
 * @example
 * newLedgerId(); // 'led_3f9c…' (24 hex chars)
 */
export function newLedgerId(): string {
  return timeOrderedId('led');
}

/** Every ledger kind, for schema checks and tests. */
export const LEDGER_KINDS: readonly LedgerKind[] = ['topup', 'charge', 'adjustment'];
