/**
 * Boundary checks for the audit domain and its page cursor, shared by every backend so that
 * SQLite and Postgres accept and reject exactly the same receipts, samples and pages.
 *
 * The list cursor is the (ts, seq) of the last sample on a page: `ts` alone would skip or repeat
 * samples sharing a timestamp at a page boundary, and `seq` (the order samples were added, see
 * migration-4-audit.ts) is unique, so every sample is visited exactly once. Both parts are
 * integers, so the cursor never has to carry a request id's text.
 */
import { InvalidArgumentError } from '@saferouter/errors';

import type { AuditSampleIndex, NewAuditSample, ReceiptRecord } from './audit-types.js';
import { assertKeyId } from './inputs.js';
import type { TlogCommit } from './tlog-types.js';
import { assertCount, assertInteger, assertObject, assertString, assertTimestamp } from './validate.js';

/** A compact JWS is at most this many characters (16 KiB of ASCII). */
export const MAX_JWS_LENGTH = 16 * 1024;
/** A log entry is at most this many bytes. */
export const MAX_SAMPLE_ENTRY_SIZE = 4096;
/** Each salt is exactly this many random bytes. */
export const SALT_SIZE = 32;
/** Bounds of `pendingSamples(limit)`. */
export const PENDING_MAX_LIMIT = 1000;
/** Default and maximum page size of `listSamples()`. */
export const SAMPLES_DEFAULT_LIMIT = 50;
export const SAMPLES_MAX_LIMIT = 500;

/** Printable ASCII without spaces: base64url segments and dots, or anything else visible. */
const JWS_TEXT = /^[\x21-\x7e]+$/;

/** A position in the newest-first order: strictly older samples come next. */
export interface SampleCursor {
  ts: number;
  seq: number;
}

/**
 * @throws {InvalidArgumentError} when `value` is not a 1–128 character string.
 */
export function assertRequestId(value: unknown, name = 'requestId'): asserts value is string {
  assertString(value, name, { min: 1, max: 128 });
}

function assertBytes(value: unknown, name: string, min: number, max: number): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw new InvalidArgumentError(name, `${name} must be a Uint8Array`, 'type');
  if (value.length < min || value.length > max) {
    const size = min === max ? `exactly ${min}` : `${min} to ${max}`;
    throw new InvalidArgumentError(name, `${name} must be ${size} bytes long`, 'range');
  }
}

/**
 * @throws {InvalidArgumentError} naming the first malformed field, e.g. `receipts[2].jws`.
 */
export function assertReceiptRecord(rec: unknown, name: string): asserts rec is ReceiptRecord {
  assertObject(rec, name);
  assertRequestId(rec['requestId'], `${name}.requestId`);
  assertKeyId(rec['keyId'], `${name}.keyId`);
  assertTimestamp(rec['ts'], `${name}.ts`);
  assertString(rec['jws'], `${name}.jws`, { min: 1, max: MAX_JWS_LENGTH });
  if (!JWS_TEXT.test(rec['jws'])) {
    throw new InvalidArgumentError(`${name}.jws`, `${name}.jws must be printable ASCII without spaces`, 'range');
  }
}

/**
 * Checks a whole batch before anything is written, so a bad record rejects the batch instead of
 * leaving half of it stored.
 *
 * @throws {InvalidArgumentError} on a non-array or any malformed record.
 */
export function assertReceipts(receipts: unknown): asserts receipts is readonly ReceiptRecord[] {
  if (!Array.isArray(receipts)) throw new InvalidArgumentError('receipts', 'receipts must be an array', 'type');
  receipts.forEach((r: unknown, i) => assertReceiptRecord(r, `receipts[${i}]`));
}

/**
 * @throws {InvalidArgumentError} naming the first malformed field, e.g. `sample.requestSalt`.
 */
export function assertNewSample(sample: unknown): asserts sample is NewAuditSample {
  assertObject(sample, 'sample');
  assertRequestId(sample['requestId'], 'sample.requestId');
  assertKeyId(sample['keyId'], 'sample.keyId');
  assertTimestamp(sample['ts'], 'sample.ts');
  assertBytes(sample['entry'], 'sample.entry', 1, MAX_SAMPLE_ENTRY_SIZE);
  assertBytes(sample['requestSalt'], 'sample.requestSalt', SALT_SIZE, SALT_SIZE);
  assertBytes(sample['responseSalt'], 'sample.responseSalt', SALT_SIZE, SALT_SIZE);
}

