/**
 * Bring your own key (BYOK) against a live gateway in its own process, as an operator runs it:
 *
 * - a client seals its provider key to the gateway with the real `sealProviderKey` (full
 *   verification, the mock backend allowed) and uploads it with `uploadProviderKey`;
 * - the fake upstream receives that key for this caller's requests (stream or not), and the
 *   gateway's own key for another caller's; activity and receipts say `key_source: "byok"`, and the
 *   BYOK fee (SAFEROUTER_BYOK_FEE_PERCENT) is charged, exactly;
 * - an upstream 401 with the caller's key is answered `byok_key_rejected` and never retried with
 *   the gateway's key;
 * - a ciphertext that does not open, the wrong provider, a missing field, an oversized body and
 *   the admin key are refused in OpenAI's shape;
 * - the plaintext key is in no file of the data dir (the SQLite database, WAL included), no row of
 *   Postgres, and nothing the process wrote to stdout/stderr (at trace level);
 * - restarted with a changed catalog price (a new measurement), the gateway reports the key
 *   `sealed_to_other_build` and serves the caller with its own key until it is uploaded again;
 * - on Postgres, a key uploaded to one replica serves on another (they share the sealing key by
 *   attested key release).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '@saferouter/fake-upstream';
import { sealProviderKey, uploadProviderKey, type SealedProviderKey } from '@saferouter/verify';
import { chat, createKey, usdToMicros, waitUntil } from './billing-fixtures.js';
import { killAllGateways, spawnGateway, testLogKey, type ChildGateway } from './child-gateway.js';
import { createTestSchema, type TestSchema } from './pg-schema.js';
import { splitAtReceipt, unverifiedPayload } from './receipt-fixtures.js';

const ADMIN_KEY = `sk-sr-admin-byok-${randomBytes(16).toString('hex')}`;
/** The gateway's own key for the fake upstream, and the caller's, both unique to this run. */
const GATEWAY_KEY = `gw-upstream-${randomBytes(16).toString('hex')}`;
const CALLER_KEY = `sk-caller-${randomBytes(24).toString('hex')}`;
const FEE_PERCENT = '2.5';
const PRICE = { inputPerMillion: 0.333333, outputPerMillion: 1.666667 };
const MICROS = { input: 333_333n, output: 1_666_667n };

let upstream: FakeUpstream;
let dir = '';
const gateways: ChildGateway[] = [];

/** The catalog: provider `up` (the caller brings a key for it) and `other`, both on the fake upstream. */
function catalogJson(price = PRICE): Record<string, unknown> {
  const model = (id: string, provider: string) => ({
    id,
    provider,
    contextLength: 100_000,
    maxOutputTokens: 1000,
    pricing: price,
    capabilities: [],
  });
  return {
    providers: [
      { id: 'up', baseUrl: `${upstream.url}/v1`, apiKeyEnv: 'FAKE_UP_KEY' },
      { id: 'other', baseUrl: `${upstream.url}/v1`, apiKeyEnv: 'FAKE_UP_KEY' },
    ],
    models: [model('m-up', 'up'), model('m-reject', 'up'), model('m-other', 'other')],
  };
}

function writeCatalog(name: string, price = PRICE): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(catalogJson(price)));
  return path;
}

async function start(dataDir: string, configPath: string, databaseUrl?: string): Promise<ChildGateway> {
  const gw = await spawnGateway({
    dataDir,
    configPath,
    adminKey: ADMIN_KEY,
    upstreamKey: GATEWAY_KEY,
    databaseUrl,
    // A deployment's log key outlives its builds, so the restarted (new) build continues the logs.
    logKey: await testLogKey(),
    env: { SAFEROUTER_BYOK_FEE_PERCENT: FEE_PERCENT, SAFEROUTER_LOG_LEVEL: 'trace', SAFEROUTER_AUDIT_RATE: '1' },
  });
  gateways.push(gw);
  return gw;
}

beforeAll(async () => {
  upstream = await startFakeUpstream();
  // A provider that refuses the key it is given.
  upstream.setBehavior('m-reject', { status: 401 });
  dir = mkdtempSync(join(tmpdir(), 'sr-byok-e2e-'));
});

