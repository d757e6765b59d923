/**
 * `GET /openapi.json` against the app it describes (through `app.request()`):
 * - it is a valid OpenAPI 3.1 document (and the validator does reject a broken one);
 * - it lists exactly the routes the app registered, both ways, and an unlisted route is caught;
 * - what it says about request bodies and query parameters is what the gateway does: a body or
 *   value the document refuses is a 400, one it accepts is not;
 * - every answer the tests provoke validates against its documented schema, with no member the
 *   document does not list;
 * - the Responses body, which @saferouter/responses parses by hand, gets the same verdict from
 *   the document as from the parser, over a corpus of accepted and refused bodies.
 * The full gateway (attestation, transparency and audit logs, EHBP, metrics) is checked the same
 * way end to end in test/openapi.e2e.test.ts.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseResponsesRequest, toChatRequest } from '@saferouter/responses';
import { createHash } from 'node:crypto';
import { parseChatRequest } from './chat-request.js';
import { buildOpenApiDocument, documentedOperations, registeredOperations } from './openapi.js';
import type { JsonObject } from './openapi-types.js';
import { checkDocument, validateOpenApi, type DocumentChecker } from './openapi-testing.js';
import { ADMIN_KEY, MESSAGES, createFixture, type Fixture } from './test-fixture.js';
import type { StaticFile, StaticFiles } from './static-files.js';

const file = (text: string): StaticFile => ({
  bytes: new TextEncoder().encode(text),
  sha256: createHash('sha256').update(text).digest('hex'),
});
const DASHBOARD: StaticFiles = new Map([
  ['index.html', file('<!doctype html><title>dashboard</title>')],
  ['favicon.svg', file('<svg/>')],
  ['assets/index-abc.js', file('console.log(1)')],
]);
const DOCS: StaticFiles = new Map([['scalar.js', file('/* scalar */')]]);
const DEMO = 'saferouter/demo';

let work: string;
let f: Fixture;
let doc: JsonObject;
let check: DocumentChecker;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'sr-openapi-'));
  mkdirSync(join(work, 'verifier'));
  writeFileSync(join(work, 'verifier', 'index.html'), '<!doctype html>');
  f = await createFixture({ dashboardFiles: DASHBOARD, verifierDir: join(work, 'verifier'), docsFiles: DOCS });
  const res = await f.call('/openapi.json', { key: null });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  doc = (await res.json()) as JsonObject;
  check = checkDocument(doc);
});
afterAll(async () => {
  await f.dispose();
  rmSync(work, { recursive: true, force: true });
});

const admin = { key: ADMIN_KEY };
const diff = (a: Set<string>, b: Set<string>): string[] => [...a].filter((x) => !b.has(x)).sort();

