/**
 * What a request's holder checks about a sample from `GET /v1/audit/samples`: the entry opens
 * with their own request and response bytes (both commitments), it names their receipt, and it
 * is in the public audit log (an RFC 6962 inclusion proof against a checkpoint signed by the log
 * key). Checks, always in this order:
 *
 *   entry → commitments → receipt → checkpoint → inclusion
 *
 * A sample not yet integrated (index null, no proof) is pending: `inclusion` is skipped and the
 * result is not ok. `verifySample` never throws; `assertSample` throws an `AuditError`.
 */
import { fromHex } from '@saferouter/attest';
import {
  decodeBase64,
  leafHash,
  openCheckpoint,
  parseVerifierKey,
  verifyInclusion,
  type Checkpoint,
} from '@saferouter/tlog';
import { CheckList, errorMessage, type Verification } from '../checks.js';
import { verificationError } from '../errors.js';
import { sha256Hex, utf8Bytes } from '../encoding.js';
import { commitment, parseAuditEntry, SALT_LENGTH, type AuditEntryFields } from './audit-entry.js';

/** One item of `GET /v1/audit/samples`, as JSON. */
export interface AuditSampleJson {
  /** The request id. */
  readonly id: string;
  /** The entry's index in the audit log; null while pending. */
  readonly index: number | null;
  /** Standard base64 of the entry (leaf) bytes. */
  readonly entry: string;
  /** 64 hex characters each. */
  readonly request_salt: string;
  readonly response_salt: string;
  /** Standard base64 of each 32-byte proof hash, leaf upwards; absent, null or empty while pending. */
  readonly inclusion_proof?: readonly string[] | null | undefined;
  /** The signed checkpoint note the proof is for; absent or null while pending. */
  readonly checkpoint?: string | null | undefined;
}

export interface VerifySampleOptions {
  /** The exact request body bytes the holder sent. */
  readonly request: Uint8Array;
  /** The exact response body bytes the holder received (for streams: before the receipt event). */
  readonly response: Uint8Array;
  /** The request's receipt (compact JWS): checks `receipt_sha256`. */
  readonly receipt?: string | undefined;
  /** The log key as a C2SP verifier key (`name+keyid+base64`), e.g. `vkey` of `/attestation/audit/head?format=json`. */
  readonly logKey: string;
  /** The checkpoint origin the log must have, e.g. `example.com/saferouter/audit`; unchecked when absent. */
  readonly origin?: string | undefined;
}

export const SAMPLE_CHECK_IDS = ['entry', 'commitments', 'receipt', 'checkpoint', 'inclusion'] as const;
export const PENDING_ISSUE = 'pending: not yet in a checkpoint';

function asObject(value: unknown, name: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null) throw new TypeError(`${name} must be an object`);
  return value as Record<string, unknown>;
}

function salt(value: unknown, name: string): Uint8Array {
  const bytes = fromHex(value as string, name);
  if (bytes.length !== SALT_LENGTH) throw new RangeError(`${name} must be ${SALT_LENGTH} bytes (64 hex characters)`);
  return bytes;
}

function bytesOption(value: unknown, name: string): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError(`options.${name} must be a Uint8Array`);
  return value;
}

function checkCommitments(sample: Record<string, unknown>, fields: AuditEntryFields, opts: Record<string, unknown>) {
  const mismatched: string[] = [];
  const request = commitment(salt(sample.request_salt, 'request_salt'), bytesOption(opts.request, 'request'));
  if (request !== fields.requestCommitment) mismatched.push('request_commitment (request bytes and request_salt)');
  const response = commitment(salt(sample.response_salt, 'response_salt'), bytesOption(opts.response, 'response'));
  if (response !== fields.responseCommitment) mismatched.push('response_commitment (response bytes and response_salt)');
  if (mismatched.length > 0) throw new Error(`does not open: ${mismatched.join(', ')}`);
}

function proofHashes(value: unknown): Uint8Array[] {
  if (!Array.isArray(value)) throw new TypeError('inclusion_proof must be an array');
  return value.map((h: unknown, i) => {
    if (typeof h !== 'string') throw new TypeError(`inclusion_proof[${i}] must be a base64 string`);
    return decodeBase64(h);
  });
}

