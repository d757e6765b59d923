/**
 * verifyReceipt's checks, each exercised by a receipt tampered in one way: the first failing
 * check must be the one that owns that fault, and assertReceipt must throw an AuditError naming
 * it. Crafted receipts are signed with the right key, so only the intended check fails.
 */
import { describe, expect, it } from 'vitest';
import { AuditError } from '../errors.js';
import { craftJws, FINISH, headerFor, MEASUREMENT, testIssuer, testKey } from '../testing/receipts.js';
import { assertReceipt, RECEIPT_CHECK_IDS, verifyReceipt, type ReceiptVerification } from './verify-receipt.js';

const key = testKey();
const other = testKey();
const enc = new TextEncoder();
const request = enc.encode('{"model":"auto"}');
const response = enc.encode('{"choices":[]}');

async function issue(): Promise<{ jws: string; payload: Record<string, unknown> }> {
  const session = testIssuer(key).begin({ requestId: 'req_1', requestBytes: request, stream: false, sampled: false });
  session.response(response);
  const { jws, payload } = await session.finish(FINISH);
  return { jws, payload: JSON.parse(JSON.stringify(payload)) as Record<string, unknown> };
}

const firstFailure = (r: ReceiptVerification) => r.checks.find((c) => c.status === 'fail');

async function expectFailure(jws: string, check: string, detail: RegExp, options = {}): Promise<void> {
  const result = await verifyReceipt(jws, { signingKey: key.publicKey, ...options });
  expect(result.ok).toBe(false);
  expect(result.checks.map((c) => c.id)).toEqual([...RECEIPT_CHECK_IDS]);
  expect(firstFailure(result)?.id).toBe(check);
  expect(firstFailure(result)?.detail).toMatch(detail);
  expect(result.issues[0]).toMatch(detail);
  const thrown = await assertReceipt(jws, { signingKey: key.publicKey, ...options }).catch((e: unknown) => e);
  expect(AuditError.isInstance(thrown)).toBe(true);
  expect((thrown as AuditError).check).toBe(check);
  expect((thrown as AuditError).code).toBe('verification');
}