afterAll(async () => {
  await killAllGateways();
  await upstream?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const headers = (key: string): Record<string, string> => ({
  authorization: `Bearer ${key}`,
  'content-type': 'application/json',
});

/** The Authorization the fake upstream received for the last request of `model`. */
function lastAuth(model: string): string | undefined {
  const seen = upstream.requests.filter((r) => r.model === model);
  return seen.at(-1)?.headers['authorization'] as string | undefined;
}

async function seal(url: string, saferouterKey: string, provider = 'up'): Promise<SealedProviderKey> {
  const sealed = await sealProviderKey(url, { provider, apiKey: CALLER_KEY, saferouterKey, allowMock: true });
  expect(sealed.verdict).toBe('demo');
  return sealed;
}

async function byokList(url: string, key: string): Promise<Record<string, unknown>[]> {
  const res = await fetch(`${url}/v1/byok`, { headers: headers(key) });
  expect(res.status).toBe(200);
  return ((await res.json()) as { data: Record<string, unknown>[] }).data;
}

interface ErrorJson {
  error: { code: string; message: unknown; type: unknown; param?: string };
}

async function postByok(url: string, key: string, body: unknown): Promise<{ status: number; json: ErrorJson }> {
  const res = await fetch(`${url}/v1/byok`, {
    method: 'POST',
    headers: headers(key),
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as ErrorJson };
}

/** `ceil(ceil((prompt × in + completion × out) / 1e6) × 250 / 10000)`, in BigInt. */
function expectedFee(prompt: number, completion: number): number {
  const cost = (BigInt(prompt) * MICROS.input + BigInt(completion) * MICROS.output + 999_999n) / 1_000_000n;
  return Number((cost * 250n + 9_999n) / 10_000n);
}

/** Every file under `path`, recursively. */
function filesUnder(path: string): string[] {
  if (!existsSync(path)) return [];
  return readdirSync(path).flatMap((name) => {
    const p = join(path, name);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

/** The files under `dataDir` holding `needle` (as raw bytes, and as hex). */
function filesHolding(dataDir: string, needle: string): string[] {
  const raw = Buffer.from(needle);
  const hex = Buffer.from(raw.toString('hex'));
  return filesUnder(dataDir).filter((f) => {
    const bytes = readFileSync(f);
    return bytes.includes(raw) || bytes.includes(hex);
  });
}

interface ActivityJson {
  request_id: string;
  key_source: string;
  cost_usd: string;
  status: number;
  prompt_tokens: number;
  completion_tokens: number;
}

async function activityOf(url: string, key: string, requestId: string): Promise<ActivityJson[]> {
  return waitUntil(async () => {
    const res = await fetch(`${url}/v1/activity?request_id=${requestId}`, { headers: headers(key) });
    const data = ((await res.json()) as { data: ActivityJson[] }).data;
    return data.length > 0 ? data : undefined;
  }, `the activity of ${requestId}`);
}

describe('BYOK on SQLite', { timeout: 120_000 }, () => {
  let gw: ChildGateway;
  let dataDir: string;
  let alice: { id: string; key: string };
  let bob: { id: string; key: string };
  let sealed: SealedProviderKey;
  let stored: { id: string };

  beforeAll(async () => {
    dataDir = join(dir, 'sqlite-data');
    gw = await start(dataDir, writeCatalog('catalog-1.json'));
    alice = await createKey(gw.url, ADMIN_KEY, 'alice', '1');
    bob = await createKey(gw.url, ADMIN_KEY, 'bob', '1');
  });

  it('a client seals its key to the verified gateway and uploads it; the answer never holds the key', async () => {
    sealed = await seal(gw.url, alice.key);
    expect(sealed.keyId).toBe(alice.id);
    const answer = await uploadProviderKey(gw.url, sealed, { saferouterKey: alice.key });
    expect(answer).toMatchObject({
      id: expect.stringMatching(/^byok_[0-9a-f]{32}$/) as string,
      object: 'byok_key',
      provider: 'up',
      last4: CALLER_KEY.slice(-4),
      always_use: false,
      status: 'active',
    });
    stored = answer as { id: string };
    expect(JSON.stringify(answer)).not.toContain(CALLER_KEY.slice(0, -4));
    const list = await byokList(gw.url, alice.key);
    expect(list).toEqual([answer]);
    expect(await byokList(gw.url, bob.key)).toEqual([]);
  });

  it('the upstream receives the caller’s key for the caller, the gateway’s for everyone else; the fee is charged', async () => {
    const res = await chat(gw.url, alice.key, { model: 'm-up', messages: [{ role: 'user', content: 'hi' }] });
    const body = (await res.json()) as { usage: { prompt_tokens: number; completion_tokens: number; cost: number } };
    expect(res.status).toBe(200);
    expect(lastAuth('m-up')).toBe(`Bearer ${CALLER_KEY}`);
    const requestId = res.headers.get('x-request-id') ?? '';
    const fee = expectedFee(body.usage.prompt_tokens, body.usage.completion_tokens);
    expect(fee).toBeGreaterThan(0);
    const [entry] = await activityOf(gw.url, alice.key, requestId);
    expect(entry).toMatchObject({ key_source: 'byok', status: 200 });
    expect(usdToMicros(entry?.cost_usd ?? '')).toBe(fee);
    const receipt = unverifiedPayload(res.headers.get('x-saferouter-receipt') ?? '');
    expect(receipt).toMatchObject({
      key_source: 'byok',
      attempts: [{ provider: 'up', status: 200, key_source: 'byok' }],
    });
    expect(usdToMicros(receipt.cost_usd)).toBe(fee);

    const stream = await chat(gw.url, alice.key, {
      model: 'm-up',
      messages: [{ role: 'user', content: 'stream it' }],
      stream: true,
    });
    const streamed = Buffer.from(await stream.arrayBuffer());
    expect(stream.status).toBe(200);
    expect(lastAuth('m-up')).toBe(`Bearer ${CALLER_KEY}`);
    expect(unverifiedPayload(splitAtReceipt(streamed).jws)).toMatchObject({ key_source: 'byok' });

    const other = await chat(gw.url, bob.key, { model: 'm-up', messages: [{ role: 'user', content: 'hi' }] });
    expect(other.status).toBe(200);
    expect(lastAuth('m-up')).toBe(`Bearer ${GATEWAY_KEY}`);
    const [bobs] = await activityOf(gw.url, bob.key, other.headers.get('x-request-id') ?? '');
    expect(bobs?.key_source).toBe('gateway');
    expect(unverifiedPayload(other.headers.get('x-saferouter-receipt') ?? '')).toMatchObject({ key_source: 'gateway' });
    // The caller's key is for `up` only: another provider gets the gateway's key.
    await chat(gw.url, alice.key, { model: 'm-other', messages: [{ role: 'user', content: 'hi' }] });
    expect(lastAuth('m-other')).toBe(`Bearer ${GATEWAY_KEY}`);
  });

  it('an upstream 401 with the caller’s key is byok_key_rejected, and never retried with the gateway’s key', async () => {
    const before = upstream.requests.filter((r) => r.model === 'm-reject').length;
    const res = await chat(gw.url, alice.key, { model: 'm-reject', messages: [{ role: 'user', content: 'hi' }] });
    const body = (await res.json()) as { error: { code: string; message: string; type: string } };
    expect(res.status).toBe(401);
    expect(body.error).toMatchObject({ code: 'byok_key_rejected', type: 'authentication_error' });
    expect(body.error.message).toMatch(/^your up key was rejected by the provider \(HTTP 401\)/);
    const seen = upstream.requests.filter((r) => r.model === 'm-reject').slice(before);
    expect(seen.map((r) => r.headers['authorization'])).toEqual([`Bearer ${CALLER_KEY}`]);
    const [entry] = await activityOf(gw.url, alice.key, res.headers.get('x-request-id') ?? '');
    expect(entry).toMatchObject({ key_source: 'byok', status: 401, cost_usd: '0' });
  });

  it('refuses what does not open, the wrong provider, a missing field, an oversized body and the admin key', async () => {
    const body = { provider: 'up', ciphertext: sealed.ciphertext, enc: sealed.enc };
    const flipped = Buffer.from(sealed.ciphertext, 'base64url');
    flipped[0] = (flipped[0] as number) ^ 1;
    const cases: [string, string, unknown, number, string, string | undefined][] = [
      [
        'a flipped ciphertext byte',
        alice.key,
        { ...body, ciphertext: flipped.toString('base64url') },
        400,
        'invalid_ciphertext',
        'ciphertext',
      ],
      [
        'another provider than it was sealed for',
        alice.key,
        { ...body, provider: 'other' },
        400,
        'invalid_ciphertext',
        'ciphertext',
      ],
      ['another caller than it was sealed for', bob.key, body, 400, 'invalid_ciphertext', 'ciphertext'],
      ['a provider the catalog lacks', alice.key, { ...body, provider: 'nope' }, 400, 'unknown_provider', 'provider'],
      [
        'no enc',
        alice.key,
        { provider: 'up', ciphertext: sealed.ciphertext },
        400,
        'missing_required_parameter',
        'enc',
      ],
      [
        'no provider',
        alice.key,
        { ciphertext: sealed.ciphertext, enc: sealed.enc },
        400,
        'missing_required_parameter',
        'provider',
      ],
      ['a number for always_use', alice.key, { ...body, always_use: 1 }, 400, 'invalid_value', 'always_use'],
      ['not JSON', alice.key, '{"provider":', 400, 'invalid_json', undefined],
      ['an oversized body', alice.key, { ...body, padding: 'x'.repeat(20_000) }, 413, 'request_too_large', undefined],
      ['the admin key', ADMIN_KEY, body, 403, 'byok_requires_user_key', undefined],
    ];
    for (const [what, key, payload, status, code, param] of cases) {
      const res = await postByok(gw.url, key, payload);
      expect(res.status, what).toBe(status);
      expect(res.json, what).toMatchObject({ error: { code, ...(param === undefined ? {} : { param }) } });
      expect(typeof res.json.error.message, what).toBe('string');
      expect(typeof res.json.error.type, what).toBe('string');
    }
    // Nothing was stored or replaced by any of them.
    expect((await byokList(gw.url, alice.key)).map((k) => k['id'])).toEqual([stored.id]);
    expect(await byokList(gw.url, bob.key)).toEqual([]);
  });

  it('the plaintext key is in no file of the data dir and nowhere in the gateway’s output', async () => {
    // Let batched activity and receipts reach the database, then let the gateway close it.
    await new Promise((r) => setTimeout(r, 500));
    await gw.stop();
    const files = filesUnder(dataDir).map((f) => f.slice(dataDir.length + 1));
    expect(files).toContain('saferouter.db');
    expect(filesHolding(dataDir, CALLER_KEY)).toEqual([]);
    // Nor any long part of it (the last 4 characters are shown on purpose).
    expect(filesHolding(dataDir, CALLER_KEY.slice(0, -4))).toEqual([]);
    // Positive control: the scan reads the database, where the stored key's id is.
    expect(filesHolding(dataDir, stored.id).length).toBeGreaterThan(0);
    const output = gw.output();
    expect(output.length).toBeGreaterThan(1000);
    expect(output.includes(CALLER_KEY)).toBe(false);
    expect(output.includes(CALLER_KEY.slice(0, -4))).toBe(false);
    expect(output.includes(Buffer.from(CALLER_KEY).toString('hex'))).toBe(false);
  });

  it('after a restart with a changed catalog price (a new measurement) the key is sealed_to_other_build and unused', async () => {
    gw = await start(dataDir, writeCatalog('catalog-2.json', { ...PRICE, inputPerMillion: 0.444444 }));
    expect(sealed.measurement).not.toBe(
      ((await (await fetch(`${gw.url}/attestation/verifying-key`)).json()) as { measurement: string }).measurement,
    );
    const [key] = await byokList(gw.url, alice.key);
    expect(key).toMatchObject({ id: stored.id, provider: 'up', status: 'sealed_to_other_build' });
    const res = await chat(gw.url, alice.key, { model: 'm-up', messages: [{ role: 'user', content: 'hi' }] });
    expect(res.status).toBe(200);
    expect(lastAuth('m-up')).toBe(`Bearer ${GATEWAY_KEY}`);
    const [entry] = await activityOf(gw.url, alice.key, res.headers.get('x-request-id') ?? '');
    expect(entry?.key_source).toBe('gateway');
    // An old ciphertext does not open on the new build either.
    expect(
      (await postByok(gw.url, alice.key, { provider: 'up', ciphertext: sealed.ciphertext, enc: sealed.enc })).json,
    ).toMatchObject({ error: { code: 'invalid_ciphertext' } });
    // Sealed again to the new build, it is used again, with always_use.
    const again = await uploadProviderKey(gw.url, await seal(gw.url, alice.key), {
      saferouterKey: alice.key,
      alwaysUse: true,
    });
    expect(again).toMatchObject({ status: 'active', always_use: true });
    expect((await byokList(gw.url, alice.key)).map((k) => k['id'])).toEqual([again.id]);
    await chat(gw.url, alice.key, { model: 'm-up', messages: [{ role: 'user', content: 'hi' }] });
    expect(lastAuth('m-up')).toBe(`Bearer ${CALLER_KEY}`);
  });

  it('deletes a key for its owner only; then the gateway’s key serves', async () => {
    const [key] = await byokList(gw.url, alice.key);
    const id = String(key?.['id']);
    const del = (k: string, which = id) =>
      fetch(`${gw.url}/v1/byok/${which}`, { method: 'DELETE', headers: headers(k) });
    const bobs = await del(bob.key);
    expect(bobs.status).toBe(404);
    expect(((await bobs.json()) as { error: { code: string } }).error.code).toBe('byok_key_not_found');
    const res = await del(alice.key);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id, object: 'byok_key', deleted: true });
    expect((await del(alice.key)).status).toBe(404);
    expect((await del(alice.key, 'x'.repeat(200))).status).toBe(404);
    expect(await byokList(gw.url, alice.key)).toEqual([]);
    await chat(gw.url, alice.key, { model: 'm-up', messages: [{ role: 'user', content: 'hi' }] });
    expect(lastAuth('m-up')).toBe(`Bearer ${GATEWAY_KEY}`);
    await gw.stop();
    expect(gw.output().includes(CALLER_KEY)).toBe(false);
    expect(filesHolding(dataDir, CALLER_KEY)).toEqual([]);
  });
});

describe('BYOK on Postgres, two replicas', { timeout: 120_000 }, () => {
  let schema: TestSchema;
  let first: ChildGateway;
  let second: ChildGateway;
  let dataDirs: string[] = [];

  beforeAll(async () => {
    // Under the temp dir made by the file's beforeAll (not known when the suite is collected).
    dataDirs = [join(dir, 'pg-data-1'), join(dir, 'pg-data-2')];
    schema = await createTestSchema();
    const catalog = writeCatalog('catalog-pg.json');
    first = await start(dataDirs[0] as string, catalog, schema.url);
    // The second replica of the build is released the deployment's sealing key by the first.
    second = await start(dataDirs[1] as string, catalog, schema.url);
  });
  afterAll(async () => {
    await schema?.drop();
  });

  it('a key uploaded to one replica serves on the other, and no table, file or log line holds it', async () => {
    const carol = await createKey(first.url, ADMIN_KEY, 'carol', '1');
    const answer = await uploadProviderKey(first.url, await seal(first.url, carol.key), { saferouterKey: carol.key });
    expect(answer).toMatchObject({ provider: 'up', status: 'active', last4: CALLER_KEY.slice(-4) });
    expect((await byokList(second.url, carol.key)).map((k) => k['status'])).toEqual(['active']);
    for (const gw of [first, second]) {
      const res = await chat(gw.url, carol.key, { model: 'm-up', messages: [{ role: 'user', content: 'hi' }] });
      expect(res.status).toBe(200);
      expect(lastAuth('m-up')).toBe(`Bearer ${CALLER_KEY}`);
      const [entry] = await activityOf(gw.url, carol.key, res.headers.get('x-request-id') ?? '');
      expect(entry?.key_source).toBe('byok');
    }
    await first.stop();
    await second.stop();

    const dump = await schema.dump();
    // Positive control: the dump has the stored key's row, sealed.
    expect(dump).toContain(String(answer.id));
    const [row] = await schema.query(`SELECT sealed FROM ${schema.name}.byok_keys`);
    expect(String(row?.['sealed'])).toMatch(/^\{"v":1,"alg":"HPKE-X25519-SHA256-A256GCM","measurement":"[0-9a-f]{64}"/);
    for (const needle of [CALLER_KEY, CALLER_KEY.slice(0, -4), Buffer.from(CALLER_KEY).toString('hex')]) {
      expect(dump.includes(needle)).toBe(false);
      for (const gw of [first, second]) expect(gw.output().includes(needle)).toBe(false);
    }
    for (const d of dataDirs) expect(filesHolding(d, CALLER_KEY)).toEqual([]);
  });
});
