/**
 * A request's evidence: its signed receipt and, when sampled, its entry for the audit log. The
 * formats and the signing belong to `@saferouter/audit` (its Node issuer implements `EvidenceIssuer`);
 * this file only decides, for metering, when they are made and what must be durable first:
 *
 * - The receipt is made after the charge is committed, so it never claims a charge that is not on
 *   the ledger, and hashes exactly the body bytes the client was sent before it.
 * - A sampled request's entry is stored durably (sequenced) before the response completes. If
 *   that fails the reply is withheld like a failed charge, and the charge just made is refunded.
 * - The receipt is kept for later lookup off the request path (the client already has it).
 */
import type { Billing } from '@saferouter/billing';
import { SafeRouterError } from '@saferouter/errors';
import type { KeySource } from '@saferouter/router';
import type { AuditSample, ReceiptRecord } from '@saferouter/store';

/** What a receipt says about the request beyond the bytes. */
export interface ReceiptDetails {
  requestedModel: string;
  model: string;
  provider: string;
  /** Whose provider key answered: the gateway's, or the caller's own (BYOK). */
  keySource: KeySource;
  attempts: { model: string; provider: string; status: number; keySource: KeySource }[];
  usage: { prompt_tokens: number; completion_tokens: number };
  /** Exact decimal USD: what the ledger charged. */
  costUsd: string;
}

/** A signed receipt and, for a sampled request, its audit log entry and salts. */
export interface IssuedReceipt {
  jws: string;
  sample?: { entry: Uint8Array; requestSalt: Uint8Array; responseSalt: Uint8Array } | undefined;
}

/** One request's evidence while it runs: fed the response bytes, then finished once. */
export interface EvidenceSession {
  /** The exact response body bytes, in order, as they are sent. */
  response(chunk: Uint8Array): void;
  /** Signs the receipt (possibly on another thread); the response bytes are fixed when it is called. */
  finish(details: ReceiptDetails): Promise<IssuedReceipt> | IssuedReceipt;
}

export interface EvidenceIssuer {
  begin(input: { requestId: string; requestBytes: Uint8Array; stream: boolean; sampled: boolean }): EvidenceSession;
}

/** Receipts and audit samples for metered chat. */
export interface Evidence {
  issuer: EvidenceIssuer;
  /** Whether a request goes to the audit log: a CSPRNG draw at the configured rate. */
  sample(): boolean;
  /** Keeps a receipt for later lookup (batched; the client already holds it). */
  keepReceipt(record: ReceiptRecord): void;
  /** Stores a sample durably before its response completes. */
  addSample(sample: Omit<AuditSample, 'index'>): Promise<void>;
}

/** The audit sample could not be stored, so the reply is withheld (its charge refunded). */
export class AuditFailedError extends SafeRouterError {
  constructor(cause: unknown) {
    super({
      message: 'The response could not be committed to the audit log, so it is not delivered. Retry the request.',
      statusCode: 503,
      type: 'api_error',
      code: 'audit_failed',
      isRetryable: true,
      cause,
    });
    this.name = 'AuditFailedError';
  }
}

export interface IssuedEvidence {
  jws: string;
  sampled: boolean;
}

/**
 * Finishes a request's evidence after its charge: signs the receipt, stores a sample durably,
 * keeps the receipt. On a sample failure, refunds `chargedMicros` and throws `AuditFailedError`.
 */
export async function issueEvidence(input: {
  evidence: Evidence;
  session: EvidenceSession;
  details: ReceiptDetails;
  requestId: string;
  keyId: string;
  ts: number;
  billing: Billing;
  chargedMicros: number;
  log: (message: string, error: unknown) => void;
}): Promise<IssuedEvidence> {
  const { evidence, requestId, keyId, ts } = input;
  const { jws, sample } = await input.session.finish(input.details);
  if (sample !== undefined) {
    try {
      await evidence.addSample({ requestId, keyId, ts, ...sample });
    } catch (cause) {
      if (input.chargedMicros > 0) {
        await input.billing
          .refund({ keyId, amountMicros: input.chargedMicros, requestId, note: 'refund: audit_failed' })
          .catch((error: unknown) => input.log('metering: refunding a withheld reply failed', error));
      }
      throw new AuditFailedError(cause);
    }
  }
  evidence.keepReceipt({ requestId, keyId, ts, jws });
  return { jws, sampled: sample !== undefined };
}
