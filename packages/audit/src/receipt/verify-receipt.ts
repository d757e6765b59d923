/**
 * Verifies a receipt with the signing key a verifier already trusts (from the attestation or the
 * startup record named by `startup_index`), and optionally against the holder's own request and
 * response bytes. Checks, always in this order:
 *
 *   format → key → signature → payload → request → response → measurement → id
 *
 * Ed25519 is @noble/curves with RFC 8032's strict rules (no ZIP-215 leniency), so one signature
 * has one valid encoding, as in OpenSSL and WebCrypto. `verifyReceipt` never throws;
 * `assertReceipt` throws an `AuditError` naming the first failed check.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { fromHex, toHex } from '@saferouter/attest';
import { CheckList, errorMessage, type Check } from '../checks.js';
import { verificationError } from '../errors.js';
import { decodeBase64Url, HEX32, sha256Hex, utf8Bytes } from '../encoding.js';
import {
  MAX_RECEIPT_LENGTH,
  RECEIPT_ALG,
  RECEIPT_TYP,
  safeParseReceiptPayload,
  type ReceiptHeader,
  type ReceiptPayload,
} from './receipt-format.js';

export interface VerifyReceiptOptions {
  /** The Ed25519 public key the receipt must be signed with: 32 bytes, or 64 hex characters. */
  readonly signingKey: Uint8Array | string;
  /** The exact request body bytes sent: checks `request_sha256`. */
  readonly request?: Uint8Array | undefined;
  /** The exact response body bytes received before the receipt: checks `response_sha256`. */
  readonly response?: Uint8Array | undefined;
  /** The expected measurement (hex): checks `measurement`. */
  readonly measurement?: string | undefined;
  /** The expected request id (`X-Request-Id`): checks `id`. */
  readonly requestId?: string | undefined;
}

export interface ReceiptVerification {
  readonly ok: boolean;
  readonly checks: readonly Check[];
  readonly issues: readonly string[];
  /** The payload, when the signature and the payload schema passed. */
  readonly payload?: ReceiptPayload;
  /** The protected header, when `format` passed. */
  readonly header?: ReceiptHeader;
}

/** The ids of `verifyReceipt`'s checks, in order. */
export const RECEIPT_CHECK_IDS = [
  'format',
  'key',
  'signature',
  'payload',
  'request',
  'response',
  'measurement',
  'id',
] as const;

interface Parsed {
  header: ReceiptHeader;
  payloadBytes: Uint8Array;
  signature: Uint8Array;
  signingInput: Uint8Array;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

function parseHeader(bytes: Uint8Array): ReceiptHeader {
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(bytes));
  } catch {
    throw new Error('the protected header is not UTF-8 JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error('the protected header is not a JSON object');
  const record = value as Record<string, unknown>;
  const extra = Object.keys(record).filter((k) => k !== 'alg' && k !== 'typ' && k !== 'kid');
  if (extra.length > 0) throw new Error(`the protected header has unexpected members: ${extra.join(', ')}`);
  if (record.alg !== RECEIPT_ALG) throw new Error(`header alg must be "${RECEIPT_ALG}"`);
  if (record.typ !== RECEIPT_TYP) throw new Error(`header typ must be "${RECEIPT_TYP}"`);
  if (typeof record.kid !== 'string' || !HEX32.test(record.kid))
    throw new Error('header kid must be 64 lowercase hex characters');
  return { alg: RECEIPT_ALG, typ: RECEIPT_TYP, kid: record.kid };
}

function parseJws(jws: unknown): Parsed {
  if (typeof jws !== 'string') throw new Error('the receipt must be a string');
  if (jws.length > MAX_RECEIPT_LENGTH) throw new Error(`the receipt is longer than ${MAX_RECEIPT_LENGTH} characters`);
  const parts = jws.split('.');
  if (parts.length !== 3) throw new Error(`a compact JWS has 3 parts, this has ${parts.length}`);
  const [h, p, s] = parts as [string, string, string];
  const names = ['header', 'payload', 'signature'];
  const decoded = [h, p, s].map((part, i) => {
    const bytes = part === '' ? undefined : decodeBase64Url(part);
    if (bytes === undefined) throw new Error(`the ${names[i]} part is not unpadded base64url`);
    return bytes;
  }) as [Uint8Array, Uint8Array, Uint8Array];
  if (decoded[2].length !== 64) throw new Error('the signature part must decode to 64 bytes');
  return {
    header: parseHeader(decoded[0]),
    payloadBytes: decoded[1],
    signature: decoded[2],
    signingInput: utf8Bytes(`${h}.${p}`),
  };
}

function parseKey(key: unknown): string {
  if (key instanceof Uint8Array) {
    if (key.length !== 32) throw new RangeError('options.signingKey must be 32 bytes');
    return toHex(key);
  }
  if (typeof key !== 'string') throw new TypeError('options.signingKey must be a Uint8Array or a hex string');
  const lower = key.toLowerCase();
  if (!HEX32.test(lower)) throw new RangeError('options.signingKey must be 64 hex characters');
  return lower;
}

function parsePayload(bytes: Uint8Array): { payload?: ReceiptPayload; issues: string[] } {
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(bytes));
  } catch {
    return { issues: ['payload is not UTF-8 JSON'] };
  }
  const result = safeParseReceiptPayload(value);
  return result.ok ? { payload: result.payload, issues: [] } : { issues: result.issues };
}