describe('the document', () => {
  it('is a valid OpenAPI 3.1 document, served without a key', async () => {
    const verdict = await validateOpenApi(doc);
    expect(verdict.errors).toBeUndefined();
    expect(verdict).toMatchObject({ valid: true, version: '3.1' });
    expect(doc['openapi']).toBe('3.1.0');
  });

  it('a broken copy fails the validator (the check can fail)', async () => {
    /** A copy with the JSON value at `path` replaced (or deleted, for `undefined`). */
    const broken = (path: Array<string | number>, value: unknown): unknown => {
      const copy = structuredClone(doc);
      let node = copy as Record<string | number, unknown>;
      for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
      const last = path[path.length - 1] as string | number;
      if (value === undefined) delete node[last];
      else node[last] = value;
      return copy;
    };
    for (const bad of [
      broken(['paths', '/v1/models', 'get', 'responses', '200', 'description'], undefined),
      broken(['paths', '/v1/activity', 'get', 'parameters', 0, 'in'], 'body'),
      broken(['info'], 'SafeRouter'),
    ]) {
      expect((await validateOpenApi(bad)).valid).toBe(false);
    }
  });

  it('every schema is valid JSON Schema 2020-12 (Ajv, strict), which the OpenAPI validator does not check', async () => {
    const schemas = Object.entries((doc['components'] as { schemas: Record<string, unknown> }).schemas);
    expect(schemas.length).toBeGreaterThan(20);
    for (const [name, schema] of schemas) expect(() => check.compile(schema), name).not.toThrow();
    // Parameters and inline answers too.
    const inline: unknown[] = [];
    const walk = (node: unknown): void => {
      if (typeof node !== 'object' || node === null) return;
      for (const [key, value] of Object.entries(node)) {
        if (key === 'schema' && typeof value === 'object' && value !== null && !('$ref' in value)) inline.push(value);
        else walk(value);
      }
    };
    walk(doc['paths']);
    expect(inline.length).toBeGreaterThan(20);
    for (const schema of inline) expect(() => check.compile(schema), JSON.stringify(schema)).not.toThrow();
    const typo = { type: 'strng' };
    expect(() => check.compile(typo)).toThrow();
    const withTypo = structuredClone(doc) as { components: { schemas: Record<string, unknown> } };
    withTypo.components.schemas['Typo'] = typo;
    expect((await validateOpenApi(withTypo)).valid).toBe(true);
  });

  it('lists exactly the routes the app registered', () => {
    const registered = registeredOperations(f.app);
    const documented = documentedOperations(doc);
    expect({ undocumented: diff(registered, documented), unregistered: diff(documented, registered) }).toEqual({
      undocumented: [],
      unregistered: [],
    });
    // The enumeration sees the routes that matter, so equality means something.
    for (const op of ['POST /v1/chat/completions', 'PATCH /v1/keys/{}', 'GET /v1/models/{}', 'GET /docs/{}']) {
      expect(registered).toContain(op);
    }
    expect(registered).toContain('GET /favicon.svg');
    expect(registered).toContain('GET /assets/{}');
    expect(registered).toContain('GET /verify/{}');
  });

  it('lists a smaller gateway’s routes too (no dashboard, no verifier, no docs assets)', async () => {
    const bare = await createFixture();
    try {
      const bareDoc = (await (await bare.call('/openapi.json', { key: null })).json()) as JsonObject;
      expect(diff(registeredOperations(bare.app), documentedOperations(bareDoc))).toEqual([]);
      expect(diff(documentedOperations(bareDoc), registeredOperations(bare.app))).toEqual([]);
      expect(Object.keys(bareDoc['paths'] as object)).not.toContain('/{page}');
    } finally {
      await bare.dispose();
    }
  });

  it('catches a route added without an entry, and an entry without its route', () => {
    const extended = new Hono();
    extended.route('/', f.app);
    extended.post('/v1/unlisted', (c) => c.text('x'));
    expect(diff(registeredOperations(extended), documentedOperations(doc))).toEqual(['POST /v1/unlisted']);
    const claimsMore = buildOpenApiDocument({
      attestation: true,
      transparency: false,
      audit: false,
      ehbp: false,
      verifier: true,
      metrics: 'off',
      dashboard: undefined,
    });
    expect(diff(documentedOperations(claimsMore), registeredOperations(f.app))).toEqual([
      'DELETE /v1/byok/{}',
      'GET /attestation/verifying-key',
      'GET /v1/byok',
      'POST /attestation/quote',
      'POST /v1/byok',
    ]);
  });

  it('marks who may call what', () => {
    const security = (method: string, path: string): unknown => check.operation(method, path)['security'];
    expect(security('GET', '/openapi.json')).toEqual([]);
    expect(security('GET', '/docs')).toEqual([]);
    expect(security('GET', '/health')).toEqual([]);
    expect(security('POST', '/v1/chat/completions')).toEqual([{ apiKey: [] }]);
    expect(security('POST', '/v1/keys')).toEqual([{ adminKey: [] }]);
  });
});

/** The status a body gets from the gateway, and the document's verdict on it. */
async function verdicts(
  method: string,
  path: string,
  bodies: readonly unknown[],
  init: { key?: string; target?: string } = {},
): Promise<Array<{ body: unknown; documented: boolean; status: number }>> {
  const validate = check.body(method, path);
  const out = [];
  for (const body of bodies) {
    const res = await f.call(init.target ?? path, {
      method,
      body,
      ...(init.key === undefined ? {} : { key: init.key }),
    });
    await res.body?.cancel();
    out.push({ body, documented: validate(body), status: res.status });
  }
  return out;
}

