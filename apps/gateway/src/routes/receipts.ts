/**
 * What a request's holder can fetch about it afterwards (any key, its own requests only; the
 * admin sees all). Anything else is a 404, never a 403, so request ids cannot be probed.
 * - `GET /v1/receipts/{request_id}` → `{ id, receipt }`: the signed receipt, kept for
 *   `SAFEROUTER_RECEIPT_RETENTION_DAYS`.
 * - `GET /v1/audit/samples` → the caller's sampled requests, newest first (`limit`, `cursor`):
 *   the log entry, both salts, and, once integrated, the inclusion proof and the signed
 *   checkpoint it holds against. A sample not yet in a checkpoint is `pending`, without a proof.
 *
 * Both also answer `POST` with a JSON body (`{}`, or `{"limit","cursor"}` for samples), so an
 * EHBP client can fetch them sealed: EHBP only seals requests that have a body, and a sealed
 * answer is what keeps a receipt's hashes away from whoever terminates TLS.
 */
import { Hono, type Context } from 'hono';
import { encodeBase64 } from '@saferouter/tlog';
import type { AuditSample, Store } from '@saferouter/store';
import type { LogReader } from '@saferouter/audit';
import type { AppEnv, Caller } from '../env.js';
import { ApiError } from '../errors.js';
import { parseIntParam } from '../query.js';
import { readJson } from '../body.js';

const POSSIBLE_REQUEST_ID = /^[\x21-\x7e]{1,128}$/;
const hex = (bytes: Uint8Array): string =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');

function receiptNotFound(): ApiError {
  return new ApiError(404, 'not_found_error', 'receipt_not_found', 'No receipt for this request id.');
}

/** The keys a caller may read: its own; the admin, every key. */
function owns(caller: Caller, keyId: string): boolean {
  return caller.role === 'admin' || caller.id === keyId;
}

export function receiptRoutes(store: Store, auditLog: LogReader | undefined): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  const receipt = async (c: Context<AppEnv>) => {
    const id = c.req.param('id') ?? '';
    if (!POSSIBLE_REQUEST_ID.test(id)) throw receiptNotFound();
    const record = await store.audit.getReceipt(id);
    if (record === undefined || !owns(c.get('caller'), record.keyId)) throw receiptNotFound();
    return c.json({ id: record.requestId, receipt: record.jws });
  };
  app.get('/receipts/:id', receipt);
  app.post('/receipts/:id', async (c) => {
    await readJson(c, 4096);
    return receipt(c);
  });

  const samples = async (c: Context<AppEnv>, rawLimit: string | undefined, cursor: string | undefined) => {
    const caller = c.get('caller');
    const limit = parseIntParam(rawLimit, 'limit', 1, 500);
    const page = await store.audit.listSamples(
      { keyId: caller.role === 'admin' ? undefined : caller.id },
      { limit, cursor: cursor === '' ? undefined : cursor },
    );
    const head = auditLog === undefined ? null : await auditLog.latest();
    const data = await Promise.all(
      page.samples.map(async (sample: AuditSample) => {
        const integrated = sample.index !== null && head !== null && sample.index < head.size;
        return {
          id: sample.requestId,
          status: integrated ? 'integrated' : 'pending',
          index: integrated ? sample.index : null,
          entry: encodeBase64(sample.entry),
          request_salt: hex(sample.requestSalt),
          response_salt: hex(sample.responseSalt),
          inclusion_proof:
            integrated && auditLog !== undefined && head !== null
              ? (await auditLog.inclusionProof(sample.index as number, head.size)).map(encodeBase64)
              : null,
          checkpoint: integrated && head !== null ? head.note : null,
        };
      }),
    );
    return c.json({ object: 'list', data, next_cursor: page.nextCursor ?? null });
  };
  app.get('/audit/samples', (c) => samples(c, c.req.query('limit'), c.req.query('cursor')));
  app.post('/audit/samples', async (c) => {
    const body = await readJson(c, 4096);
    const o =
      typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined;
    if (o === undefined)
      throw new ApiError(
        400,
        'invalid_request_error',
        'invalid_body',
        'Body must be a JSON object: {"limit"?, "cursor"?}.',
      );
    const limit = o['limit'];
    const cursor = o['cursor'];
    if (limit !== undefined && (typeof limit !== 'number' || !Number.isInteger(limit)))
      throw new ApiError(400, 'invalid_request_error', 'invalid_parameter', 'limit must be an integer from 1 to 500.');
    if (cursor !== undefined && cursor !== null && typeof cursor !== 'string')
      throw new ApiError(400, 'invalid_request_error', 'invalid_parameter', 'cursor must be a string.');
    return samples(c, limit === undefined ? undefined : String(limit), typeof cursor === 'string' ? cursor : undefined);
  });

  return app;
}
