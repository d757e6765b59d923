/**
 * Receipts from the Node issuer: they verify with an independent JOSE library (jose's
 * compactVerify, Ed25519 JWK) and with verifyReceipt, hash exactly the bytes fed, and a sampled
 * session yields an audit entry that opens with the same bytes and names the JWS.
 */
import { createHash } from 'node:crypto';
import { compactVerify, importJWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { verifyReceipt } from '../receipt/verify-receipt.js';
import { commitment, parseAuditEntry } from '../sample/audit-entry.js';
import { FINISH, MEASUREMENT, testIssuer, testKey } from '../testing/receipts.js';
import { createReceiptIssuer } from './receipt-issuer.js';

const key = testKey();
const enc = new TextEncoder();
const sha = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');
const request = enc.encode('{"model":"auto","messages":[{"role":"user","content":"héllo"}]}');
const chunks = ['data: {"a":1}\n\n', ': keep-alive\n\n', 'data: {"b":"ü"}\n\n'].map((c) => enc.encode(c));
const response = Buffer.concat(chunks);

describe('createReceiptIssuer', () => {
  it('issues receipts that jose and verifyReceipt both accept', async () => {
    for (const sampled of [false, true]) {
      const session = testIssuer(key).begin({ requestId: 'req_1', requestBytes: request, stream: true, sampled });
      for (const c of chunks) session.response(c);
      const { jws, payload } = await session.finish(FINISH);

      const jwk = await importJWK({ kty: 'OKP', crv: 'Ed25519', x: key.x }, 'EdDSA');
      const verified = await compactVerify(jws, jwk);
      expect(verified.protectedHeader).toEqual({
        alg: 'EdDSA',
        typ: 'saferouter-receipt',
        kid: Buffer.from(key.publicKey).toString('hex'),
      });
      expect(JSON.parse(new TextDecoder().decode(verified.payload))).toEqual(payload);

      const result = await verifyReceipt(jws, {
        signingKey: key.publicKey,
        request,
        response,
        measurement: MEASUREMENT,
        requestId: 'req_1',
      });
      expect(result.issues).toEqual([]);
      expect(result.ok).toBe(true);
      expect(result.checks.map((c) => c.status)).toEqual(Array(8).fill('pass'));
      expect(result.payload).toEqual(payload);
    }
  });

  it('writes the documented header and payload, hashing exactly the bytes fed', async () => {
    const issuer = testIssuer(key);
    expect(issuer.header).toBe(
      `{"alg":"EdDSA","typ":"saferouter-receipt","kid":"${Buffer.from(key.publicKey).toString('hex')}"}`,
    );
    const session = issuer.begin({ requestId: 'req_2', requestBytes: request, stream: false, sampled: false });
    session.response(response);
    const { jws, payload, sample } = await session.finish(FINISH);
    expect(sample).toBeUndefined();
    expect(jws.split('.')[0]).toBe(Buffer.from(issuer.header).toString('base64url'));
    expect(Buffer.from(jws.split('.')[1]!, 'base64url').toString()).toBe(
      JSON.stringify({
        v: 1,
        id: 'req_2',
        created: 1_750_000_000_000,
        requested_model: 'auto',
        model: 'gpt-4o-mini',
        provider: 'openai',
        attempts: FINISH.attempts,
        stream: false,
        request_sha256: sha(request),
        response_sha256: sha(response),
        usage: { prompt_tokens: 12, completion_tokens: 34 },
        cost_usd: '0.000214',
        measurement: MEASUREMENT,
        startup_index: 7,
        audit_sampled: false,
      }),
    );
    expect(payload.response_sha256).toBe(sha(response));
  });

  it('hashes an empty response as the SHA-256 of nothing', async () => {
    const { payload } = await testIssuer(key)
      .begin({ requestId: 'r', requestBytes: new Uint8Array(0), stream: true, sampled: false })
      .finish(FINISH);
    expect(payload.request_sha256).toBe(sha(''));
    expect(payload.response_sha256).toBe(sha(''));
  });

  it('gives a sampled session an audit entry over the same bytes, with fresh salts', async () => {
    const issuer = testIssuer(key);
    const session = issuer.begin({ requestId: 'req_3', requestBytes: request, stream: true, sampled: true });
    for (const c of chunks) session.response(c);
    const { jws, payload, sample } = await session.finish(FINISH);
    expect(payload.audit_sampled).toBe(true);
    expect(sample).toBeDefined();
    const { entry, requestSalt, responseSalt } = sample!;
    expect(requestSalt).toHaveLength(32);
    expect(responseSalt).toHaveLength(32);
    expect(Buffer.from(requestSalt).equals(Buffer.from(responseSalt))).toBe(false);
    const fields = parseAuditEntry(entry);
    expect(fields).toEqual({
      requestCommitment: commitment(requestSalt, request),
      responseCommitment: commitment(responseSalt, response),
      receiptSha256: sha(jws),
    });
    const again = issuer.begin({ requestId: 'req_4', requestBytes: request, stream: true, sampled: true });
    const other = (await again.finish(FINISH)).sample!;
    expect(Buffer.from(other.requestSalt).equals(Buffer.from(requestSalt))).toBe(false);
  });

  it('takes its salts from the injected random source', async () => {
    const issuer = testIssuer(key, { random: (n) => new Uint8Array(n).map((_, i) => i) });
    const { sample } = await issuer
      .begin({ requestId: 'r', requestBytes: request, stream: false, sampled: true })
      .finish(FINISH);
    expect([...sample!.requestSalt]).toEqual([...Array(32).keys()]);
    expect([...sample!.responseSalt]).toEqual([...Array(32).keys()].map((i) => i + 32));
  });

  it('refuses a second finish and response after finish', async () => {
    const session = testIssuer(key).begin({ requestId: 'r', requestBytes: request, stream: false, sampled: false });
    await session.finish(FINISH);
    expect(() => session.finish(FINISH)).toThrow(/twice/);
    expect(() => session.response(response)).toThrow(/after finish/);
  });

  it('validates options and inputs, naming the argument', async () => {
    const base = { sign: key.sign, signingPublicKey: key.publicKey, measurement: MEASUREMENT, startupIndex: 0 };
    expect(() => createReceiptIssuer({ ...base, signingPublicKey: new Uint8Array(31) })).toThrow(
      /options.signingPublicKey must be 32 bytes/,
    );
    expect(() => createReceiptIssuer({ ...base, measurement: 'AB'.repeat(32) })).toThrow(RangeError);
    expect(() => createReceiptIssuer({ ...base, startupIndex: -1 })).toThrow(/options.startupIndex/);
    const issuer = createReceiptIssuer(base);
    expect(() => issuer.begin({ requestId: '', requestBytes: request, stream: false, sampled: false })).toThrow(
      /input.requestId/,
    );
    expect(() =>
      issuer.begin({ requestId: 'r', requestBytes: 'x' as unknown as Uint8Array, stream: false, sampled: false }),
    ).toThrow(TypeError);
    const session = issuer.begin({ requestId: 'r', requestBytes: request, stream: false, sampled: false });
    expect(() => session.finish({ ...FINISH, costUsd: '1e-6' })).toThrow(/input.costUsd/);
    expect(() => session.finish({ ...FINISH, attempts: [] })).toThrow(/input.attempts/);
    expect(() => session.finish({ ...FINISH, keySource: 'customer' as 'byok' })).toThrow(/input.keySource/);
    expect(() =>
      session.finish({ ...FINISH, attempts: [{ model: 'm', provider: 'p', status: 200, keySource: 'x' as 'byok' }] }),
    ).toThrow(/input.attempts\[\].keySource/);
    expect(() => session.finish({ ...FINISH, usage: { prompt_tokens: 1.5, completion_tokens: 0 } })).toThrow(
      /prompt_tokens/,
    );
    expect((await session.finish(FINISH)).jws).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
  });
});