/** Every body the document accepts is not a 400; every body it refuses is. */
function expectAgreement(results: Array<{ body: unknown; documented: boolean; status: number }>, valid: number): void {
  const disagreements = results.filter((r) => r.documented !== (r.status !== 400));
  expect(disagreements).toEqual([]);
  // The corpus has both kinds, so agreement is not trivial.
  expect(results.filter((r) => r.documented)).toHaveLength(valid);
}

const chat = (extra: Record<string, unknown>): Record<string, unknown> => ({
  model: DEMO,
  messages: MESSAGES,
  ...extra,
});

describe('request bodies: the document and the gateway agree', () => {
  it('POST /v1/chat/completions', async () => {
    const valid = [
      chat({}),
      chat({ stream: false, max_tokens: 5, max_completion_tokens: null }),
      chat({ models: [DEMO], provider: { sort: 'price', ignore: null }, reasoning: { effort: 'low' } }),
      chat({ user: 'u-1', stream_options: null, tools: null, temperature: 0.2, anything: { passes: 'through' } }),
    ];
    const invalid = [
      {},
      { model: '', messages: MESSAGES },
      { model: DEMO },
      chat({ messages: [] }),
      chat({ messages: [{ content: 'no role' }] }),
      chat({ max_tokens: 0 }),
      chat({ max_tokens: 1.5 }),
      chat({ stream: 'yes' }),
      chat({ models: Array.from({ length: 11 }, () => DEMO) }),
      chat({ provider: { sort: 'cheapest' } }),
      chat({ provider: { unknown: true } }),
      chat({ provider: { max_price: { prompt: -1 } } }),
      chat({ reasoning: { effort: 'max' } }),
      chat({ reasoning: { budget: 5 } }),
      chat({ user: 'u'.repeat(257) }),
      chat({ tools: {} }),
    ];
    expectAgreement(await verdicts('POST', '/v1/chat/completions', [...valid, ...invalid]), valid.length);
  });

  it('POST /v1/responses', async () => {
    const valid = [
      { model: DEMO, input: 'hi' },
      { model: DEMO, input: [{ role: 'user', content: [{ type: 'input_text', text: 'hi' }] }], max_output_tokens: 20 },
      { model: DEMO, input: 'hi', reasoning: { effort: 'xhigh', summary: 'auto' }, store: false, background: false },
    ];
    const invalid = [
      { model: DEMO },
      { model: DEMO, input: [] },
      { model: DEMO, input: 'hi', max_tokens: 5 },
      { model: DEMO, input: 'hi', previous_response_id: 'resp_1' },
      { model: DEMO, input: 'hi', temperature: 3 },
    ];
    expectAgreement(await verdicts('POST', '/v1/responses', [...valid, ...invalid]), valid.length);
  });

  it('POST /v1/keys', async () => {
    const valid = [
      { name: 'a' },
      { name: 'b', credit_usd: '1.5', limits: { rpm: 10, concurrency: null } },
      { name: 'c', credit_usd: 2, unknown: 'dropped' },
    ];
    const invalid = [
      {},
      { name: '' },
      { name: 5 },
      { name: 'x'.repeat(101) },
      { name: 'a', limits: { rpm: 0 } },
      { name: 'a', limits: { concurrency: 1.5 } },
      { name: 'a', limits: 'none' },
      { name: 'a', credit_usd: true },
    ];
    expectAgreement(await verdicts('POST', '/v1/keys', [...valid, ...invalid], admin), valid.length);
  });

  it('PATCH /v1/keys/{id}', async () => {
    const valid = [{ name: 'renamed' }, { limits: { rpm: 5 } }];
    const invalid = [{ name: '' }, { limits: { rpm: 2_000_000 } }, { name: 7 }];
    const target = `/v1/keys/${f.user.id}`;
    expectAgreement(await verdicts('PATCH', '/v1/keys/{id}', [...valid, ...invalid], { ...admin, target }), 2);
  });

  it('POST /v1/credits/topup', async () => {
    const valid = [
      { key_id: f.user.id, amount_usd: '1.25' },
      { key_id: f.user.id, amount_usd: 2 },
    ];
    const invalid = [{}, { key_id: f.user.id }, { key_id: '', amount_usd: 1 }, { key_id: f.user.id, amount_usd: true }];
    expectAgreement(await verdicts('POST', '/v1/credits/topup', [...valid, ...invalid], admin), valid.length);
  });

  it('rules JSON Schema cannot state are in the description, and the gateway enforces them', async () => {
    // `v.trim()` and `v.check()` become sentences, not silent omissions.
    const body = check.operation('PATCH', '/v1/keys/{id}');
    expect(JSON.stringify(doc['components'])).toContain('Leading and trailing whitespace is trimmed first.');
    expect(JSON.stringify(doc['components'])).toContain('must not contain control characters');
    expect(body['requestBody']).toBeDefined();
    const target = `/v1/keys/${f.user.id}`;
    for (const sent of [{}, { name: '   ' }, { name: 'a\u0007b' }]) {
      expect((await f.call(target, { method: 'PATCH', body: sent, ...admin })).status).toBe(400);
    }
  });
});

