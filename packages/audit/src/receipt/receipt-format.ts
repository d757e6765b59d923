/**
 * The receipt wire format, version 1: a compact JWS (RFC 7515) whose protected header is exactly
 * `{"alg":"EdDSA","typ":"saferouter-receipt","kid":"<signing key, 64 hex>"}` and whose payload
 * is a JSON object with the fields below. Verifiers ignore members they do not know, so fields can
 * be added; `v` changes only on an incompatible change. The valibot schema here is the one
 * definition of "a valid v1 payload" that the verifier and the issuer's tests share.
 */
import * as v from 'valibot';
import { HEX32 } from '../encoding.js';

export const RECEIPT_ALG = 'EdDSA';
export const RECEIPT_TYP = 'saferouter-receipt';
export const RECEIPT_VERSION = 1;
/** Longest receipt accepted, in characters (the store keeps at most 16 KiB). */
export const MAX_RECEIPT_LENGTH = 16 * 1024;

/** The protected header, as decoded. */
export interface ReceiptHeader {
  readonly alg: typeof RECEIPT_ALG;
  readonly typ: typeof RECEIPT_TYP;
  /** The Ed25519 signing public key, 64 lowercase hex. */
  readonly kid: string;
}

/** Whose provider key an upstream call used: the gateway's own, or the caller's (BYOK). */
export type ReceiptKeySource = 'gateway' | 'byok';

/** Every {@link ReceiptKeySource}. */
export const RECEIPT_KEY_SOURCES: readonly ReceiptKeySource[] = ['gateway', 'byok'];

/** One upstream call; `status` is its HTTP status, or 0 when none came (network error, timeout). */
export interface ReceiptAttempt {
  model: string;
  provider: string;
  status: number;
  /** Whose key the call used; absent in receipts made before BYOK (the gateway's). */
  key_source?: ReceiptKeySource | undefined;
}

export interface ReceiptUsage {
  prompt_tokens: number;
  completion_tokens: number;
}

/** A v1 receipt payload (members a verifier does not know are dropped). */
export interface ReceiptPayload {
  v: 1;
  /** The request id, equal to the response's `X-Request-Id`. */
  id: string;
  /** When the receipt was signed, ms since the Unix epoch. */
  created: number;
  requested_model: string;
  /** The model that answered. */
  model: string;
  provider: string;
  /** Whose provider key answered (or was tried last); absent in receipts made before BYOK. */
  key_source?: ReceiptKeySource | undefined;
  attempts: ReceiptAttempt[];
  stream: boolean;
  /** SHA-256 of the exact request body bytes received, 64 lowercase hex. */
  request_sha256: string;
  /** SHA-256 of the exact response body bytes sent (for streams: before the receipt event). */
  response_sha256: string;
  usage: ReceiptUsage;
  /** What the ledger charged, a non-negative decimal string (e.g. "0.000214"). */
  cost_usd: string;
  /** The attested measurement, 64 lowercase hex. */
  measurement: string;
  /** This instance's entry in the startup transparency log. */
  startup_index: number;
  audit_sampled: boolean;
}

/** A non-negative decimal without sign, exponent or leading zeros: "0", "12", "0.000214". */
export const COST_USD = /^(?:0|[1-9][0-9]{0,17})(?:\.[0-9]{1,18})?$/;
export const MAX_ID_LENGTH = 128;
const MAX_NAME_LENGTH = 256;

const hex32 = () => v.pipe(v.string('must be a string'), v.regex(HEX32, 'must be 64 lowercase hex characters'));
const count = () =>
  v.pipe(v.number('must be a number'), v.safeInteger('must be an integer'), v.minValue(0, 'must not be negative'));
const name = () =>
  v.pipe(
    v.string('must be a string'),
    v.minLength(1, 'must not be empty'),
    v.maxLength(MAX_NAME_LENGTH, `must be at most ${MAX_NAME_LENGTH} characters`),
  );
const bool = () => v.boolean('must be a boolean');
const keySource = () => v.optional(v.picklist(RECEIPT_KEY_SOURCES, "must be 'gateway' or 'byok'"));
/** An object's own message doubles as the one for its missing members, which have a path. */
const objectMessage =
  (what: string) =>
  (issue: v.BaseIssue<unknown>): string =>
    issue.received === 'undefined' && (issue.path?.length ?? 0) > 0 ? 'is missing' : what;

/** The v1 payload schema (valibot): types and formats of every field. */
export const ReceiptPayloadSchema = v.object(
  {
    v: v.literal(RECEIPT_VERSION, 'must be 1'),
    id: v.pipe(
      v.string('must be a string'),
      v.minLength(1, 'must not be empty'),
      v.maxLength(MAX_ID_LENGTH, `must be at most ${MAX_ID_LENGTH} characters`),
    ),
    created: count(),
    requested_model: name(),
    model: name(),
    provider: name(),
    key_source: keySource(),
    attempts: v.pipe(
      v.array(
        v.object(
          {
            model: name(),
            provider: name(),
            status: v.pipe(count(), v.maxValue(999, 'must be at most 999')),
            key_source: keySource(),
          },
          objectMessage('must be an object'),
        ),
        'must be an array',
      ),
      v.minLength(1, 'must not be empty'),
      v.maxLength(64, 'must have at most 64 items'),
    ),
    stream: bool(),
    request_sha256: hex32(),
    response_sha256: hex32(),
    usage: v.object({ prompt_tokens: count(), completion_tokens: count() }, objectMessage('must be an object')),
    cost_usd: v.pipe(v.string('must be a string'), v.regex(COST_USD, 'must be a non-negative decimal string')),
    measurement: hex32(),
    startup_index: count(),
    audit_sampled: bool(),
  },
  objectMessage('must be a JSON object'),
);

/**
 * Validates a decoded payload without throwing; issues name the field (`usage.prompt_tokens: …`).
 *
 * @example
 * const r = safeParseReceiptPayload(JSON.parse(text));
 */
export function safeParseReceiptPayload(
  input: unknown,
): { ok: true; payload: ReceiptPayload } | { ok: false; issues: string[] } {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    return { ok: false, issues: ['payload must be a JSON object'] };
  const result = v.safeParse(ReceiptPayloadSchema, input);
  if (result.success) return { ok: true, payload: result.output };
  return {
    ok: false,
    issues: result.issues.map((i) => {
      const path = v.getDotPath(i);
      return path === null ? `payload ${i.message}` : `payload.${path} ${i.message}`;
    }),
  };
}