/** A comparison of a payload field against something the verifier was given. */
function compare(
  checks: CheckList,
  id: string,
  given: unknown,
  payload: ReceiptPayload | undefined,
  run: (payload: ReceiptPayload) => string | undefined,
  pass: string,
): void {
  if (given === undefined) return checks.skip(id, `not checked: no ${id} given`);
  if (payload === undefined) return checks.skip(id, 'not checked: the payload is not valid');
  try {
    const failure = run(payload);
    if (failure === undefined) checks.pass(id, pass);
    else checks.fail(id, failure);
  } catch (error) {
    checks.fail(id, errorMessage(error));
  }
}

function verifyEd25519(parsed: Parsed, key: string): boolean {
  try {
    return ed25519.verify(parsed.signature, parsed.signingInput, fromHex(key), { zip215: false });
  } catch {
    return false; // a key that is not a curve point
  }
}

function bytesOption(value: unknown, name: string): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError(`options.${name} must be a Uint8Array`);
  return value;
}

/**
 * Never throws: a malformed receipt or option comes back as a failed check.
 *
 * @example
 * const r = await verifyReceipt(res.headers.get('x-saferouter-receipt') ?? '', { signingKey, request: body });
 * if (!r.ok) console.error(r.issues);
 */
export async function verifyReceipt(jws: string, options: VerifyReceiptOptions): Promise<ReceiptVerification> {
  const checks = new CheckList();
  const opts: Partial<VerifyReceiptOptions> = typeof options === 'object' && options !== null ? options : {};
  let parsed: Parsed | undefined;
  try {
    parsed = parseJws(jws);
    checks.pass('format', 'a compact JWS with an EdDSA saferouter-receipt header');
  } catch (error) {
    checks.fail('format', errorMessage(error));
  }

  let key: string | undefined;
  try {
    key = parseKey(opts.signingKey);
    if (parsed === undefined) checks.skip('key', 'not checked: the receipt could not be parsed');
    else if (parsed.header.kid === key) checks.pass('key', 'kid is the given signing key');
    else checks.fail('key', `kid ${parsed.header.kid} is not the given signing key ${key}`);
  } catch (error) {
    checks.fail('key', errorMessage(error));
  }

  let signed = false;
  if (parsed === undefined || key === undefined) {
    checks.skip('signature', 'not checked: no receipt or no signing key');
  } else if (verifyEd25519(parsed, key)) {
    signed = true;
    checks.pass('signature', 'Ed25519 signature by the given key verifies');
  } else {
    checks.fail('signature', 'the Ed25519 signature does not verify with the given key');
  }

  let payload: ReceiptPayload | undefined;
  if (parsed === undefined) {
    checks.skip('payload', 'not checked: the receipt could not be parsed');
  } else {
    const result = parsePayload(parsed.payloadBytes);
    payload = result.payload;
    if (payload !== undefined) checks.pass('payload', `a v1 payload for request ${payload.id}`);
    else checks.fail('payload', result.issues.join('; '));
  }

  compare(
    checks,
    'request',
    opts.request,
    payload,
    (p) =>
      sha256Hex(bytesOption(opts.request, 'request')) === p.request_sha256
        ? undefined
        : 'request_sha256 is not the SHA-256 of the given request bytes',
    'request_sha256 matches the given request bytes',
  );
  compare(
    checks,
    'response',
    opts.response,
    payload,
    (p) =>
      sha256Hex(bytesOption(opts.response, 'response')) === p.response_sha256
        ? undefined
        : 'response_sha256 is not the SHA-256 of the given response bytes',
    'response_sha256 matches the given response bytes',
  );
  compare(
    checks,
    'measurement',
    opts.measurement,
    payload,
    (p) => {
      if (typeof opts.measurement !== 'string') throw new TypeError('options.measurement must be a hex string');
      return opts.measurement.toLowerCase() === p.measurement
        ? undefined
        : `measurement ${p.measurement} is not the expected ${opts.measurement}`;
    },
    'measurement is the expected one',
  );
  compare(
    checks,
    'id',
    opts.requestId,
    payload,
    (p) => (opts.requestId === p.id ? undefined : `id ${p.id} is not the expected request id`),
    'id is the expected request id',
  );

  const result = checks.result();
  return {
    ...result,
    ...(parsed === undefined ? {} : { header: parsed.header }),
    ...(signed && payload !== undefined ? { payload } : {}),
  };
}

/**
 * @example
 * const payload = await assertReceipt(jws, { signingKey, requestId });
 * @throws {AuditError} `verification`, with `check` the id of the first failed check.
 */
export async function assertReceipt(jws: string, options: VerifyReceiptOptions): Promise<ReceiptPayload> {
  const result = await verifyReceipt(jws, options);
  if (!result.ok || result.payload === undefined) throw verificationError('receipt', result, 'signature');
  return result.payload;
}