describe('query parameters: a value the document refuses is a 400', () => {
  const cases: Array<[path: string, name: string, value: string, documented: boolean]> = [
    ['/v1/activity', 'limit', '500', true],
    ['/v1/activity', 'limit', '501', false],
    ['/v1/activity', 'limit', '0', false],
    ['/v1/activity', 'limit', 'ten', false],
    ['/v1/activity', 'outcome', 'error', true],
    ['/v1/activity', 'outcome', 'maybe', false],
    ['/v1/activity', 'window', '7d', true],
    ['/v1/activity', 'window', '1y', false],
    ['/v1/activity', 'model', 'm'.repeat(200), true],
    ['/v1/activity', 'model', 'm'.repeat(201), false],
    ['/v1/activity/stats', 'bucket', '1h', true],
    ['/v1/activity/stats', 'bucket', 'hourly', false],
    ['/v1/audit/samples', 'limit', '501', false],
    ['/v1/generation', 'id', 'i'.repeat(200), true],
    ['/v1/generation', 'id', 'i'.repeat(201), false],
  ];
  it.each(cases)('%s?%s=%s', async (path, name, value, documented) => {
    expect(check.param('GET', path, name)(value)).toBe(documented);
    const res = await f.call(`${path}?${name}=${encodeURIComponent(value)}`);
    await res.body?.cancel();
    // A documented value may still find nothing (the generation id), never a 400.
    if (documented) expect(res.status).not.toBe(400);
    else expect(res.status).toBe(400);
  });

  it('a required parameter is required', async () => {
    const id = (check.operation('GET', '/v1/generation')['parameters'] as JsonObject[]).find((p) => p['name'] === 'id');
    expect(id?.['required']).toBe(true);
    expect((await f.call('/v1/generation')).status).toBe(400);
  });
});

