/**
 * Receipts and the audit log end to end, against the real server (in process, SQLite) at
 * `SAFEROUTER_AUDIT_RATE=1` with a priced catalog. Over streamed and non-streamed requests
 * (fallbacks over one and two failures, keep-alive comments, a bubbled upstream 4xx, every
 * candidate failing, a cut stream), every receipt is verified with `jose` against the
 * `signingKey` of `GET /attestation/verifying-key`, its hashes recomputed from the exact bytes
 * sent and received, its cost checked against the credit delta and the ledger, and its lookup
 * checked for the owner, the admin, a stranger and an unknown id. Then, as a request's holder,
 * every sample is opened with our own bytes and its inclusion in the signed audit checkpoint
 * verified with @saferouter/tlog, with RFC 9162's pseudocode written out here, against the raw
 * tiles, and with @saferouter/audit's `verifySample`.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCatalogConfig } from '@saferouter/router';
import { startFakeUpstream, type FakeBehavior, type FakeUpstream } from '@saferouter/fake-upstream';
import { AUDIT_LOG, PENDING_ISSUE, verifyReceipt, verifySample } from '@saferouter/audit';
import {
  decodeBase64,
  generateSignerKey,
  leafHash,
  openCheckpoint,
  parseVerifierKey,
  verifyConsistency,
  verifyInclusion,
} from '@saferouter/tlog';
import { ADMIN_KEY, startTestGateway, type TestGateway } from './helpers.js';
import {
  billingCatalogJson,
  createKey,
  credits,
  expectedCost,
  sseEvents,
  usdToMicros,
  waitUntil,
  type PricedModel,
} from './billing-fixtures.js';
import {
  decodeEntryBundle,
  joseVerify,
  merkleRoot,
  rfc6962LeafHash,
  rootFromInclusionPath,
  sha256Hex,
  splitAtReceipt,
  verifyingKey,
  type ReceiptJson,
  type VerifyingKey,
} from './receipt-fixtures.js';

type Usage = { prompt_tokens: number; completion_tokens: number };

interface Case {
  name: string;
  model: PricedModel;
  stream: boolean;
  behaviors: Partial<Record<PricedModel, FakeBehavior>>;
  status: number;
  answered: PricedModel;
  attempts: [PricedModel, number][];
  /** The usage billed; undefined when the gateway estimates it (a cut stream). */
  usage: Usage | undefined;
  /** How a 200 stream ends after its receipt comment. */
  end?: 'done' | 'cut';
  keepAlive?: boolean;
}

/** One request as this test sent and received it. */
interface Exchange {
  case: Case;
  keyId: string;
  requestId: string;
  /** The exact request body bytes sent. */
  request: Uint8Array;
  /** The whole response body. */
  body: Uint8Array;
  /** The bytes the receipt hashes: the whole body, or a stream's bytes before its receipt comment. */
  response: Uint8Array;
  jws: string;
  payload: ReceiptJson;
  /** The balance's drop across the request, in micro-dollars. */
  charged: number;
}

interface SampleJson {
  id: string;
  status: 'pending' | 'integrated';
  index: number | null;
  entry: string;
  request_salt: string;
  response_salt: string;
  inclusion_proof: string[] | null;
  checkpoint: string | null;
}

interface HeadJson {
  origin: string;
  size: number;
  root_hash: string;
  note: string;
  vkey: string;
}

const USAGE: Usage = { prompt_tokens: 1000, completion_tokens: 500 };
const STREAM_USAGE: Usage = { prompt_tokens: 1234, completion_tokens: 345 };
const NOTHING: Usage = { prompt_tokens: 0, completion_tokens: 0 };
const UPSTREAM_400 = {
  error: { message: 'temperature must be at most 2', type: 'invalid_request_error', code: 'invalid_value' },
};

