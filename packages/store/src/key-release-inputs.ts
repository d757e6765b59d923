/**
 * Boundary checks for the key-release domain, shared by every backend so SQLite and Postgres
 * accept and refuse the same records. Messages name the field, never its value.
 */
import { InvalidArgumentError } from '@saferouter/errors';

import type { DeploymentKeyRecord, KeyGrantRecord, KeyHolderRecord, NewKeyRequest } from './key-release-types.js';
import { assertInteger, assertObject, assertString, assertTimestamp } from './validate.js';

const HEX32 = /^[0-9a-f]{64}$/;
const PLATFORM = /^[a-z0-9:-]{1,200}$/;
const REQUEST_ID = /^[A-Za-z0-9_-]{1,64}$/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** The longest bundle accepted: an SEV-SNP bundle with its certificate chain is ~10 KiB. */
export const KEY_RELEASE_BUNDLE_MAX = 64 * 1024;
/** The longest refusal kept. */
export const KEY_RELEASE_REFUSAL_MAX = 1000;

function pattern(value: unknown, name: string, re: RegExp, what: string): asserts value is string {
  if (typeof value !== 'string') throw new InvalidArgumentError(name, `${name} must be a string`, 'type');
  if (!re.test(value)) throw new InvalidArgumentError(name, `${name} must be ${what}`, 'range');
}

/** @throws {InvalidArgumentError} unless `value` is 64 lowercase hex characters (32 bytes). */
export function assertHex32(value: unknown, name: string): asserts value is string {
  pattern(value, name, HEX32, '64 lowercase hex characters');
}

/** @throws {InvalidArgumentError} unless `value` is 1–200 of `a-z 0-9 : -`. */
export function assertPlatform(value: unknown, name = 'platform'): asserts value is string {
  pattern(value, name, PLATFORM, "1 to 200 characters of a-z, 0-9, ':' and '-'");
}

/** @throws {InvalidArgumentError} unless `value` is 1–64 of `A-Z a-z 0-9 _ -`. */
export function assertRequestId(value: unknown, name = 'id'): asserts value is string {
  pattern(value, name, REQUEST_ID, "1 to 64 characters of A-Z, a-z, 0-9, '_' and '-'");
}

function assertLabel(value: unknown, name: string): asserts value is string {
  assertString(value, name, { min: 0, max: 200 });
}

function assertBase64Url(value: unknown, name: string, max: number): asserts value is string {
  assertString(value, name, { min: 1, max });
  pattern(value, name, BASE64URL, 'base64url');
}

/** @throws {InvalidArgumentError} unless `limit` is an integer from 1 to 100. */
export function assertRequestLimit(limit: unknown): asserts limit is number {
  assertInteger(limit, 'limit', { min: 1, max: 100 });
}

/** @throws {InvalidArgumentError} unless `reason` is 1–1000 characters. */
export function assertRefusal(reason: unknown): asserts reason is string {
  assertString(reason, 'reason', { min: 1, max: KEY_RELEASE_REFUSAL_MAX });
}

/** @throws {InvalidArgumentError} naming the first malformed field. */
export function assertDeploymentKeyRecord(rec: unknown): asserts rec is DeploymentKeyRecord {
  assertObject(rec, 'rec');
  assertHex32(rec['measurement'], 'rec.measurement');
  assertPlatform(rec['platform'], 'rec.platform');
  assertHex32(rec['publicKey'], 'rec.publicKey');
  assertHex32(rec['createdBy'], 'rec.createdBy');
  assertTimestamp(rec['createdAt'], 'rec.createdAt');
}

/** @throws {InvalidArgumentError} naming the first malformed field. */
export function assertKeyHolderRecord(rec: unknown): asserts rec is KeyHolderRecord {
  assertObject(rec, 'rec');
  assertHex32(rec['measurement'], 'rec.measurement');
  assertPlatform(rec['platform'], 'rec.platform');
  assertHex32(rec['holder'], 'rec.holder');
  assertLabel(rec['label'], 'rec.label');
  assertTimestamp(rec['seenAt'], 'rec.seenAt');
}

/** @throws {InvalidArgumentError} naming the first malformed field. */
export function assertNewKeyRequest(rec: unknown): asserts rec is NewKeyRequest {
  assertObject(rec, 'rec');
  assertRequestId(rec['id'], 'rec.id');
  assertHex32(rec['measurement'], 'rec.measurement');
  assertPlatform(rec['platform'], 'rec.platform');
  assertHex32(rec['requester'], 'rec.requester');
  assertLabel(rec['label'], 'rec.label');
  assertString(rec['bundle'], 'rec.bundle', { min: 2, max: KEY_RELEASE_BUNDLE_MAX });
  assertTimestamp(rec['createdAt'], 'rec.createdAt');
  assertTimestamp(rec['expiresAt'], 'rec.expiresAt');
}

/** @throws {InvalidArgumentError} naming the first malformed field. */
export function assertKeyGrantRecord(rec: unknown): asserts rec is KeyGrantRecord {
  assertObject(rec, 'rec');
  assertRequestId(rec['requestId'], 'rec.requestId');
  assertHex32(rec['holder'], 'rec.holder');
  assertBase64Url(rec['enc'], 'rec.enc', 256);
  assertBase64Url(rec['ciphertext'], 'rec.ciphertext', 1024);
  assertString(rec['bundle'], 'rec.bundle', { min: 2, max: KEY_RELEASE_BUNDLE_MAX });
  assertTimestamp(rec['createdAt'], 'rec.createdAt');
}