/**
 * Never throws: malformed samples and options come back as failed checks.
 *
 * @example
 * const r = await verifySample(sample, { request: sentBody, response: receivedBody, receipt, logKey: head.vkey });
 * if (!r.ok) console.error(r.issues);
 */
export async function verifySample(sample: AuditSampleJson, options: VerifySampleOptions): Promise<Verification> {
  const checks = new CheckList();
  let s: Record<string, unknown> = {};
  let opts: Record<string, unknown> = {};
  let entry: Uint8Array | undefined;
  let fields: AuditEntryFields | undefined;
  try {
    s = asObject(sample, 'sample');
    opts = asObject(options, 'options');
    if (typeof s.entry !== 'string') throw new TypeError('entry must be a base64 string');
    entry = decodeBase64(s.entry);
    fields = parseAuditEntry(entry);
    checks.pass('entry', 'a v1 audit entry');
  } catch (error) {
    checks.fail('entry', errorMessage(error));
  }

  if (fields === undefined) checks.skip('commitments', 'not checked: the entry is not valid');
  else {
    try {
      checkCommitments(s, fields, opts);
      checks.pass('commitments', 'both commitments open with the given bytes and salts');
    } catch (error) {
      checks.fail('commitments', `commitments ${errorMessage(error)}`);
    }
  }

  if (opts.receipt === undefined) checks.skip('receipt', 'not checked: no receipt given');
  else if (fields === undefined) checks.skip('receipt', 'not checked: the entry is not valid');
  else if (typeof opts.receipt !== 'string') checks.fail('receipt', 'options.receipt must be a string');
  else if (sha256Hex(utf8Bytes(opts.receipt)) === fields.receiptSha256)
    checks.pass('receipt', 'receipt_sha256 is the SHA-256 of the given receipt');
  else checks.fail('receipt', 'receipt_sha256 is not the SHA-256 of the given receipt');

  let checkpoint: Checkpoint | undefined;
  if (s.checkpoint === undefined || s.checkpoint === null) {
    checks.skip('checkpoint', 'not checked: the sample has no checkpoint');
  } else {
    try {
      if (typeof s.checkpoint !== 'string') throw new TypeError('checkpoint must be a signed note string');
      if (typeof opts.logKey !== 'string') throw new TypeError('options.logKey must be a C2SP verifier key string');
      const verifier = parseVerifierKey(opts.logKey);
      const origin = typeof opts.origin === 'string' ? { origin: opts.origin } : {};
      checkpoint = (await openCheckpoint(s.checkpoint, { verifier, ...origin })).checkpoint;
      checks.pass('checkpoint', `${checkpoint.origin} at size ${checkpoint.size}, signed by ${verifier.name}`);
    } catch (error) {
      checks.fail('checkpoint', `checkpoint: ${errorMessage(error)}`);
    }
  }

  const proof = s.inclusion_proof;
  const pending = s.index === null || s.index === undefined || proof === null || proof === undefined;
  if (pending) {
    checks.skip('inclusion', 'not checked: the sample is pending');
    checks.issue(PENDING_ISSUE);
  } else if (entry === undefined || checkpoint === undefined) {
    checks.skip('inclusion', 'not checked: no valid entry or checkpoint');
  } else {
    try {
      const index = s.index;
      if (typeof index !== 'number') throw new TypeError('index must be a number or null');
      const result = verifyInclusion({
        index,
        size: checkpoint.size,
        leafHash: leafHash(entry),
        proof: proofHashes(proof),
        rootHash: checkpoint.rootHash,
      });
      if (result.ok) checks.pass('inclusion', `entry ${index} is in the log of size ${checkpoint.size}`);
      else checks.fail('inclusion', `inclusion: ${result.issues.join('; ')}`);
    } catch (error) {
      checks.fail('inclusion', `inclusion: ${errorMessage(error)}`);
    }
  }
  return checks.result();
}

/**
 * @example
 * await assertSample(sample, { request, response, logKey });
 * @throws {AuditError} `verification`, with `check` the first failed check (`inclusion` when pending).
 */
export async function assertSample(sample: AuditSampleJson, options: VerifySampleOptions): Promise<void> {
  const result = await verifySample(sample, options);
  if (!result.ok) throw verificationError('audit sample', result, 'inclusion');
}