const CASES: Case[] = [
  {
    name: 'non-stream',
    model: 'b-solo',
    stream: false,
    behaviors: { 'b-solo': { usage: USAGE } },
    status: 200,
    answered: 'b-solo',
    attempts: [['b-solo', 200]],
    usage: USAGE,
  },
  {
    name: 'stream',
    model: 'b-solo',
    stream: true,
    behaviors: { 'b-solo': { usage: STREAM_USAGE, chunks: 6, chunkDelayMs: 2 } },
    status: 200,
    answered: 'b-solo',
    attempts: [['b-solo', 200]],
    usage: STREAM_USAGE,
    end: 'done',
  },
  {
    name: 'stream with keep-alive comments while queued',
    model: 'b-solo',
    stream: true,
    behaviors: { 'b-solo': { usage: STREAM_USAGE, keepAlive: true, firstChunkDelayMs: 250 } },
    status: 200,
    answered: 'b-solo',
    attempts: [['b-solo', 200]],
    usage: STREAM_USAGE,
    end: 'done',
    keepAlive: true,
  },
  {
    name: 'non-stream with keep-alive blank lines while queued',
    model: 'b-solo',
    stream: false,
    behaviors: { 'b-solo': { usage: USAGE, keepAlive: true, delayMs: 250 } },
    status: 200,
    answered: 'b-solo',
    attempts: [['b-solo', 200]],
    usage: USAGE,
  },
  {
    name: 'non-stream fallback: the primary answers 503, the fallback answers',
    model: 'b-dear',
    stream: false,
    behaviors: { 'b-dear': { status: 503 }, 'b-cheap': { usage: USAGE } },
    status: 200,
    answered: 'b-cheap',
    attempts: [
      ['b-dear', 503],
      ['b-cheap', 200],
    ],
    usage: USAGE,
  },
  {
    name: 'stream fallback over two failures (500, 503)',
    model: 'b-thrift',
    stream: true,
    behaviors: { 'b-thrift': { status: 500 }, 'b-dear': { status: 503 }, 'b-cheap': { usage: STREAM_USAGE } },
    status: 200,
    answered: 'b-cheap',
    attempts: [
      ['b-thrift', 500],
      ['b-dear', 503],
      ['b-cheap', 200],
    ],
    usage: STREAM_USAGE,
    end: 'done',
  },
  {
    name: 'an upstream 400, bubbled up as is',
    model: 'b-solo',
    stream: false,
    behaviors: { 'b-solo': { status: 400, errorBody: UPSTREAM_400 } },
    status: 400,
    answered: 'b-solo',
    attempts: [['b-solo', 400]],
    usage: NOTHING,
  },
  {
    name: 'an upstream 400 to a stream request',
    model: 'b-solo',
    stream: true,
    behaviors: { 'b-solo': { status: 400, errorBody: UPSTREAM_400 } },
    status: 400,
    answered: 'b-solo',
    attempts: [['b-solo', 400]],
    usage: NOTHING,
  },
  {
    name: 'every candidate fails (503, 500)',
    model: 'b-dear',
    stream: false,
    behaviors: { 'b-dear': { status: 503 }, 'b-cheap': { status: 500 } },
    status: 500,
    answered: 'b-cheap',
    attempts: [
      ['b-dear', 503],
      ['b-cheap', 500],
    ],
    usage: NOTHING,
  },
  {
    name: 'a stream cut by the upstream mid-way',
    model: 'b-solo',
    stream: true,
    behaviors: { 'b-solo': { cutAfterChunks: 3, chunks: 8 } },
    status: 200,
    answered: 'b-solo',
    // The upstream's own status: it answered 200, then cut the body (the error event says so).
    attempts: [['b-solo', 200]],
    usage: undefined,
    end: 'cut',
  },
];

let upstream: FakeUpstream;
let gw: TestGateway;
let vk: VerifyingKey;
let holder: { id: string; key: string };
let stranger: { id: string; key: string };
const exchanges: Exchange[] = [];