describe('verifyReceipt', () => {
  it('passes a good receipt, skipping what was not given; accepts the key as hex', async () => {
    const { jws } = await issue();
    const hex = Buffer.from(key.publicKey).toString('hex');
    const result = await verifyReceipt(jws, { signingKey: hex.toUpperCase() });
    expect(result.ok).toBe(true);
    expect(result.checks.map((c) => [c.id, c.status])).toEqual([
      ['format', 'pass'],
      ['key', 'pass'],
      ['signature', 'pass'],
      ['payload', 'pass'],
      ['request', 'skip'],
      ['response', 'skip'],
      ['measurement', 'skip'],
      ['id', 'skip'],
    ]);
    expect(result.header).toEqual({ alg: 'EdDSA', typ: 'saferouter-receipt', kid: hex });
    expect(await assertReceipt(jws, { signingKey: key.publicKey })).toEqual(result.payload);
  });

  it('accepts a receipt with key_source (BYOK) and one without (made before it), and keeps what it says', async () => {
    const session = testIssuer(key).begin({ requestId: 'req_1', requestBytes: request, stream: false, sampled: false });
    session.response(response);
    const byok = await session.finish({
      ...FINISH,
      keySource: 'byok',
      attempts: [
        { model: 'claude-3-haiku', provider: 'anthropic', status: 429, keySource: 'byok' },
        { model: 'claude-3-haiku', provider: 'anthropic', status: 200, keySource: 'gateway' },
      ],
    });
    const result = await verifyReceipt(byok.jws, { signingKey: key.publicKey, request, response });
    expect(result.ok).toBe(true);
    expect(result.payload).toMatchObject({
      key_source: 'byok',
      attempts: [
        { status: 429, key_source: 'byok' },
        { status: 200, key_source: 'gateway' },
      ],
    });
    const { payload } = await issue();
    expect(payload).not.toHaveProperty('key_source');
    expect((await verifyReceipt(craftJws(key, headerFor(key), payload), { signingKey: key.publicKey })).ok).toBe(true);
  });

  it('ignores unknown payload fields', async () => {
    const { payload } = await issue();
    const jws = craftJws(key, headerFor(key), { ...payload, later_field: { x: 1 } });
    const result = await verifyReceipt(jws, { signingKey: key.publicKey, request, response });
    expect(result.ok).toBe(true);
    expect(result.payload).not.toHaveProperty('later_field');
  });

  it('fails signature when a payload byte is flipped', async () => {
    const { jws } = await issue();
    const [h, p, s] = jws.split('.') as [string, string, string];
    const bytes = Buffer.from(p, 'base64url');
    bytes[10] = bytes[10]! ^ 1;
    await expectFailure(`${h}.${bytes.toString('base64url')}.${s}`, 'signature', /does not verify/);
  });

  it('fails key and signature for another key', async () => {
    const { jws } = await issue();
    const result = await verifyReceipt(jws, { signingKey: other.publicKey });
    expect(result.checks.filter((c) => c.status === 'fail').map((c) => c.id)).toEqual(['key', 'signature']);
    expect(result.payload).toBeUndefined();
  });

  it('fails key when kid names another key', async () => {
    await expectFailure(
      craftJws(key, headerFor(other), (await issue()).payload),
      'key',
      /is not the given signing key/,
    );
  });

  it.each([
    ['typ', { typ: 'JWT' }, /typ must be "saferouter-receipt"/],
    ['alg', { alg: 'ES256' }, /alg must be "EdDSA"/],
    ['kid format', { kid: 'AB'.repeat(32) }, /kid must be 64 lowercase hex/],
    ['extra member', { crit: ['exp'] }, /unexpected members: crit/],
  ])('fails format for a header with a wrong %s', async (_name, change, detail) => {
    await expectFailure(craftJws(key, { ...headerFor(key), ...change }, (await issue()).payload), 'format', detail);
  });

  it.each([
    ['padding', (j: string) => `${j}=`, /signature part is not unpadded base64url/],
    ['a bad character', (j: string) => `*${j.slice(1)}`, /header part is not unpadded base64url/],
    ['standard base64', (j: string) => j.replace(/-/g, '+').replace(/_/g, '/').replace(/^(.)/, '+'), /base64url/],
    ['an extra part', (j: string) => `${j}.AAAA`, /3 parts, this has 4/],
    ['a missing part', (j: string) => j.split('.').slice(0, 2).join('.'), /3 parts, this has 2/],
    ['an empty payload part', (j: string) => j.replace(/\.[^.]+\./, '..'), /payload part/],
    ['a short signature', (j: string) => j.slice(0, -4), /signature part/],
    ['non-JSON header', () => `${Buffer.from('nope').toString('base64url')}.e30.${'A'.repeat(86)}`, /not UTF-8 JSON/],
  ])('fails format for %s', async (_name, mutate, detail) => {
    await expectFailure(mutate((await issue()).jws), 'format', detail);
  });

  it('fails format for a non-string or oversized receipt', async () => {
    await expectFailure(42 as unknown as string, 'format', /must be a string/);
    await expectFailure('a'.repeat(20_000), 'format', /longer than/);
  });

  it('fails payload for non-JSON and non-object payloads', async () => {
    await expectFailure(craftJws(key, headerFor(key), enc.encode('not json')), 'payload', /not UTF-8 JSON/);
    await expectFailure(craftJws(key, headerFor(key), [1, 2]), 'payload', /payload must be a JSON object/);
    await expectFailure(
      craftJws(key, headerFor(key), { ...(await issue()).payload, v: 2 }),
      'payload',
      /payload.v must be 1/,
    );
  });

  const wrong: [string, unknown, RegExp][] = [
    ['id', 7, /payload.id must be a string/],
    ['created', '1750000000000', /payload.created must be a number/],
    ['created', 1.5, /payload.created must be an integer/],
    ['requested_model', null, /payload.requested_model must be a string/],
    ['model', '', /payload.model must not be empty/],
    ['provider', ['x'], /payload.provider must be a string/],
    ['attempts', {}, /payload.attempts must be an array/],
    ['attempts', [{ model: 'm', provider: 'p', status: '200' }], /payload.attempts.0.status must be a number/],
    ['stream', 'false', /payload.stream must be a boolean/],
    ['request_sha256', 'AB'.repeat(32), /payload.request_sha256 must be 64 lowercase hex/],
    ['response_sha256', 'ab', /payload.response_sha256 must be 64 lowercase hex/],
    ['usage', { prompt_tokens: -1, completion_tokens: 0 }, /payload.usage.prompt_tokens must not be negative/],
    ['usage', { prompt_tokens: 1 }, /payload.usage.completion_tokens is missing/],
    ['cost_usd', 0.000214, /payload.cost_usd must be a string/],
    ['cost_usd', '1e-6', /payload.cost_usd must be a non-negative decimal string/],
    ['cost_usd', '-0.5', /payload.cost_usd must be a non-negative decimal string/],
    ['measurement', 'zz'.repeat(32), /payload.measurement must be 64 lowercase hex/],
    ['startup_index', -3, /payload.startup_index must not be negative/],
    ['audit_sampled', 0, /payload.audit_sampled must be a boolean/],
    ['key_source', 'customer', /payload.key_source must be 'gateway' or 'byok'/],
    [
      'attempts',
      [{ model: 'm', provider: 'p', status: 200, key_source: 7 }],
      /payload.attempts.0.key_source must be 'gateway' or 'byok'/,
    ],
    ['v', undefined, /payload.v is missing/],
  ];
  it.each(wrong)('fails payload when %s is %j', async (field, value, detail) => {
    const payload = { ...(await issue()).payload, [field]: value };
    await expectFailure(craftJws(key, headerFor(key), payload), 'payload', detail);
  });

  it('fails request, response, measurement and id against the given values', async () => {
    const { jws } = await issue();
    await expectFailure(jws, 'request', /request_sha256 is not/, { request: enc.encode('{"model":"auto"} ') });
    await expectFailure(jws, 'response', /response_sha256 is not/, { response: response.subarray(1) });
    await expectFailure(jws, 'measurement', /is not the expected/, { measurement: 'cd'.repeat(32) });
    await expectFailure(jws, 'id', /is not the expected request id/, { requestId: 'req_2' });
    const ok = await verifyReceipt(jws, {
      signingKey: key.publicKey,
      request,
      response,
      measurement: MEASUREMENT.toUpperCase(),
      requestId: 'req_1',
    });
    expect(ok.ok).toBe(true);
  });

  it('never throws on malformed options: they fail the check that uses them', async () => {
    const { jws } = await issue();
    const bad = await verifyReceipt(jws, { signingKey: new Uint8Array(31) });
    expect(firstFailure(bad)).toMatchObject({ id: 'key', detail: 'options.signingKey must be 32 bytes' });
    expect(bad.checks[2]).toMatchObject({ id: 'signature', status: 'skip' });
    const noOptions = await verifyReceipt(jws, undefined as unknown as { signingKey: string });
    expect(firstFailure(noOptions)?.id).toBe('key');
    const badRequest = await verifyReceipt(jws, { signingKey: key.publicKey, request: 'x' as unknown as Uint8Array });
    expect(firstFailure(badRequest)).toMatchObject({ id: 'request', detail: 'options.request must be a Uint8Array' });
    const notAPoint = await verifyReceipt(jws, { signingKey: new Uint8Array(32).fill(0xff) });
    expect(notAPoint.checks.find((c) => c.id === 'signature')?.status).toBe('fail');
  });
});
