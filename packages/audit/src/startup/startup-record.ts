/**
 * The record every gateway start appends to the startup log: which build (measurement and the
 * binary's hash), which keys, for which deployment, when, and the attestation that vouches for
 * it, whole, so the record can be checked offline. The attestation answers a nonce derived from
 * the record itself, so it cannot be a quote replayed from another start:
 *
 *   nonce = SHA-256( "saferouter/startup/v1\n" ‖ time ‖ "\n" ‖ audience )
 *
 * The entry is the RFC 8785 canonical JSON of the record (UTF-8), at most 64 KiB. Browser-safe
 * (SHA-256 from @noble/hashes); building a record from an attestor is in `@saferouter/audit/node`.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { AttestationBundleSchema, bundleToJson, canonicalJson, type AttestationBundle } from '@saferouter/attest';
import * as v from 'valibot';
import { HEX32, sha256Hex, utf8Bytes } from '../encoding.js';
import { AuditError } from '../errors.js';

export const STARTUP_RECORD_TYPE = 'saferouter/startup/v1';
/** Longest startup entry accepted. */
export const MAX_STARTUP_ENTRY_LENGTH = 64 * 1024;

export interface StartupRecord {
  type: typeof STARTUP_RECORD_TYPE;
  /** ISO 8601. */
  time: string;
  audience: string;
  build: { id: string; measurement: string };
  keys: { signing: string; sealing: string; log: string };
  attestation: { backend: string; hardware: boolean; sha256: string; bundle: AttestationBundle };
}

/**
 * The nonce a start's attestation answers.
 *
 * @example
 * const nonce = startupNonce(record.time, record.audience);
 */
export function startupNonce(time: string, audience: string): Uint8Array {
  if (typeof time !== 'string') throw new TypeError('time must be a string');
  if (typeof audience !== 'string') throw new TypeError('audience must be a string');
  return sha256(utf8Bytes(`${STARTUP_RECORD_TYPE}\n${time}\n${audience}`));
}

/**
 * The entry bytes of a record: its RFC 8785 canonical JSON, UTF-8.
 *
 * @example
 * const entry = encodeStartupRecord(record);
 * @throws {TypeError} / {RangeError} for values JSON cannot hold.
 */
export function encodeStartupRecord(record: StartupRecord): Uint8Array {
  return utf8Bytes(canonicalJson(record));
}

/** SHA-256 (hex) of a bundle's canonical JSON, as `attestation.sha256` holds it. */
export function bundleSha256(bundle: AttestationBundle): string {
  return sha256Hex(utf8Bytes(bundleToJson(bundle)));
}

const hex32 = v.pipe(v.string('must be a string'), v.regex(HEX32, 'must be 64 lowercase hex characters'));
const text = v.pipe(v.string('must be a string'), v.minLength(1, 'must not be empty'), v.maxLength(1024));
const message = (issue: v.BaseIssue<unknown>): string =>
  issue.received === 'undefined' && (issue.path?.length ?? 0) > 0 ? 'is missing' : 'must be a JSON object';

const StartupRecordSchema = v.object(
  {
    type: v.literal(STARTUP_RECORD_TYPE, `must be "${STARTUP_RECORD_TYPE}"`),
    time: v.pipe(v.string('must be a string'), v.isoTimestamp('must be an ISO 8601 timestamp')),
    audience: text,
    build: v.object({ id: hex32, measurement: hex32 }, message),
    keys: v.object({ signing: hex32, sealing: hex32, log: text }, message),
    attestation: v.object(
      { backend: text, hardware: v.boolean('must be a boolean'), sha256: hex32, bundle: AttestationBundleSchema },
      message,
    ),
  },
  message,
);

const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Parses and validates a startup log entry. Beyond the types it checks that the record agrees
 * with its own attestation: the bundle's hash, measurement, keys, backend and nonce. (Whether the
 * attestation itself verifies is `verifyBundle`'s job, in @saferouter/attest.)
 *
 * @example
 * const record = parseStartupRecord(entry);
 * const verdict = await verifyBundle(record.attestation.bundle, { nonce: startupNonce(record.time, record.audience) });
 * @throws {TypeError} when `entry` is not a Uint8Array.
 * @throws {AuditError} `malformed`, naming what is wrong.
 */
export function parseStartupRecord(entry: Uint8Array): StartupRecord {
  if (!(entry instanceof Uint8Array)) throw new TypeError('entry must be a Uint8Array');
  if (entry.length > MAX_STARTUP_ENTRY_LENGTH)
    throw new AuditError('malformed', `startup record is longer than ${MAX_STARTUP_ENTRY_LENGTH} bytes`);
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(entry));
  } catch {
    throw new AuditError('malformed', 'startup record is not UTF-8 JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new AuditError('malformed', 'startup record must be a JSON object');
  const result = v.safeParse(StartupRecordSchema, value);
  if (!result.success) {
    const issues = result.issues.map((i) => `${v.getDotPath(i) ?? 'record'} ${i.message}`);
    throw new AuditError('malformed', `startup record: ${issues.join('; ')}`);
  }
  const record = result.output;
  const { bundle } = record.attestation;
  const disagree = (what: string): AuditError =>
    new AuditError('malformed', `startup record: ${what} does not match the attestation bundle`);
  if (record.attestation.sha256 !== bundleSha256(bundle)) throw disagree('attestation.sha256');
  if (record.build.measurement !== bundle.measurement) throw disagree('build.measurement');
  if (record.keys.signing !== bundle.signingKey) throw disagree('keys.signing');
  if (record.keys.sealing !== bundle.sealingKey) throw disagree('keys.sealing');
  if (record.attestation.backend !== bundle.backend || record.attestation.hardware !== bundle.hardware)
    throw disagree('attestation.backend/hardware');
  if (bundle.nonce !== sha256Hex(utf8Bytes(`${STARTUP_RECORD_TYPE}\n${record.time}\n${record.audience}`)))
    throw disagree('the nonce derived from time and audience');
  return record;
}