beforeAll(async () => {
  upstream = await startFakeUpstream();
  gw = await startTestGateway(upstream.url, {
    catalog: parseCatalogConfig(billingCatalogJson(upstream.url)),
    auditRate: 1,
  });
  vk = await verifyingKey(gw.url);
  holder = await createKey(gw.url, ADMIN_KEY, 'holder', '10');
  stranger = await createKey(gw.url, ADMIN_KEY, 'stranger', '10');
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

const auth = (key: string): Record<string, string> => ({ authorization: `Bearer ${key}` });

/**
 * The request body as bytes no serializer would produce (tabs, a trailing newline, non-ASCII
 * text), so a gateway hashing anything but the bytes it received cannot match.
 */
function requestBytes(c: Case): Uint8Array {
  const body = {
    model: c.model,
    messages: [{ role: 'user', content: `receipt for "${c.name}" ${randomBytes(6).toString('hex')} — é ✓` }],
    max_tokens: 1000,
    ...(c.stream ? { stream: true } : {}),
  };
  return new TextEncoder().encode(`${JSON.stringify(body, null, '\t')}\n`);
}

async function send(c: Case, who: { id: string; key: string } = holder): Promise<Exchange> {
  upstream.reset();
  for (const [model, behavior] of Object.entries(c.behaviors)) upstream.setBehavior(model, behavior);
  const request = requestBytes(c);
  const before = await credits(gw.url, ADMIN_KEY, who.id);
  const sent = Date.now();
  const res = await fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { ...auth(who.key), 'content-type': 'application/json' },
    body: request,
  });
  const body = new Uint8Array(await res.arrayBuffer());
  const received = Date.now();
  const text = Buffer.from(body).toString('utf8');
  expect(res.status, text).toBe(c.status);
  const requestId = res.headers.get('x-request-id') ?? '';
  expect(requestId).toMatch(/^req_/);

  let response: Uint8Array;
  let jws: string;
  if (c.end !== undefined) {
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(res.headers.get('x-saferouter-receipt')).toBeNull();
    const split = splitAtReceipt(body);
    response = split.before;
    jws = split.jws;
    const events = sseEvents(Buffer.from(split.before).toString('utf8'));
    if (c.end === 'done') {
      // After the usage chunk, immediately before [DONE], and nothing after it.
      expect(split.after).toBe('data: [DONE]\n\n');
      expect(events.at(-1)?.['usage']).toMatchObject(c.usage ?? {});
    } else {
      expect(text).not.toContain('[DONE]');
      const m = /^data: (\{.*\})\n\n$/.exec(split.after);
      expect(m, `after the receipt: ${JSON.stringify(split.after)}`).not.toBeNull();
      expect(JSON.parse(m![1]!)).toMatchObject({ error: { code: 'stream_interrupted' } });
      // The gateway reports what it charged for the cut stream (an estimate) in a usage chunk of its own.
      expect(events.at(-1)?.['usage']).toMatchObject({ cost: expect.any(Number) });
    }
    if (c.keepAlive === true) {
      // The comments went out before the first data event, so the receipt covers them.
      const keepAlive = Buffer.from(response).indexOf(': keep-alive');
      expect(keepAlive, 'keep-alive comments reached the client').toBeGreaterThanOrEqual(0);
      expect(keepAlive).toBeLessThan(Buffer.from(response).indexOf('data:'));
    }
  } else {
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    jws = res.headers.get('x-saferouter-receipt') ?? '';
    expect(jws, `no X-SafeRouter-Receipt on: ${text}`).not.toBe('');
    response = body;
    if (c.status === 400) expect(JSON.parse(text)).toEqual(UPSTREAM_400);
    if (c.answered !== c.model && c.status === 200) {
      expect(res.headers.get('x-saferouter-fallback-from')).toBe(c.model);
      expect(res.headers.get('x-saferouter-fallback-to')).toBe(c.answered);
    }
  }

  const after = await credits(gw.url, ADMIN_KEY, who.id);
  expect(after.held).toBe(0);
  const charged = before.balance - after.balance;

  const { payload } = await joseVerify(jws, vk.signingKey);
  expect(payload.created).toBeGreaterThanOrEqual(sent);
  expect(payload.created).toBeLessThanOrEqual(received);
  return { case: c, keyId: who.id, requestId, request, body, response, jws, payload, charged };
}