/**
 * The samples an `integrate` names must be among the entries its commit appends: each index in
 * [previousSize, size), no request id and no index twice. Run after the commit's own check.
 *
 * @throws {InvalidArgumentError} on a non-array, a malformed item, a repeat or an index outside the commit.
 */
export function assertSampleIndexes(
  indexes: unknown,
  commit: TlogCommit,
): asserts indexes is readonly AuditSampleIndex[] {
  if (!Array.isArray(indexes)) throw new InvalidArgumentError('indexes', 'indexes must be an array', 'type');
  const ids = new Set<string>();
  const seen = new Set<number>();
  indexes.forEach((item: unknown, i) => {
    const name = `indexes[${i}]`;
    assertObject(item, name);
    assertRequestId(item['requestId'], `${name}.requestId`);
    assertCount(item['index'], `${name}.index`);
    if (item['index'] < commit.previousSize || item['index'] >= commit.size) {
      throw new InvalidArgumentError(`${name}.index`, `${name}.index must be an entry the commit appends`, 'range');
    }
    if (ids.has(item['requestId']))
      throw new InvalidArgumentError(`${name}.requestId`, `${name}.requestId is named twice`, 'range');
    if (seen.has(item['index']))
      throw new InvalidArgumentError(`${name}.index`, `${name}.index is given twice`, 'range');
    ids.add(item['requestId']);
    seen.add(item['index']);
  });
}

/**
 * @throws {InvalidArgumentError} on a malformed filter.
 */
export function assertSampleFilter(filter: unknown): asserts filter is { keyId?: string | undefined } {
  assertObject(filter, 'filter');
  if (filter['keyId'] !== undefined) assertKeyId(filter['keyId'], 'filter.keyId');
}

/**
 * @throws {InvalidArgumentError} when `limit` is not an integer from 1 to 1000.
 */
export function assertPendingLimit(limit: unknown): asserts limit is number {
  assertInteger(limit, 'limit', { min: 1, max: PENDING_MAX_LIMIT });
}

/**
 * Resolves `listSamples()` paging: `limit` 1–500 (default 50) and the decoded cursor, if any.
 *
 * @throws {InvalidArgumentError} (reason `type`) when `page` or its fields have the wrong type.
 * @throws {InvalidArgumentError} (reason `range`) when `limit` is out of bounds or `cursor` is malformed.
 */
export function resolveSamplePage(page: unknown): { limit: number; cursor: SampleCursor | undefined } {
  if (page === undefined) return { limit: SAMPLES_DEFAULT_LIMIT, cursor: undefined };
  assertObject(page, 'page');
  const limit = page['limit'] ?? SAMPLES_DEFAULT_LIMIT;
  assertInteger(limit, 'page.limit', { min: 1, max: SAMPLES_MAX_LIMIT });
  const raw = page['cursor'];
  if (raw === undefined) return { limit, cursor: undefined };
  if (typeof raw !== 'string') throw new InvalidArgumentError('page.cursor', 'page.cursor must be a string', 'type');
  return { limit, cursor: decodeSampleCursor(raw) };
}

/**
 * @example
 * encodeSampleCursor({ ts: 1700000000000, seq: 42 }); // 'MTcwMDAwMDAwMDAwMDo0Mg'
 */
export function encodeSampleCursor(cursor: SampleCursor): string {
  return Buffer.from(`${cursor.ts}:${cursor.seq}`, 'utf8').toString('base64url');
}

const CURSOR_TEXT = /^(0|[1-9][0-9]{0,15}):(0|[1-9][0-9]{0,15})$/;

/**
 * Accepts only what `encodeSampleCursor` produces: Node's base64url decoder skips invalid
 * characters silently, so the text is re-encoded and compared before it is trusted.
 *
 * @throws {InvalidArgumentError} (reason `range`) when `text` is not a cursor this store issued.
 */
export function decodeSampleCursor(text: string): SampleCursor {
  const malformed = (): InvalidArgumentError =>
    new InvalidArgumentError('page.cursor', 'page.cursor is malformed', 'range');
  if (text.length === 0 || text.length > 64 || !/^[A-Za-z0-9_-]+$/.test(text)) throw malformed();
  const decoded = Buffer.from(text, 'base64url').toString('utf8');
  if (Buffer.from(decoded, 'utf8').toString('base64url') !== text) throw malformed();
  const match = CURSOR_TEXT.exec(decoded);
  const ts = Number(match?.[1]);
  const seq = Number(match?.[2]);
  if (match === null || !Number.isSafeInteger(ts) || !Number.isSafeInteger(seq)) throw malformed();
  return { ts, seq };
}
