/**
 * Fuzz (issue 9, "Bad input and failure"): random and mutated bodies, path ids, query strings,
 * methods and keys thrown at every route of the gateway, in-process through `app.request()`.
 *
 * Every upstream in the catalog answers (offline demo models, a fake upstream that always says
 * 200), so any 5xx is made by the gateway: a lower layer's validation error reaching `onError`
 * unmapped. Each response must also be in OpenAI's error shape when its status is >= 400, carry
 * an `x-request-id`, and end (a stream with `data: [DONE]` or an SSE error event); nothing may
 * reject unhandled. Rules: fuzz-harness.ts; generators: fuzz-routes.ts and fuzz-values.ts.
 *
 * At least 10 000 cases under CI (2 000 locally). The seed is fixed so a failure reproduces; a
 * failure prints the seed, the shrunk request and the response. Environment:
 * - `FUZZ_RUNS=N` spreads N cases over the routes instead;
 * - `FUZZ_SEED=S` explores another seed (each route uses S + its index).
 */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MESSAGES } from '../src/test-fixture.js';
import { MIXED, ROUTES, fuzzRequest } from './fuzz-routes.js';
import { createFuzzGateway, judge, PLACEHOLDER, type FuzzGateway, type FuzzRequest } from './fuzz-harness.js';

const CI = (process.env.CI ?? '') !== '' && process.env.CI !== 'false';
const TOTAL = Number(process.env.FUZZ_RUNS ?? (CI ? 10_500 : 2_000));
const SEED = Number(process.env.FUZZ_SEED ?? 0x5afe0009);
const PROPERTIES = [...ROUTES, MIXED];
const WEIGHTS = PROPERTIES.reduce((sum, r) => sum + r.weight, 0);
const runsOf = (weight: number): number => Math.max(10, Math.ceil((TOTAL * weight) / WEIGHTS));

let gw: FuzzGateway;
/** A fresh gateway per test, so one property's keys and activity do not slow down the next. */
function useGateway(): void {
  beforeEach(async () => {
    gw = await createFuzzGateway();
  });
  afterEach(async () => {
    await gw.dispose();
  });
}

const json = (value: unknown): string => JSON.stringify(value);
const deep = (depth: number): string => `${'['.repeat(depth)}${']'.repeat(depth)}`;
const chat = (body: string): FuzzRequest =>
  fuzzRequest({
    route: 'POST /v1/chat/completions',
    method: 'POST',
    target: '/v1/chat/completions',
    auth: { kind: 'user' },
    headers: { 'content-type': 'application/json' },
    body,
  });
const admin = (method: string, target: string, body?: string): FuzzRequest =>
  fuzzRequest({
    route: `${method} ${target.split('?')[0] ?? target}`,
    method,
    target,
    auth: { kind: 'admin' },
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body,
  });
const get = (target: string): FuzzRequest =>
  fuzzRequest({
    route: `GET ${target.split('?')[0] ?? target}`,
    method: 'GET',
    target,
    auth: { kind: 'user' },
    headers: {},
  });

/**
 * Inputs that answered a gateway-made 5xx: those issue 9 lists, then those this test found.
 * Pinned so they stay fixed whatever the generators draw.
 */