describe('answers match their documented schemas, with no undocumented member', () => {
  async function expectDocumented(
    method: string,
    docPath: string,
    res: Response,
    status: number,
    mediaType?: string,
  ): Promise<unknown> {
    expect(res.status, `${method} ${docPath}`).toBe(status);
    const json = (await res.json()) as unknown;
    const validate = check.answer(method, docPath, status, mediaType);
    expect(validate(json) ? [] : validate.errors, `${method} ${docPath} ${status}`).toEqual([]);
    return json;
  }

  it('the public and model routes', async () => {
    await expectDocumented('GET', '/health', await f.call('/health', { key: null }), 200);
    const ready = await f.call('/ready', { key: null });
    await expectDocumented('GET', '/ready', ready, 200);
    await expectDocumented('GET', '/v1/models', await f.call('/v1/models'), 200);
    await expectDocumented('GET', '/v1/models/{id}', await f.call(`/v1/models/${DEMO}`), 200);
    await expectDocumented('GET', '/v1/models/{id}', await f.call('/v1/models/nobody/none'), 404);
  });

  it('keys, credits', async () => {
    await expectDocumented('GET', '/v1/key', await f.call('/v1/key'), 200);
    await expectDocumented('GET', '/v1/key', await f.call('/v1/key', admin), 200);
    const created = (await expectDocumented(
      'POST',
      '/v1/keys',
      await f.call('/v1/keys', { ...admin, body: { name: 'doc', credit_usd: '3', limits: { rpm: 5 } } }),
      201,
    )) as { id: string };
    await expectDocumented('GET', '/v1/keys', await f.call('/v1/keys', admin), 200);
    const target = `/v1/keys/${created.id}`;
    await expectDocumented(
      'PATCH',
      '/v1/keys/{id}',
      await f.call(target, { ...admin, method: 'PATCH', body: { name: 'd' } }),
      200,
    );
    await expectDocumented('GET', '/v1/credits', await f.call('/v1/credits'), 200);
    await expectDocumented(
      'POST',
      '/v1/credits/topup',
      await f.call('/v1/credits/topup', { ...admin, body: { key_id: created.id, amount_usd: '1' } }),
      200,
    );
    await expectDocumented('DELETE', '/v1/keys/{id}', await f.call(target, { ...admin, method: 'DELETE' }), 200);
    await expectDocumented('POST', '/v1/keys', await f.call('/v1/keys', { body: { name: 'x' } }), 403);
    await expectDocumented('GET', '/v1/keys', await f.call('/v1/keys', { key: null }), 401);
  });

  it('inference, then activity and the generation', async () => {
    const completion = await f.call('/v1/chat/completions', { body: chat({}) });
    await expectDocumented('POST', '/v1/chat/completions', completion, 200);
    const requestId = completion.headers.get('x-request-id') ?? '';
    const response = await f.call('/v1/responses', { body: { model: DEMO, input: 'hi' } });
    await expectDocumented('POST', '/v1/responses', response, 200);
    await expectDocumented('POST', '/v1/chat/completions', await f.call('/v1/chat/completions', { body: {} }), 400);
    const stream = await f.call('/v1/chat/completions', { body: chat({ stream: true }) });
    expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(Object.keys(check.operation('POST', '/v1/chat/completions')['responses'] as object)).toContain('200');
    expect(await stream.text()).toContain('data: [DONE]');
    f.advance(1000);
    await expectDocumented('GET', '/v1/activity', await f.call('/v1/activity'), 200);
    await expectDocumented('GET', '/v1/activity/stats', await f.call('/v1/activity/stats?bucket=1h'), 200);
    await expectDocumented('GET', '/v1/generation', await f.call(`/v1/generation?id=${requestId}`), 200);
    await expectDocumented('GET', '/v1/audit/samples', await f.call('/v1/audit/samples'), 200);
    await expectDocumented('GET', '/v1/receipts/{id}', await f.call(`/v1/receipts/${requestId}`), 404);
  });
});

