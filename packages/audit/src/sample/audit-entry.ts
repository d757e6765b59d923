/**
 * The audit log's entry (leaf) format, version 1: the RFC 8785 (JCS) canonical JSON
 *
 *   {"receipt_sha256":"<hex>","request_commitment":"<hex>","response_commitment":"<hex>","v":1}
 *
 * where each commitment is SHA-256(salt ‖ bytes) with a fresh 32-byte salt, so a short or
 * guessable prompt cannot be brute-forced from the public log, and `receipt_sha256` is the
 * SHA-256 of the receipt's JWS text. No key id, model, time or plaintext. Parsing is strict: the
 * bytes must be exactly the canonical encoding, so one entry has one spelling.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { toHex } from '@saferouter/attest';
import * as v from 'valibot';
import { HEX32, utf8Bytes } from '../encoding.js';
import { AuditError } from '../errors.js';

export const AUDIT_ENTRY_VERSION = 1;
export const SALT_LENGTH = 32;
/** Longest entry accepted (the store keeps entries of at most 4 KiB). */
export const MAX_AUDIT_ENTRY_LENGTH = 4096;

/** An audit entry's fields, each 64 lowercase hex characters. */
export interface AuditEntryFields {
  /** SHA-256(request_salt ‖ request body bytes). */
  readonly requestCommitment: string;
  /** SHA-256(response_salt ‖ response body bytes). */
  readonly responseCommitment: string;
  /** SHA-256 of the receipt's JWS text (ASCII). */
  readonly receiptSha256: string;
}

const hex32 = v.pipe(v.string('must be a string'), v.regex(HEX32, 'must be 64 lowercase hex characters'));
const EntrySchema = v.strictObject(
  {
    v: v.literal(AUDIT_ENTRY_VERSION, 'must be 1'),
    request_commitment: hex32,
    response_commitment: hex32,
    receipt_sha256: hex32,
  },
  (issue) =>
    issue.received === 'undefined' && (issue.path?.length ?? 0) > 0
      ? 'is missing'
      : issue.expected === 'never'
        ? 'is not an audit entry member'
        : 'must be a JSON object',
);

function assertHex32(value: unknown, name: string): asserts value is string {
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string`);
  if (!HEX32.test(value)) throw new RangeError(`${name} must be 64 lowercase hex characters`);
}

function assertBytes(value: unknown, name: string, length?: number): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError(`${name} must be a Uint8Array`);
  if (length !== undefined && value.length !== length) throw new RangeError(`${name} must be ${length} bytes`);
}

/**
 * The entry bytes (canonical JSON, UTF-8).
 *
 * @example
 * const leaf = auditEntry({ requestCommitment, responseCommitment, receiptSha256 });
 * @throws {TypeError} / {RangeError} naming a field that is not 64 lowercase hex characters.
 */
export function auditEntry(fields: AuditEntryFields): Uint8Array {
  if (typeof fields !== 'object' || fields === null) throw new TypeError('fields must be an object');
  assertHex32(fields.requestCommitment, 'fields.requestCommitment');
  assertHex32(fields.responseCommitment, 'fields.responseCommitment');
  assertHex32(fields.receiptSha256, 'fields.receiptSha256');
  // RFC 8785 of this fixed shape, spelt out because it runs per sampled request: members sorted
  // by code unit, values hex (nothing to escape). The tests hold it equal to canonicalJson.
  return utf8Bytes(
    `{"receipt_sha256":"${fields.receiptSha256}","request_commitment":"${fields.requestCommitment}",` +
      `"response_commitment":"${fields.responseCommitment}","v":${AUDIT_ENTRY_VERSION}}`,
  );
}

/**
 * SHA-256(salt ‖ bytes), lowercase hex.
 *
 * @example
 * commitment(requestSalt, requestBody) === entry.requestCommitment;
 * @throws {TypeError} when an argument is not a Uint8Array.
 * @throws {RangeError} when `salt` is not 32 bytes.
 */
export function commitment(salt: Uint8Array, bytes: Uint8Array): string {
  assertBytes(salt, 'salt', SALT_LENGTH);
  assertBytes(bytes, 'bytes');
  return toHex(sha256.create().update(salt).update(bytes).digest());
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Parses entry bytes strictly: UTF-8 JSON with exactly the four members, in canonical form.
 *
 * @example
 * const { requestCommitment } = parseAuditEntry(leaf);
 * @throws {TypeError} when `bytes` is not a Uint8Array.
 * @throws {AuditError} `malformed`, naming what is wrong.
 */
export function parseAuditEntry(bytes: Uint8Array): AuditEntryFields {
  assertBytes(bytes, 'bytes');
  if (bytes.length > MAX_AUDIT_ENTRY_LENGTH)
    throw new AuditError('malformed', `audit entry is longer than ${MAX_AUDIT_ENTRY_LENGTH} bytes`);
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(bytes));
  } catch {
    throw new AuditError('malformed', 'audit entry is not UTF-8 JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new AuditError('malformed', 'audit entry must be a JSON object');
  const result = v.safeParse(EntrySchema, value);
  if (!result.success) {
    const issues = result.issues.map((i) => `${v.getDotPath(i) ?? 'entry'} ${i.message}`);
    throw new AuditError('malformed', `audit entry: ${issues.join('; ')}`);
  }
  const fields: AuditEntryFields = {
    requestCommitment: result.output.request_commitment,
    responseCommitment: result.output.response_commitment,
    receiptSha256: result.output.receipt_sha256,
  };
  const canonical = auditEntry(fields);
  if (canonical.length !== bytes.length || canonical.some((b, i) => b !== bytes[i]))
    throw new AuditError('malformed', 'audit entry is not in canonical (RFC 8785) form');
  return fields;
}