async function ledgerSum(keyId: string, requestId: string): Promise<number> {
  const rows = await gw.store.billing.ledger(keyId, { limit: 1000 });
  return rows.filter((r) => r.requestId === requestId).reduce((sum, r) => sum + r.amountMicros, 0);
}

describe('receipts at SAFEROUTER_AUDIT_RATE=1', () => {
  it('every response carries a receipt that jose verifies and that matches the bytes and the charge', async () => {
    const startupRecords = new Map<number, { keys: { signing: string }; build: { measurement: string } }>();
    for (const c of CASES) {
      const ex = await send(c);
      exchanges.push(ex);
      const p = ex.payload;
      const usage = c.usage ?? p.usage;
      expect(p, c.name).toEqual({
        v: 1,
        id: ex.requestId,
        created: p.created,
        requested_model: c.model,
        model: c.answered,
        provider: 'up',
        key_source: 'gateway',
        attempts: c.attempts.map(([model, status]) => ({ model, provider: 'up', status, key_source: 'gateway' })),
        stream: c.stream,
        request_sha256: sha256Hex(ex.request),
        response_sha256: sha256Hex(ex.response),
        usage,
        cost_usd: p.cost_usd,
        measurement: vk.measurement,
        startup_index: p.startup_index,
        audit_sampled: true,
      });
      // The charge: what the receipt says is what left the balance, what the ledger holds for
      // this request, and what the catalog's prices make of the usage.
      expect(p.cost_usd).toMatch(/^(0|[1-9]\d*)(\.\d*[1-9])?$/);
      expect(usdToMicros(p.cost_usd), c.name).toBe(ex.charged);
      expect((await ledgerSum(ex.keyId, ex.requestId)) + ex.charged).toBe(0);
      expect(ex.charged).toBe(expectedCost(c.answered, usage.prompt_tokens, usage.completion_tokens));
      if (c.usage === undefined) expect(usage.completion_tokens).toBeGreaterThan(0);
      if (c.status !== 200) expect(p.cost_usd).toBe('0');

      // startup_index names this instance's startup record: its signing key and measurement.
      if (!startupRecords.has(p.startup_index)) {
        const res = await fetch(`${gw.url}/attestation/transparency/${p.startup_index}`);
        expect(res.status).toBe(200);
        startupRecords.set(p.startup_index, ((await res.json()) as { record: never }).record);
      }
      expect(startupRecords.get(p.startup_index)).toMatchObject({
        keys: { signing: vk.signingKey },
        build: { measurement: vk.measurement },
      });

      // @saferouter/audit's verifier agrees, on every check.
      const verdict = await verifyReceipt(ex.jws, {
        signingKey: vk.signingKey,
        request: ex.request,
        response: ex.response,
        measurement: vk.measurement,
        requestId: ex.requestId,
      });
      expect(verdict.issues, c.name).toEqual([]);
      expect(verdict.ok).toBe(true);
      expect(verdict.checks.map((k) => `${k.id}:${k.status}`)).toEqual(
        ['format', 'key', 'signature', 'payload', 'request', 'response', 'measurement', 'id'].map((id) => `${id}:pass`),
      );
      expect(verdict.payload).toEqual(p);
    }
    // The charges are real: at least the answered requests cost something.
    expect(exchanges.filter((e) => e.charged > 0).length).toBeGreaterThanOrEqual(5);
    console.log(
      `receipts: ${exchanges.length} verified with jose and verifyReceipt; charged µ$ ${exchanges.map((e) => e.charged).join(', ')}`,
    );
  });

  it('the checks can fail: a changed byte of the receipt, the request or the response is caught', async () => {
    const ex = exchanges.find((e) => e.case.end === 'done');
    expect(ex).toBeDefined();
    const [h, , s] = ex!.jws.split('.') as [string, string, string];
    const forgedPayload = Buffer.from(JSON.stringify({ ...ex!.payload, cost_usd: '0' })).toString('base64url');
    await expect(joseVerify(`${h}.${forgedPayload}.${s}`, vk.signingKey)).rejects.toThrow(/signature/i);
    const otherKey = Buffer.from(
      generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }).x ?? '',
      'base64url',
    ).toString('hex');
    await expect(joseVerify(ex!.jws, otherKey)).rejects.toThrow(/signature/i);
    expect((await verifyReceipt(`${h}.${forgedPayload}.${s}`, { signingKey: vk.signingKey })).ok).toBe(false);

    const extra = new Uint8Array([...ex!.response, 0x0a]);
    const verdict = await verifyReceipt(ex!.jws, { signingKey: vk.signingKey, request: ex!.request, response: extra });
    expect(verdict.checks.find((k) => k.id === 'response')?.status).toBe('fail');
    expect(sha256Hex(extra)).not.toBe(ex!.payload.response_sha256);
  });

  it('requests refused before any upstream call get no receipt', async () => {
    const poor = await createKey(gw.url, ADMIN_KEY, 'poor', '0.000001');
    const refused = [
      // 400: not a chat request.
      await fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { ...auth(holder.key), 'content-type': 'application/json' },
        body: '{"model":"b-solo"}',
      }),
      // 402: the key cannot afford the hold.
      await fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { ...auth(poor.key), 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'b-solo', messages: [{ role: 'user', content: 'x' }], max_tokens: 100_000 }),
      }),
      // 401: no key.
      await fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'b-solo', messages: [{ role: 'user', content: 'x' }] }),
      }),
    ];
    expect(refused.map((r) => r.status)).toEqual([400, 402, 401]);
    for (const res of refused) {
      await res.arrayBuffer();
      expect(res.headers.get('x-saferouter-receipt')).toBeNull();
    }
    // Looked up after the receipts of the earlier requests are readable (same batched writer).
    await waitUntil(async () => {
      const res = await fetch(`${gw.url}/v1/receipts/${exchanges.at(-1)!.requestId}`, { headers: auth(ADMIN_KEY) });
      return res.status === 200 ? true : undefined;
    }, 'the last receipt to be stored');
    for (const res of refused) {
      const id = res.headers.get('x-request-id') ?? '';
      expect((await fetch(`${gw.url}/v1/receipts/${id}`, { headers: auth(ADMIN_KEY) })).status).toBe(404);
    }
  });

  it('GET /v1/receipts/{id}: the same JWS to the key that made the request and to the admin, 404 to anyone else', async () => {
    expect(exchanges).toHaveLength(CASES.length);
    const notFound = async (res: Response): Promise<unknown> => {
      expect(res.status).toBe(404);
      const body = (await res.json()) as { error: { message: string; type: string; code: string } };
      expect(body).toEqual({
        error: { message: expect.any(String), type: 'not_found_error', code: 'receipt_not_found' },
      });
      return body;
    };
    const unknownId = `req_${randomBytes(16).toString('hex')}`;
    const unknown = await notFound(await fetch(`${gw.url}/v1/receipts/${unknownId}`, { headers: auth(holder.key) }));
    await notFound(await fetch(`${gw.url}/v1/receipts/${unknownId}`, { headers: auth(ADMIN_KEY) }));
    for (const ex of exchanges) {
      const url = `${gw.url}/v1/receipts/${ex.requestId}`;
      const own = await waitUntil(async () => {
        const res = await fetch(url, { headers: auth(holder.key) });
        return res.status === 200 ? ((await res.json()) as unknown) : undefined;
      }, `the receipt of ${ex.requestId}`);
      expect(own).toEqual({ id: ex.requestId, receipt: ex.jws });
      const admin = await fetch(url, { headers: auth(ADMIN_KEY) });
      expect(admin.status).toBe(200);
      expect(await admin.json()).toEqual({ id: ex.requestId, receipt: ex.jws });
      // A stranger cannot tell a foreign id from an unknown one.
      expect(await notFound(await fetch(url, { headers: auth(stranger.key) }))).toEqual(unknown);
    }
  });
});

