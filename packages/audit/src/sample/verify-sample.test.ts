/**
 * A holder's check of an audit sample, against a real tlog log built with the appender over
 * memory storage: success, each fault failing its own check (request bytes, salt, receipt,
 * index, a proof from another log, a checkpoint signed by another key), and a pending sample.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createAppender, createMemoryTileStorage, encodeBase64, generateSignerKey } from '@saferouter/tlog';
import { beforeAll, describe, expect, it } from 'vitest';
import { AuditError } from '../errors.js';
import { auditEntry, commitment } from './audit-entry.js';
import { assertSample, PENDING_ISSUE, verifySample, type AuditSampleJson } from './verify-sample.js';

const enc = new TextEncoder();
const ORIGIN = 'example.com/saferouter/audit';
const request = enc.encode('{"model":"auto","messages":[{"role":"user","content":"secret"}]}');
const response = enc.encode('{"choices":[{"message":{"content":"answer"}}]}');
const receipt = 'eyJhbGciOiJFZERTQSJ9.e30.c2ln';
const requestSalt = new Uint8Array(randomBytes(32));
const responseSalt = new Uint8Array(randomBytes(32));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function entryFor(req: Uint8Array, res: Uint8Array, jws: string): Uint8Array {
  return auditEntry({
    requestCommitment: commitment(requestSalt, req),
    responseCommitment: commitment(responseSalt, res),
    receiptSha256: createHash('sha256').update(jws).digest('hex'),
  });
}

/** A log of `size` entries with ours at `index`; the others are unrelated entries. */
async function buildLog(size: number, index: number, signerName = 'example.com/saferouter/startup') {
  const key = await generateSignerKey(signerName);
  const appender = await createAppender({ storage: createMemoryTileStorage(), signer: key.signer, origin: ORIGIN });
  const entries = Array.from({ length: size }, (_, i) =>
    i === index ? entryFor(request, response, receipt) : entryFor(enc.encode(`other ${i}`), response, receipt),
  );
  await appender.append(entries.slice(0, 3));
  await appender.append(entries.slice(3));
  const proof = await appender.inclusionProof(index);
  const sample: AuditSampleJson = {
    id: 'req_1',
    index,
    entry: encodeBase64(entries[index]!),
    request_salt: hex(requestSalt),
    response_salt: hex(responseSalt),
    inclusion_proof: proof.map(encodeBase64),
    checkpoint: appender.checkpoint!,
  };
  return { key, sample };
}

let log: Awaited<ReturnType<typeof buildLog>>;
beforeAll(async () => {
  log = await buildLog(300, 261);
});

const statuses = (r: { checks: readonly { id: string; status: string }[] }) =>
  Object.fromEntries(r.checks.map((c) => [c.id, c.status]));