describe('the Responses body: the document agrees with @saferouter/responses', () => {
  /** What the gateway does with a body: parse it, translate it, and check the chat body. */
  const accepted = (body: unknown): boolean => {
    try {
      parseChatRequest(toChatRequest(parseResponsesRequest(body)));
      return true;
    } catch {
      return false;
    }
  };
  const base = { model: DEMO, input: 'hi' };
  const call = { type: 'function_call', call_id: 'c1', name: 'f', arguments: '{}' };
  const valid: unknown[] = [
    base,
    { ...base, input: [{ role: 'user', content: 'hi' }] },
    {
      ...base,
      input: [
        { type: 'message', role: 'system', content: [{ type: 'input_text', text: 'be brief' }] },
        { role: 'user', content: [{ type: 'input_image', image_url: 'data:image/png;base64,AA==', detail: 'low' }] },
        {
          role: 'assistant',
          content: [
            { type: 'output_text', text: 'ok' },
            { type: 'refusal', refusal: 'no' },
          ],
        },
        call,
        { type: 'function_call_output', call_id: 'c1', output: [{ type: 'input_text', text: '42' }] },
        { type: 'reasoning', summary: [{ type: 'summary_text', text: 'thought' }], id: 'rs_1' },
        { role: 'user', content: 'and?' },
      ],
    },
    {
      ...base,
      tools: [{ type: 'function', name: 'f', parameters: { type: 'object' }, strict: null }],
      tool_choice: { type: 'function', name: 'f' },
    },
    { ...base, tool_choice: 'required', parallel_tool_calls: false },
    { ...base, text: { format: { type: 'json_schema', name: 'x', schema: { type: 'object' } }, verbosity: 'low' } },
    { ...base, text: { format: { type: 'json_object' } } },
    { ...base, reasoning: { effort: 'xhigh', summary: 'auto', max_tokens: 100, exclude: false, enabled: true } },
    { ...base, metadata: { a: 'b' }, include: ['reasoning.encrypted_content'], store: false },
    { ...base, background: false, truncation: 'disabled', service_tier: 'auto', top_logprobs: 0 },
    { ...base, previous_response_id: null, conversation: null, context_management: [] },
    { ...base, provider: { sort: 'price' }, models: [DEMO], max_output_tokens: 10, temperature: 2, top_p: 0 },
    { ...base, user: 'u', safety_identifier: 's', stream: false, stream_options: {}, max_tool_calls: 3 },
    { ...base, prompt_cache_key: 'k', prompt_cache_retention: '24h', prompt_cache_options: {} },
  ];
  const invalid: unknown[] = [
    {},
    [],
    'hi',
    { model: DEMO },
    { input: 'hi' },
    { ...base, model: '' },
    { ...base, input: [] },
    { ...base, input: 5 },
    { ...base, input: [{ type: 'item_reference', id: 'x' }] },
    { ...base, input: [{ content: 'no role, no type' }] },
    { ...base, input: [{ role: 'bot', content: 'x' }] },
    { ...base, input: [{ role: 'user', content: [{ type: 'input_file', file_id: 'f' }] }] },
    { ...base, input: [{ role: 'user', content: [{ type: 'input_image', file_id: 'f', image_url: 'x' }] }] },
    { ...base, input: [{ role: 'assistant', content: [{ type: 'input_image', image_url: 'x' }] }] },
    { ...base, input: [{ ...call, call_id: '' }] },
    { ...base, input: [{ type: 'function_call_output', call_id: 'c1', output: 42 }] },
    { ...base, tools: [{ type: 'web_search' }] },
    { ...base, tools: { type: 'function', name: 'f' } },
    { ...base, tool_choice: 'sometimes' },
    { ...base, temperature: 2.5 },
    { ...base, top_p: -0.1 },
    { ...base, max_output_tokens: 0 },
    { ...base, text: { format: { type: 'xml' } } },
    { ...base, text: { format: { type: 'json_schema', schema: {} } } },
    { ...base, text: { style: 'terse' } },
    { ...base, reasoning: { effort: 'max' } },
    { ...base, reasoning: { budget: 1 } },
    { ...base, metadata: { a: 1 } },
    { ...base, metadata: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v'])) },
    { ...base, metadata: { ['k'.repeat(65)]: 'v' } },
    { ...base, include: ['message.output_text.logprobs'] },
    { ...base, include: ['everything'] },
    { ...base, previous_response_id: 'resp_1' },
    { ...base, conversation: { id: 'c' } },
    { ...base, background: true },
    { ...base, truncation: 'auto' },
    { ...base, top_logprobs: 2 },
    { ...base, service_tier: 'flex' },
    { ...base, context_management: [{ type: 'compaction' }] },
    { ...base, max_tokens: 5 },
    { ...base, store: 'yes' },
    { ...base, models: Array.from({ length: 11 }, () => DEMO) },
    { ...base, provider: { sort: 'cheapest' } },
    { ...base, user: 'u'.repeat(257) },
  ];

  it('accepts what the parser accepts and refuses what it refuses', () => {
    const validate = check.body('POST', '/v1/responses');
    const disagreements = [...valid, ...invalid]
      .map((body) => ({ body, documented: validate(body), parsed: accepted(body) }))
      .filter((r) => r.documented !== r.parsed);
    expect(disagreements).toEqual([]);
    expect(valid.every(accepted)).toBe(true);
    expect(invalid.some(accepted)).toBe(false);
  });
});