describe('the audit log, from the holder side', () => {
  it('every request is a sample whose commitments open with our bytes, included in the signed checkpoint', async () => {
    expect(exchanges).toHaveLength(CASES.length);
    const origin = 'e2e/saferouter/audit';
    const head = (await (await fetch(`${gw.url}/attestation/audit/head?format=json`)).json()) as HeadJson;
    expect(head.vkey).toBe(vk.transparencyLogKey);
    expect(head.origin).toBe(origin);
    const verifier = parseVerifierKey(head.vkey);

    // Every page of the holder's samples, until all of ours are integrated (the integrator runs
    // every 500 ms). Small pages exercise the cursor.
    const listAll = async (key: string): Promise<SampleJson[]> => {
      const out: SampleJson[] = [];
      let cursor: string | null = null;
      do {
        const res: Response = await fetch(
          `${gw.url}/v1/audit/samples?limit=3${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`,
          { headers: auth(key) },
        );
        expect(res.status).toBe(200);
        const page = (await res.json()) as { data: SampleJson[]; next_cursor: string | null };
        out.push(...page.data);
        cursor = page.next_cursor;
      } while (cursor !== null);
      return out;
    };
    const samples = await waitUntil(
      async () => {
        const all = await listAll(holder.key);
        const ours = exchanges.map((e) => all.find((s) => s.id === e.requestId));
        return ours.every((s) => s?.status === 'integrated') ? all : undefined;
      },
      'every sample to be integrated',
      10_000,
      100,
    );
    expect(samples.map((s) => s.id).sort()).toEqual(exchanges.map((e) => e.requestId).sort());
    expect(await listAll(stranger.key)).toEqual([]);

    const checkpoint = await (await fetch(`${gw.url}/attestation/audit/checkpoint`)).text();
    const opened = await openCheckpoint(checkpoint, { verifier, origin });
    const size = opened.checkpoint.size;
    expect(size).toBe(exchanges.length);
    expect(size).toBeLessThan(256); // one partial tile below
    expect(await (await fetch(`${gw.url}/attestation/audit/head`)).text()).toBe(checkpoint);

    // The raw tiles: every entry and every leaf hash of the log, and the root they make.
    const bundle = decodeEntryBundle(
      new Uint8Array(await (await fetch(`${gw.url}/attestation/audit/tile/entries/000.p/${size}`)).arrayBuffer()),
    );
    const level0 = Buffer.from(await (await fetch(`${gw.url}/attestation/audit/tile/0/000.p/${size}`)).arrayBuffer());
    expect(bundle).toHaveLength(size);
    expect(level0.length).toBe(32 * size);
    const leaves = Array.from({ length: size }, (_, i) => level0.subarray(32 * i, 32 * (i + 1)));
    expect(merkleRoot(leaves).equals(opened.checkpoint.rootHash)).toBe(true);

    const seenIndexes = new Set<number>();
    for (const ex of exchanges) {
      const sample = samples.find((s) => s.id === ex.requestId)!;
      expect(sample.checkpoint).toBe(checkpoint);
      expect(sample.request_salt).toMatch(/^[0-9a-f]{64}$/);
      expect(sample.response_salt).toMatch(/^[0-9a-f]{64}$/);
      expect(sample.request_salt).not.toBe(sample.response_salt);
      const index = sample.index!;
      expect(Number.isSafeInteger(index) && index >= 0 && index < size).toBe(true);
      expect(seenIndexes.has(index)).toBe(false);
      seenIndexes.add(index);

      // The entry, rebuilt from our own bytes and the salts, byte for byte.
      const entry = Buffer.from(sample.entry, 'base64');
      const salt = (hex: string): Uint8Array => Buffer.from(hex, 'hex');
      expect(entry.toString('utf8')).toBe(
        `{"receipt_sha256":"${sha256Hex(Buffer.from(ex.jws, 'ascii'))}",` +
          `"request_commitment":"${sha256Hex(salt(sample.request_salt), ex.request)}",` +
          `"response_commitment":"${sha256Hex(salt(sample.response_salt), ex.response)}","v":1}`,
      );

      // Inclusion of SHA-256(0x00 ‖ entry) at `index` under the signed root: @saferouter/tlog,
      // RFC 9162's pseudocode, and the raw tiles.
      const leaf = rfc6962LeafHash(entry);
      expect(Buffer.from(leafHash(entry)).equals(leaf)).toBe(true);
      const proof = sample.inclusion_proof!.map((b) => Buffer.from(b, 'base64'));
      const tlogVerdict = verifyInclusion({ index, size, leafHash: leaf, proof, rootHash: opened.checkpoint.rootHash });
      expect(tlogVerdict.issues).toEqual([]);
      expect(tlogVerdict.ok).toBe(true);
      expect(rootFromInclusionPath(index, size, leaf, proof)?.equals(opened.checkpoint.rootHash)).toBe(true);
      expect(bundle[index]!.equals(entry)).toBe(true);
      expect(leaves[index]!.equals(leaf)).toBe(true);

      // And @saferouter/audit's verifySample, every check passing.
      const verdict = await verifySample(sample, {
        request: ex.request,
        response: ex.response,
        receipt: ex.jws,
        logKey: head.vkey,
        origin,
      });
      expect(verdict.issues).toEqual([]);
      expect(verdict.checks.map((k) => `${k.id}:${k.status}`)).toEqual(
        ['entry', 'commitments', 'receipt', 'checkpoint', 'inclusion'].map((id) => `${id}:pass`),
      );

      // The public entry endpoint agrees with the sample and the checkpoint.
      const pub = (await (await fetch(`${gw.url}/attestation/audit/${index}`)).json()) as {
        index: number;
        leaf_hash: string;
        entry_base64: string;
        inclusion_proof: string[];
        checkpoint: HeadJson;
      };
      expect(pub.index).toBe(index);
      expect(pub.entry_base64).toBe(sample.entry);
      expect(pub.leaf_hash).toBe(leaf.toString('base64'));
      expect(pub.inclusion_proof).toEqual(sample.inclusion_proof);
      expect(pub.checkpoint).toEqual({
        origin,
        size,
        root_hash: Buffer.from(opened.checkpoint.rootHash).toString('base64'),
        note: checkpoint,
        vkey: head.vkey,
      });
    }

    // Public: any origin may read the log.
    for (const path of ['head', 'checkpoint', '0', `tile/0/000.p/${size}`, `consistency?from=1&to=${size}`]) {
      const res = await fetch(`${gw.url}/attestation/audit/${path}`, { headers: { origin: 'https://example.org' } });
      expect(res.status, path).toBe(200);
      expect(res.headers.get('access-control-allow-origin'), path).toBe('*');
      await res.arrayBuffer();
    }

    // The log is append-only from its first entry on: a consistency proof from size 1.
    const consistency = (await (await fetch(`${gw.url}/attestation/audit/consistency?from=1&to=${size}`)).json()) as {
      proof: string[];
    };
    expect(
      verifyConsistency({
        size1: 1,
        size2: size,
        proof: consistency.proof.map(decodeBase64),
        rootHash1: leaves[0]!,
        rootHash2: opened.checkpoint.rootHash,
      }).ok,
    ).toBe(true);

    // The checks can fail: another request's bytes do not open a sample, nor does a foreign key sign it.
    const [a, b] = exchanges as [Exchange, Exchange];
    const sampleA = samples.find((s) => s.id === a.requestId)!;
    const wrongBytes = await verifySample(sampleA, { request: a.request, response: b.response, logKey: head.vkey });
    expect(wrongBytes.checks.find((k) => k.id === 'commitments')?.status).toBe('fail');
    const foreign = (await generateSignerKey('e2e/saferouter/startup')).vkey;
    const wrongKey = await verifySample(sampleA, { request: a.request, response: a.response, logKey: foreign });
    expect(wrongKey.checks.find((k) => k.id === 'checkpoint')?.status).toBe('fail');
    console.log(`audit log: ${size} samples opened and proven included at size ${size}`);
  });

  it('a sample fetched right after its request is pending, without a proof, then integrates', async () => {
    const c = CASES[0]!;
    // Hold the audit log's append lock (in this process, as the SQLite store serialises its
    // appenders), so "right after" cannot race the 500 ms integrator. The request must not need it.
    // A stream's sample is as durable when its [DONE] arrives as a reply's when its body does.
    const { ex, sample, streamSample } = await gw.store.tlog.log(AUDIT_LOG).withAppendLock(async () => {
      const streamed = await send(CASES.find((k) => k.end === 'done')!);
      const ex = await send(c);
      const res = await fetch(`${gw.url}/v1/audit/samples?limit=5`, { headers: auth(holder.key) });
      expect(res.status).toBe(200);
      const data = ((await res.json()) as { data: SampleJson[] }).data;
      return {
        ex,
        sample: data.find((s) => s.id === ex.requestId),
        streamSample: data.find((s) => s.id === streamed.requestId),
      };
    });
    expect(streamSample).toMatchObject({ status: 'pending', index: null, inclusion_proof: null, checkpoint: null });
    expect(ex.payload.audit_sampled).toBe(true);
    expect(sample).toMatchObject({ status: 'pending', index: null, inclusion_proof: null, checkpoint: null });
    const head = (await (await fetch(`${gw.url}/attestation/audit/head?format=json`)).json()) as HeadJson;
    const pending = await verifySample(sample!, { request: ex.request, response: ex.response, logKey: head.vkey });
    expect(pending.ok).toBe(false);
    expect(pending.issues).toEqual([PENDING_ISSUE]);
    expect(pending.checks.map((k) => `${k.id}:${k.status}`)).toEqual([
      'entry:pass',
      'commitments:pass',
      'receipt:skip',
      'checkpoint:skip',
      'inclusion:skip',
    ]);

    const integrated = await waitUntil(
      async () => {
        const res = await fetch(`${gw.url}/v1/audit/samples?limit=5`, { headers: auth(holder.key) });
        const s = ((await res.json()) as { data: SampleJson[] }).data.find((x) => x.id === ex.requestId);
        return s?.status === 'integrated' ? s : undefined;
      },
      'the pending sample to be integrated',
      10_000,
      100,
    );
    expect(integrated.entry).toBe(sample!.entry);
    const verdict = await verifySample(integrated, {
      request: ex.request,
      response: ex.response,
      receipt: ex.jws,
      logKey: head.vkey,
    });
    expect(verdict.issues).toEqual([]);
    expect(verdict.ok).toBe(true);
  });
});