describe('verifySample', () => {
  it('passes a sample that opens with the holder bytes and is in the signed log', async () => {
    const result = await verifySample(log.sample, { request, response, receipt, logKey: log.key.vkey, origin: ORIGIN });
    expect(result.issues).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.checks.map((c) => [c.id, c.status])).toEqual([
      ['entry', 'pass'],
      ['commitments', 'pass'],
      ['receipt', 'pass'],
      ['checkpoint', 'pass'],
      ['inclusion', 'pass'],
    ]);
    await assertSample(log.sample, { request, response, logKey: log.key.vkey });
  });

  it('works for a log of one entry (empty proof)', async () => {
    const one = await buildLog(1, 0);
    expect(one.sample.inclusion_proof).toEqual([]);
    expect((await verifySample(one.sample, { request, response, logKey: one.key.vkey })).ok).toBe(true);
  });

  it('fails commitments for a changed request byte or response byte', async () => {
    const changed = request.slice();
    changed[5] = changed[5]! ^ 1;
    const r1 = await verifySample(log.sample, { request: changed, response, logKey: log.key.vkey });
    expect(statuses(r1)).toMatchObject({ entry: 'pass', commitments: 'fail', inclusion: 'pass' });
    expect(r1.issues[0]).toMatch(/request_commitment/);
    const r2 = await verifySample(log.sample, { request, response: response.subarray(1), logKey: log.key.vkey });
    expect(r2.issues[0]).toMatch(/response_commitment/);
    expect(r2.issues[0]).not.toMatch(/request_commitment/);
  });

  it('fails commitments for a wrong or malformed salt', async () => {
    const wrong = { ...log.sample, response_salt: hex(new Uint8Array(32)) };
    const r1 = await verifySample(wrong, { request, response, logKey: log.key.vkey });
    expect(statuses(r1).commitments).toBe('fail');
    const short = { ...log.sample, request_salt: 'abcd' };
    const r2 = await verifySample(short, { request, response, logKey: log.key.vkey });
    expect(r2.issues[0]).toMatch(/request_salt must be 32 bytes/);
  });

  it('fails receipt for another JWS, and skips it when none is given', async () => {
    const r1 = await verifySample(log.sample, { request, response, receipt: `${receipt}x`, logKey: log.key.vkey });
    expect(statuses(r1)).toMatchObject({ receipt: 'fail', inclusion: 'pass' });
    const r2 = await verifySample(log.sample, { request, response, logKey: log.key.vkey });
    expect(statuses(r2).receipt).toBe('skip');
  });

  it('fails inclusion for a wrong index', async () => {
    for (const index of [260, 262, 0]) {
      const r = await verifySample({ ...log.sample, index }, { request, response, logKey: log.key.vkey });
      expect(statuses(r)).toMatchObject({ checkpoint: 'pass', inclusion: 'fail' });
    }
    const r = await verifySample({ ...log.sample, index: 300 }, { request, response, logKey: log.key.vkey });
    expect(r.issues[0]).toMatch(/index must be less than size/);
  });

  it('fails inclusion for a proof from another log', async () => {
    const another = await buildLog(290, 261);
    const mixed = { ...log.sample, inclusion_proof: another.sample.inclusion_proof };
    const r = await verifySample(mixed, { request, response, logKey: log.key.vkey });
    expect(statuses(r)).toMatchObject({ entry: 'pass', commitments: 'pass', checkpoint: 'pass', inclusion: 'fail' });
    expect(r.issues).toEqual([expect.stringMatching(/^inclusion: inclusion proof does not lead to the root hash/)]);
  });

  it('fails checkpoint when it is signed by another key', async () => {
    const stranger = await generateSignerKey('example.com/saferouter/startup');
    const r = await verifySample(log.sample, { request, response, logKey: stranger.vkey });
    expect(statuses(r)).toMatchObject({ checkpoint: 'fail', inclusion: 'skip' });
    expect(r.issues[0]).toMatch(/^checkpoint: .*signature/);
    const thrown = await assertSample(log.sample, { request, response, logKey: stranger.vkey }).catch(
      (e: unknown) => e,
    );
    expect(AuditError.isInstance(thrown) && thrown.check).toBe('checkpoint');
  });

  it('fails checkpoint for another origin when one is required', async () => {
    const r = await verifySample(log.sample, {
      request,
      response,
      logKey: log.key.vkey,
      origin: 'other/saferouter/audit',
    });
    expect(statuses(r).checkpoint).toBe('fail');
  });

  it('reports a pending sample as not ok, without failing a check', async () => {
    const pending: AuditSampleJson = { ...log.sample, index: null, inclusion_proof: null, checkpoint: null };
    const r = await verifySample(pending, { request, response, receipt, logKey: log.key.vkey });
    expect(r.ok).toBe(false);
    expect(r.checks.filter((c) => c.status === 'fail')).toEqual([]);
    expect(statuses(r)).toMatchObject({ commitments: 'pass', checkpoint: 'skip', inclusion: 'skip' });
    expect(r.issues).toEqual([PENDING_ISSUE]);
    const thrown = await assertSample(pending, { request, response, logKey: log.key.vkey }).catch((e: unknown) => e);
    expect(AuditError.isInstance(thrown) && thrown.check).toBe('inclusion');
  });

  it('fails entry for bad base64 or a non-entry, never throwing', async () => {
    const r1 = await verifySample({ ...log.sample, entry: 'not base64!' }, { request, response, logKey: log.key.vkey });
    expect(statuses(r1)).toMatchObject({ entry: 'fail', commitments: 'skip', inclusion: 'skip' });
    const r2 = await verifySample(
      { ...log.sample, entry: encodeBase64(enc.encode('{}')) },
      { request, response, logKey: log.key.vkey },
    );
    expect(statuses(r2)).toMatchObject({ entry: 'fail', inclusion: 'fail' });
    const r3 = await verifySample(null as unknown as AuditSampleJson, { request, response, logKey: log.key.vkey });
    expect(r3.ok).toBe(false);
    const r4 = await verifySample(log.sample, { request, response, logKey: 'not a key' });
    expect(statuses(r4).checkpoint).toBe('fail');
  });
});