const KNOWN: [name: string, request: FuzzRequest][] = [
  ['max_tokens = 2^53', chat(json({ model: 'saferouter/demo', messages: MESSAGES, max_tokens: 2 ** 53 }))],
  [
    'max_tokens = 2^53 + 1 (as written)',
    chat(`{"model":"saferouter/demo","messages":${json(MESSAGES)},"max_tokens":9007199254740993}`),
  ],
  [
    'max_tokens = 1e308, stream',
    chat(json({ model: 'saferouter/demo', messages: MESSAGES, max_tokens: 1e308, stream: true })),
  ],
  [
    'max_completion_tokens = 2^53, priced model',
    chat(json({ model: 'fake/priced', messages: MESSAGES, max_completion_tokens: 2 ** 53 })),
  ],
  ['PATCH /v1/keys/{id}: id of 65 characters', admin('PATCH', `/v1/keys/${'k'.repeat(65)}`, json({ name: 'x' }))],
  ['DELETE /v1/keys/{id}: id of 65 characters', admin('DELETE', `/v1/keys/${'k'.repeat(65)}`)],
  ['PATCH /v1/keys/{id}: id with NUL', admin('PATCH', `/v1/keys/${PLACEHOLDER.victim(0)}%00`, json({ name: 'x' }))],
  ['DELETE /v1/keys/{id}: id with NUL', admin('DELETE', '/v1/keys/key_%00')],
  ['GET /v1/activity/stats?model= (empty)', get('/v1/activity/stats?model=')],
  ['GET /v1/activity?model= (empty)', get('/v1/activity?model=')],
  // Found by this test.
  ['GET /v1/activity/stats?provider= (empty)', get('/v1/activity/stats?provider=')],
  ['GET /v1/activity/stats?request_id= (empty)', get('/v1/activity/stats?request_id=')],
  ['GET /v1/activity/stats?key_id= (empty), admin', admin('GET', '/v1/activity/stats?key_id=')],
  ['GET /v1/activity/stats?model=%00', get('/v1/activity/stats?model=%00')],
  ['GET /v1/activity/stats?until=0 (the default window starts before 1970)', get('/v1/activity/stats?until=0')],
  ['GET /v1/activity/stats?since=9007199254740993', get('/v1/activity/stats?since=9007199254740993')],
  // Buckets: too many for the window (a 400 naming `bucket`), and windows at the edges of time.
  ['GET /v1/activity/stats?bucket=1m&window=366d', get('/v1/activity/stats?bucket=1m&window=366d')],
  ['GET /v1/activity/stats?bucket=1m&since=0', get('/v1/activity/stats?bucket=1m&since=0')],
  ['GET /v1/activity/stats?bucket=1h&until=0', get('/v1/activity/stats?bucket=1h&until=0')],
  ['GET /v1/activity/stats?bucket=1d&until=2^53-1', get('/v1/activity/stats?bucket=1d&until=9007199254740991')],
  [
    'GET /v1/activity/stats?bucket=366d&since=0&until=2^53-1',
    get('/v1/activity/stats?bucket=366d&since=0&until=9007199254740991'),
  ],
  [
    'GET /v1/activity/stats?bucket=366d&since=9007199254740991',
    get('/v1/activity/stats?bucket=366d&since=9007199254740991'),
  ],
  ['GET /v1/credits?key_id= (empty), admin', admin('GET', '/v1/credits?key_id=')],
  ['GET /v1/credits?key_id= 65 characters, admin', admin('GET', `/v1/credits?key_id=${'k'.repeat(65)}`)],
  [
    'POST /v1/credits/topup: key_id of 65 characters',
    admin('POST', '/v1/credits/topup', json({ key_id: 'k'.repeat(65), amount_usd: '1' })),
  ],
  [
    'POST /v1/credits/topup: key_id with NUL',
    admin('POST', '/v1/credits/topup', json({ key_id: 'key_\u0000', amount_usd: '1' })),
  ],
  ['POST /v1/keys: name with NUL', admin('POST', '/v1/keys', json({ name: 'a\u0000b' }))],
  [
    'PATCH /v1/keys/{id}: name with NUL',
    admin('PATCH', `/v1/keys/${PLACEHOLDER.victim(0)}`, json({ name: 'a\u0000b' })),
  ],
  [
    'chat: message content nested 100 000 deep',
    chat(`{"model":"saferouter/demo","messages":[{"role":"user","content":${deep(100_000)}}]}`),
  ],
  [
    'chat: extra field nested 100 000 deep, priced model',
    chat(`{"model":"fake/priced","messages":${json(MESSAGES)},"x":${deep(100_000)}}`),
  ],
  [
    'chat: extra field nested 100 000 deep, priced model, stream',
    chat(`{"model":"fake/priced","stream":true,"messages":${json(MESSAGES)},"x":${deep(100_000)}}`),
  ],
];

