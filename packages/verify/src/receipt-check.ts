/**
 * The `receipt` check: the signing key is the one the startup entry at the receipt's
 * `startup_index` names (any attested replica's start, read from the log with its inclusion
 * proof, attesting the same measurement), then the JWS signature, the payload, and, with the
 * holder's bytes, both hashes; with the receipt's audit sample, its commitments and inclusion.
 */
import {
  decodeBase64Url,
  parseStartupRecord,
  safeParseReceiptPayload,
  verifyReceipt,
  verifySample,
  type StartupRecord,
} from '@saferouter/audit';
import type { SubCheck } from './checks.js';
import type { Http } from './http.js';
import { readLog, startupRecordProblem, type VerifiedLog } from './log-checks.js';
import type { VerifyGatewayOptions } from './options.js';
import type { Outcome } from './runner.js';

const RECEIPT_COMMENT = new TextEncoder().encode(': saferouter-receipt ');

/**
 * The bytes a receipt hashes: for a stream given as the raw SSE bytes received, everything
 * before the `: saferouter-receipt` comment line; otherwise the bytes as given.
 */
export function bytesBeforeReceipt(response: Uint8Array): Uint8Array {
  outer: for (let i = 0; i + RECEIPT_COMMENT.length <= response.length; i++) {
    if (i > 0 && response[i - 1] !== 0x0a && response[i - 1] !== 0x0d) continue;
    for (let j = 0; j < RECEIPT_COMMENT.length; j++) if (response[i + j] !== RECEIPT_COMMENT[j]) continue outer;
    return response.subarray(0, i);
  }
  return response;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** The payload's `startup_index`, read before the signature is checked (to find the key). */
function startupIndexOf(jws: string): number {
  const parts = jws.trim().split('.');
  if (parts.length !== 3) throw new Error('the receipt is not a compact JWS (three base64url parts)');
  let payload: unknown;
  try {
    payload = JSON.parse(decoder.decode(decodeBase64Url(parts[1] ?? '')));
  } catch {
    throw new Error("the receipt's payload is not base64url JSON");
  }
  const parsed = safeParseReceiptPayload(payload);
  if (!parsed.ok) throw new Error(`the receipt's payload is malformed: ${parsed.issues.slice(0, 3).join('; ')}`);
  return parsed.payload.startup_index;
}

const subs = (prefix: string, checks: readonly { id: string; status: string; detail: string }[]): SubCheck[] =>
  checks.map((c) => ({
    id: `${prefix}${c.id}`,
    ok: c.status !== 'fail',
    detail: c.status === 'skip' ? `not checked: ${c.detail}` : c.detail,
  }));

export async function checkReceipt(
  http: Http,
  startup: VerifiedLog,
  options: VerifyGatewayOptions,
): Promise<Outcome<true>> {
  const jws = (options.receipt ?? '').trim();
  const index = startupIndexOf(jws);
  const { attested } = startup;
  let record: StartupRecord | undefined = index === startup.entryIndex ? startup.record : undefined;
  if (record === undefined) {
    const read = await readLog(http, 'startup', startup.vkey, options, index);
    if (!read.ok || read.entry === undefined)
      return { status: 'fail', detail: `the receipt's startup_index ${index}: ${read.detail}`, sub: read.sub };
    try {
      record = parseStartupRecord(read.entry);
    } catch (error) {
      return { status: 'fail', detail: `entry ${index} is not a startup record: ${(error as Error).message}` };
    }
    const problem = await startupRecordProblem(
      record,
      { vkey: startup.vkey, measurement: attested.measurement, backend: attested.backend },
      options,
    );
    if (problem !== undefined) return { status: 'fail', detail: `the receipt's startup entry ${index}: ${problem}` };
  }

  const response = options.response === undefined ? undefined : bytesBeforeReceipt(options.response);
  const verified = await verifyReceipt(jws, {
    signingKey: record.keys.signing,
    measurement: attested.measurement,
    request: options.request,
    response,
  });
  const sub = subs('', verified.checks);
  if (!verified.ok) {
    const failed = verified.checks.find((c) => c.status === 'fail');
    return {
      status: 'fail',
      detail: failed === undefined ? verified.issues.join('; ') : `${failed.id}: ${failed.detail}`,
      sub,
    };
  }
  const p = verified.payload;
  const bytes = [
    options.request === undefined ? undefined : 'request',
    response === undefined ? undefined : 'response',
  ].filter(Boolean);
  let detail = `signed by the key of start ${index} (${record.time}); ${p?.model ?? '?'} via ${p?.provider ?? '?'}, charged $${p?.cost_usd ?? '?'}; ${
    bytes.length === 0 ? 'no bytes given, so the hashes were not recomputed' : `${bytes.join(' and ')} hash recomputed`
  }`;
  if (options.sample !== undefined) {
    if (options.request === undefined || response === undefined)
      return { status: 'fail', detail: 'checking an audit sample needs the exact request and response bytes', sub };
    const sample = await verifySample(options.sample, {
      request: options.request,
      response,
      receipt: jws,
      logKey: startup.vkey,
    });
    sub.push(...subs('sample.', sample.checks));
    if (!sample.ok) return { status: 'fail', detail: `audit sample: ${sample.issues.join('; ')}`, sub };
    detail += '; its audit sample opens to your bytes and is included in the signed audit log';
  }
  return { status: 'pass', detail, sub, value: true };
}