describe('an upstream that never answers (first-byte timeout)', () => {
  let timedOut: Exchange | undefined;

  it('is receipted and sampled, nothing charged', async () => {
    timedOut = await send(
      {
        name: 'first-byte timeout',
        model: 'b-solo',
        stream: false,
        behaviors: { 'b-solo': { hang: true } },
        status: 504,
        answered: 'b-solo',
        attempts: [['b-solo', 0]],
        usage: NOTHING,
      },
      await createKey(gw.url, ADMIN_KEY, 'timeout', '10'),
    );
    expect(timedOut.charged).toBe(0);
    expect(timedOut.payload).toMatchObject({
      id: timedOut.requestId,
      requested_model: 'b-solo',
      model: 'b-solo',
      usage: NOTHING,
      cost_usd: '0',
      request_sha256: sha256Hex(timedOut.request),
      response_sha256: sha256Hex(timedOut.response),
      audit_sampled: true,
    });
    expect(timedOut.payload.attempts).toHaveLength(1);
  });

  // docs/audit.md §1: an attempt's `status` is the upstream's own HTTP status, 0 when none came.
  it('an attempt that got no HTTP status says status 0', () => {
    expect(timedOut).toBeDefined();
    if (timedOut === undefined) return;
    expect(timedOut.payload.attempts).toEqual([{ model: 'b-solo', provider: 'up', status: 0, key_source: 'gateway' }]);
  });
});