describe('the oracle can fail', () => {
  const probe = get('/v1/models');
  const stream = chat('{"stream":true}');
  const respond = (status: number, body: string, type = 'application/json'): Response =>
    new Response(body, { status, headers: { 'content-type': type, 'x-request-id': `req_${'0'.repeat(32)}` } });
  const sse = (...events: string[]): Response =>
    respond(200, events.map((e) => `data: ${e}\n\n`).join(''), 'text/event-stream; charset=utf-8');
  const error = json({ error: { message: 'm', type: 't', code: 'c' } });

  it.each([
    ['a 500 in OpenAI shape', respond(500, error), /gateway-made 500/],
    ['a 503', respond(503, error), /gateway-made 503/],
    ['an error without code', respond(400, json({ error: { message: 'm', type: 't' } })), /OpenAI's shape/],
    ['an error as a string', respond(404, json({ error: 'nope' })), /OpenAI's shape/],
    [
      'an error with an unknown field',
      respond(400, json({ error: { message: 'm', type: 't', code: 'c', stack: 'at x' } })),
      /OpenAI's shape/,
    ],
    [
      'an error whose metadata is not an object of scalars',
      respond(402, json({ error: { message: 'm', type: 't', code: 'c', metadata: { nested: { a: 1 } } } })),
      /OpenAI's shape/,
    ],
    ['an error in plain text', respond(400, 'bad request', 'text/plain'), /not JSON/],
    ['a response without x-request-id', new Response('{}', { status: 200 }), /x-request-id/],
    ['a 200 that says JSON but is not', respond(200, '{"a":'), /says JSON/],
  ] as const)('flags %s', async (_name, res, expected) => {
    expect(await judge(probe, res)).toMatch(expected);
  });

  it.each([
    [
      'a stream cut before [DONE]',
      sse('{"choices":[]}'),
      /neither \[DONE\], a Responses terminal event, nor an error event/,
    ],
    ['a stream with a non-JSON event', sse('{"choices":', '[DONE]'), /not JSON/],
    ['a stream whose error event is not in OpenAI shape', sse('{"error":"x"}'), /OpenAI's shape/],
  ] as const)('flags %s', async (_name, res, expected) => {
    expect(await judge(stream, res)).toMatch(expected);
  });

  it('passes a stream ending with [DONE] or with an error event, and a 4xx in OpenAI shape', async () => {
    expect(await judge(stream, sse('{"choices":[]}', '[DONE]'))).toBeUndefined();
    expect(await judge(stream, sse('{"choices":[]}', error))).toBeUndefined();
    expect(await judge(probe, respond(404, error))).toBeUndefined();
    const withMetadata = json({ error: { message: 'm', type: 't', code: 'c', metadata: { affordable_tokens: 5 } } });
    expect(await judge(probe, respond(402, withMetadata))).toBeUndefined();
  });

  describe('on a real gateway', () => {
    useGateway();
    it('flags the gateway failing (its store closed under it)', async () => {
      await gw.fixture.store.close();
      expect(await gw.check(probe)).toMatch(/^gateway-made 5\d\d/);
    });
  });
});

describe('inputs that answered a gateway-made 5xx', () => {
  useGateway();
  it.each(KNOWN)('%s', async (_name, request) => {
    expect(await gw.check(request)).toBeUndefined();
  });
});

describe(`fuzz: ${PROPERTIES.reduce((n, r) => n + runsOf(r.weight), 0)} cases, seed ${SEED}`, () => {
  useGateway();
  it.each(PROPERTIES.map((r, i) => [r.route, r, i] as const))(
    '%s: no gateway-made 5xx, errors in OpenAI shape, every response ends',
    async (_name, property, index) => {
      await fc.assert(
        fc.asyncProperty(property.arbitrary, async (request) => {
          const verdict = await gw.check(request);
          if (verdict !== undefined) throw new Error(verdict);
        }),
        { seed: SEED + index, numRuns: runsOf(property.weight) },
      );
    },
    300_000,
  );
});
