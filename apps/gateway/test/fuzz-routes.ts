/**
 * The fuzz test's requests, route by route: each starts from a valid request for its route and is
 * then broken with the building blocks of fuzz-values.ts, so most cases reach the handler and
 * its lower layers (billing, store, tlog, attest) rather than stopping at authentication.
 */
import fc from 'fast-check';
import { MODEL_IDS, PLACEHOLDER, describeRequest, type FuzzRequest } from './fuzz-harness.js';
import {
  authFor,
  contentHeaders,
  encoded,
  junk,
  keyId,
  mutated,
  notUserId,
  obj,
  query,
  randomString,
  segment,
  specialString,
  type Json,
  type Path,
} from './fuzz-values.js';
import { logTarget } from './fuzz-log-targets.js';

const NO_BODY = new Set(['GET', 'HEAD']);

type Parts = Omit<FuzzRequest, 'body'> & { body?: string | Uint8Array | undefined };

/** A request as the fuzz test sends it; a GET or HEAD loses its body (fetch forbids one). */
export function fuzzRequest(parts: Parts): FuzzRequest {
  const req: FuzzRequest = { ...parts, body: NO_BODY.has(parts.method) ? undefined : parts.body };
  // fast-check prints a counterexample with this: one readable line, not a 70 000-character dump.
  Object.defineProperty(req, fc.toStringMethod, { value: () => describeRequest(req), enumerable: false });
  return req;
}

const text = fc.oneof({ arbitrary: fc.string({ maxLength: 30 }), weight: 6 }, { arbitrary: specialString, weight: 1 });

const message: fc.Arbitrary<Json> = fc.oneof(
  {
    arbitrary: fc
      .tuple(fc.constantFrom('system', 'user', 'assistant'), text)
      .map(([role, content]) => obj({ role, content })),
    weight: 6,
  },
  { arbitrary: text.map((t) => obj({ role: 'user', content: [obj({ type: 'text', text: t })] })), weight: 1 },
  { arbitrary: fc.constant(obj({ role: 'tool', tool_call_id: 'call_1', content: '42' })), weight: 1 },
  {
    arbitrary: fc.constant(
      obj({
        role: 'assistant',
        content: null,
        tool_calls: [obj({ id: 'call_1', type: 'function', function: obj({ name: 'f', arguments: '{}' }) })],
      }),
    ),
    weight: 1,
  },
);

const tool = obj({
  type: 'function',
  function: obj({ name: 'f', description: 'd', parameters: obj({ type: 'object', properties: obj({}) }) }),
});

const CHAT_FIELDS = [
  'model',
  'messages',
  'stream',
  'max_tokens',
  'max_completion_tokens',
  'models',
  'tools',
  'tool_choice',
  'stream_options',
  'response_format',
  'temperature',
  'n',
  'reasoning',
  'provider',
  'user',
];
const CHAT_PATHS: Path[] = [
  ['messages', 0],
  ['messages', 1],
  ['messages', 0, 'role'],
  ['messages', 0, 'content'],
  ['messages', 0, 'content', 0, 'text'],
  ['models', 0],
  ['tools', 0],
  ['tools', 0, 'function', 'parameters'],
  ['stream_options', 'include_usage'],
  ['provider', 'order'],
  ['provider', 'only', 0],
  ['provider', 'sort'],
  ['provider', 'max_price'],
  ['provider', 'max_price', 'prompt'],
  ['reasoning', 'effort'],
];

/** Provider ids of the fuzz catalog, and a few it does not have. */
const providerId = fc.constantFrom('saferouter', 'fake', 'nope', '');

/** OpenRouter's `provider` object, valid most of the time. */
const providerPrefs: fc.Arbitrary<Json> = fc
  .record(
    {
      order: fc.array(providerId, { maxLength: 3 }),
      only: fc.array(providerId, { maxLength: 3 }),
      ignore: fc.array(providerId, { maxLength: 2 }),
      allow_fallbacks: fc.boolean(),
      sort: fc.constantFrom('price', 'latency', 'throughput'),
      max_price: fc
        .record(
          {
            prompt: fc.double({ min: 0, max: 5, noNaN: true }),
            completion: fc.double({ min: 0, max: 5, noNaN: true }),
          },
          { requiredKeys: [] },
        )
        .map((m) => obj(m)),
      require_parameters: fc.boolean(),
      data_collection: fc.constantFrom('allow', 'deny'),
    },
    { requiredKeys: [] },
  )
  .map((p) => obj(p));

function chatBody(stream: boolean): fc.Arbitrary<Json> {
  return fc
    .record(
      {
        model: fc.constantFrom(...MODEL_IDS),
        messages: fc.array(message, { minLength: 1, maxLength: 3 }),
        max_tokens: fc.integer({ min: 1, max: 5000 }),
        max_completion_tokens: fc.integer({ min: 1, max: 5000 }),
        models: fc.subarray([...MODEL_IDS], { minLength: 1 }),
        tools: fc.constant([tool]),
        tool_choice: fc.constantFrom('auto', 'none'),
        stream_options: fc.boolean().map((include_usage) => obj({ include_usage })),
        response_format: fc.constant(obj({ type: 'json_object' })),
        temperature: fc.double({ min: 0, max: 2, noNaN: true }),
        reasoning: fc.oneof(
          fc.constantFrom('low', 'high', 'none').map((effort) => obj({ effort })),
          fc.record({ enabled: fc.boolean(), exclude: fc.boolean() }, { requiredKeys: [] }).map((r) => obj(r)),
        ),
        provider: providerPrefs,
        user: text,
      },
      { requiredKeys: ['model', 'messages'] },
    )
    .map((fields) => obj({ ...fields, ...(stream ? { stream: true } : {}) }));
}

const RESPONSES_FIELDS = [
  'model',
  'input',
  'instructions',
  'max_output_tokens',
  'tools',
  'tool_choice',
  'text',
  'reasoning',
  'stream',
  'previous_response_id',
  'store',
  'provider',
];
const RESPONSES_PATHS: Path[] = [
  ['input', 0],
  ['input', 0, 'content'],
  ['input', 0, 'content', 0, 'type'],
  ['tools', 0],
  ['text', 'format'],
];

/** A `POST /v1/responses` body: a string or a message list, optional tools and format. */
function responsesBody(stream: boolean): fc.Arbitrary<Json> {
  const item = fc.oneof(
    fc
      .tuple(fc.constantFrom('user', 'assistant', 'system', 'developer'), text)
      .map(([role, content]) => obj({ role, content })),
    text.map((t) => obj({ role: 'user', content: [obj({ type: 'input_text', text: t })] })),
    fc.constant(obj({ type: 'function_call_output', call_id: 'call_1', output: '42' })),
  );
  return fc
    .record(
      {
        model: fc.constantFrom(...MODEL_IDS),
        input: fc.oneof(text, fc.array(item, { minLength: 1, maxLength: 3 })),
        instructions: text,
        max_output_tokens: fc.integer({ min: 1, max: 5000 }),
        tools: fc.constant([
          obj({ type: 'function', name: 'f', parameters: obj({ type: 'object', properties: obj({}) }) }),
        ]),
        tool_choice: fc.constantFrom('auto', 'none', 'required'),
        text: fc.constantFrom('text', 'json_object').map((type) => obj({ format: obj({ type }) })),
        reasoning: fc.constantFrom('low', 'high').map((effort) => obj({ effort })),
        store: fc.boolean(),
        provider: providerPrefs,
      },
      { requiredKeys: ['model', 'input'] },
    )
    .map((fields) => obj({ ...fields, ...(stream ? { stream: true } : {}) }));
}

const responses = (stream: boolean) =>
  fc.record({
    method: fc.constant('POST'),
    target: query([]).map((q) => `/v1/responses${q}`),
    auth: authFor('any'),
    headers: contentHeaders,
    body: encoded(mutated(responsesBody(stream), RESPONSES_FIELDS, RESPONSES_PATHS), true),
    cancelAfterChunks: stream ? fc.option(fc.nat(6), { freq: 4, nil: undefined }) : fc.constant(undefined),
  });

const usd: fc.Arbitrary<Json> = fc.oneof(
  { arbitrary: fc.integer({ min: 1, max: 1_000_000_000 }).map((micros) => (micros / 1e6).toFixed(6)), weight: 4 },
  { arbitrary: fc.integer({ min: 1, max: 1000 }), weight: 2 },
  {
    arbitrary: fc.constantFrom(
      '0',
      '1',
      '1.5',
      '0.000001',
      '0.0000001',
      '1e3',
      '-1',
      '1000000',
      '1000001',
      '99999999999',
      ' 1',
      '1.',
      '.5',
      '1,5',
      '$1',
      '1.000000000000000001',
    ),
    weight: 2,
  },
  { arbitrary: fc.double({ min: -10, max: 2e6, noNaN: true }), weight: 1 },
  { arbitrary: fc.integer(), weight: 1 },
);
const limitValue: fc.Arbitrary<Json> = fc.oneof(
  fc.integer({ min: 1, max: 1000 }),
  fc.constant(null),
  fc.constantFrom(0, 1_000_001, 10_001, 1.5),
);
const limits = fc.record({ rpm: limitValue, concurrency: limitValue }, { requiredKeys: [] }).map((l) => obj(l));
const keyName = fc.oneof(
  { arbitrary: fc.string({ minLength: 1, maxLength: 20 }), weight: 4 },
  { arbitrary: specialString, weight: 1 },
);

const createKeyBody = fc
  .record({ name: keyName, credit_usd: usd, limits }, { requiredKeys: ['name'] })
  .map((f) => obj(f));
const updateKeyBody = fc.record({ name: keyName, limits }, { requiredKeys: [] }).map((f) => obj(f));
const topupKeyId = fc.oneof(
  { arbitrary: fc.constantFrom<Json>(PLACEHOLDER.userId, PLACEHOLDER.victim(0)), weight: 4 },
  { arbitrary: fc.constantFrom<Json>('key_0000000000000000', '', 'k'.repeat(65), 'key_\u0000'), weight: 1 },
);
const topupBody = fc
  .record({ key_id: topupKeyId, amount_usd: usd }, { requiredKeys: ['amount_usd'] })
  .map((f) => obj(f));
const nonce = fc.oneof(
  { arbitrary: fc.stringMatching(/^[0-9a-f]{64}$/), weight: 4 },
  { arbitrary: fc.stringMatching(/^[0-9A-F]{64}$/), weight: 1 },
  { arbitrary: fc.stringMatching(/^[0-9a-f]{63}$|^[0-9a-f]{65}$|^[0-9a-f]{64}\n$/), weight: 1 },
);
const quoteBody = nonce.map((n) => obj({ nonce: n }));
/** A BYOK upload of the right shape whose ciphertext opens nowhere (random bytes). */
const byokBody = fc
  .record(
    {
      provider: fc.constantFrom<Json>('fake', 'saferouter', 'nope'),
      ciphertext: fc.stringMatching(/^[A-Za-z0-9_-]{23,200}$/),
      enc: fc.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      always_use: fc.boolean(),
    },
    { requiredKeys: ['provider', 'ciphertext', 'enc'] },
  )
  .map((f) => obj(f));

const ACTIVITY_PARAMS = ['key_id', 'model', 'provider', 'request_id', 'outcome', 'window', 'since', 'until'];

/** Every path that has a handler, for the wrong-method and mixed properties. */
const KNOWN_PATHS = [
  '/v1/chat/completions',
  '/v1/responses',
  '/v1/generation?id=req_0',
  '/v1/models',
  '/v1/models/saferouter/demo',
  '/v1/keys',
  `/v1/keys/${PLACEHOLDER.victim(1)}`,
  '/v1/key',
  '/v1/credits',
  '/v1/credits/topup',
  '/v1/activity',
  '/v1/activity/stats',
  '/health',
  '/ready',
  '/metrics',
  '/openapi.json',
  '/docs',
  '/docs/scalar.js',
  '/docs/..%2f..%2fpackage.json',
  '/attestation/quote',
  '/attestation/verifying-key',
  '/attestation/transparency',
  '/attestation/transparency/head',
  '/attestation/transparency/0',
  '/attestation/transparency/consistency?from=1',
  '/attestation/transparency/checkpoint',
  '/attestation/transparency/tile/0/000.p/3',
  '/attestation/audit/head',
  '/attestation/audit/0',
  '/v1/receipts/req_0',
  '/v1/audit/samples',
  '/.well-known/hpke-keys',
  '/verify/',
  '/verify/..%2f..%2fpackage.json',
  '/',
  '/chat',
  '/keys/x',
  '/assets/index-f.js',
  '/favicon.svg',
];
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'PROPFIND', 'FOO', 'patch', 'M-SEARCH'];

const anyBody = encoded(junk);

export interface RouteFuzz {
  route: string;
  /** Share of the total case budget. */
  weight: number;
  arbitrary: fc.Arbitrary<FuzzRequest>;
}

function route(route: string, weight: number, arbitrary: fc.Arbitrary<Omit<Parts, 'route'>>): RouteFuzz {
  return { route, weight, arbitrary: arbitrary.map((r) => fuzzRequest({ ...r, route })) };
}

const chat = (stream: boolean) =>
  fc.record({
    method: fc.constant('POST'),
    target: query([]).map((q) => `/v1/chat/completions${q}`),
    auth: authFor('any'),
    headers: contentHeaders,
    body: encoded(mutated(chatBody(stream), CHAT_FIELDS, CHAT_PATHS), true),
    cancelAfterChunks: stream ? fc.option(fc.nat(6), { freq: 4, nil: undefined }) : fc.constant(undefined),
  });

export const ROUTES: readonly RouteFuzz[] = [
  route(
    'POST /v1/byok',
    4,
    fc.record({
      method: fc.constant('POST'),
      target: fc.constant('/v1/byok'),
      auth: authFor('any'),
      headers: contentHeaders,
      body: encoded(mutated(byokBody, ['provider', 'ciphertext', 'enc', 'always_use'])),
    }),
  ),
  route(
    'GET /v1/byok, DELETE /v1/byok/{id}',
    2,
    fc.record({
      method: fc.constantFrom('GET', 'DELETE'),
      target: fc.oneof(
        fc.constant('/v1/byok'),
        keyId.map((id) => `/v1/byok/${id}`),
      ),
      auth: authFor('any'),
      headers: fc.constant({}),
    }),
  ),
  route('POST /v1/chat/completions', 16, chat(false)),
  route('POST /v1/chat/completions (stream)', 12, chat(true)),
  route('POST /v1/responses', 6, responses(false)),
  route('POST /v1/responses (stream)', 5, responses(true)),
  route(
    'GET /v1/generation',
    2,
    fc.record({
      method: fc.constantFrom('GET', 'HEAD'),
      target: query(['id']).map((q) => `/v1/generation${q}`),
      auth: authFor('any'),
      headers: fc.constant({}),
    }),
  ),
  route(
    'GET /v1/models[/{id}]',
    3,
    fc.record({
      method: fc.constantFrom('GET', 'HEAD'),
      target: fc.oneof(
        query([]).map((q) => `/v1/models${q}`),
        fc
          .tuple(segment(fc.oneof(fc.constantFrom(...MODEL_IDS), specialString, randomString)), query([]))
          .map(([id, q]) => `/v1/models/${id}${q}`),
      ),
      auth: authFor('any'),
      headers: fc.constant({}),
    }),
  ),
  route(
    'GET /v1/keys',
    3,
    fc.record({
      method: fc.constantFrom('GET', 'HEAD'),
      target: query([]).map((q) => `/v1/keys${q}`),
      auth: authFor('admin'),
      headers: fc.constant({}),
    }),
  ),
  route(
    'POST /v1/keys',
    8,
    fc.record({
      method: fc.constant('POST'),
      target: fc.constant('/v1/keys'),
      auth: authFor('admin'),
      headers: contentHeaders,
      body: encoded(
        mutated(
          createKeyBody,
          ['name', 'credit_usd', 'limits'],
          [
            ['limits', 'rpm'],
            ['limits', 'concurrency'],
          ],
        ),
      ),
    }),
  ),
  route(
    'PATCH /v1/keys/{id}',
    8,
    fc.record({
      method: fc.constant('PATCH'),
      target: keyId.map((id) => `/v1/keys/${id}`),
      auth: authFor('admin'),
      headers: contentHeaders,
      body: encoded(
        mutated(
          updateKeyBody,
          ['name', 'limits'],
          [
            ['limits', 'rpm'],
            ['limits', 'concurrency'],
          ],
        ),
      ),
    }),
  ),
  route(
    'DELETE /v1/keys/{id}',
    4,
    fc.record({
      method: fc.constant('DELETE'),
      target: keyId.map((id) => `/v1/keys/${id}`),
      auth: authFor('admin'),
      headers: fc.constant({}),
      body: fc.option(anyBody, { freq: 4, nil: undefined }),
    }),
  ),
  route(
    'GET /v1/key',
    2,
    fc.record({
      method: fc.constantFrom('GET', 'HEAD'),
      target: query([]).map((q) => `/v1/key${q}`),
      auth: authFor('any'),
      headers: fc.constant({}),
    }),
  ),
  route(
    'GET /v1/credits',
    4,
    fc.record({
      method: fc.constant('GET'),
      target: query(['key_id']).map((q) => `/v1/credits${q}`),
      auth: authFor('any'),
      headers: fc.constant({}),
    }),
  ),
  route(
    'POST /v1/credits/topup',
    6,
    fc.record({
      method: fc.constant('POST'),
      target: fc.constant('/v1/credits/topup'),
      auth: authFor('any'),
      headers: contentHeaders,
      body: encoded(mutated(topupBody, ['key_id', 'amount_usd'])),
    }),
  ),
  route(
    'GET /v1/activity',
    6,
    fc.record({
      method: fc.constant('GET'),
      target: query([...ACTIVITY_PARAMS, 'limit', 'cursor']).map((q) => `/v1/activity${q}`),
      auth: authFor('any'),
      headers: fc.constant({}),
    }),
  ),
  route(
    'GET /v1/activity/stats',
    5,
    fc.record({
      method: fc.constant('GET'),
      target: query([...ACTIVITY_PARAMS, 'bucket']).map((q) => `/v1/activity/stats${q}`),
      auth: authFor('any'),
      headers: fc.constant({}),
    }),
  ),
  route(
    'GET /v1/receipts/{id}',
    3,
    fc.record({
      method: fc.constantFrom('GET', 'HEAD'),
      target: keyId.map((id) => `/v1/receipts/${id}`),
      auth: authFor('any'),
      headers: fc.constant({}),
    }),
  ),
  route(
    'GET /v1/audit/samples',
    3,
    fc.record({
      method: fc.constant('GET'),
      target: query(['limit', 'cursor']).map((q) => `/v1/audit/samples${q}`),
      auth: authFor('any'),
      headers: fc.constant({}),
    }),
  ),
  route(
    'POST /v1/receipts/{id}, POST /v1/audit/samples',
    3,
    fc.record({
      method: fc.constant('POST'),
      target: fc.oneof(
        keyId.map((id) => `/v1/receipts/${id}`),
        fc.constant('/v1/audit/samples'),
      ),
      auth: authFor('any'),
      headers: contentHeaders,
      body: encoded(
        fc.oneof(
          junk,
          fc.tuple(junk, junk).map(([limit, cursor]) => obj({ limit, cursor })),
        ),
      ),
    }),
  ),
  route(
    'EHBP: a sealed-looking request (Ehbp-Encapsulated-Key) with junk',
    6,
    fc.record({
      method: fc.constantFrom('POST', 'POST', 'GET', 'PUT'),
      target: fc.constantFrom('/v1/chat/completions', '/v1/keys', '/v1/models', '/v1/audit/samples'),
      auth: authFor('any'),
      headers: fc
        .oneof(
          fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('hex')),
          fc.string({ maxLength: 80 }),
          fc.constant('00'.repeat(32)),
        )
        .map((enc) => ({ 'ehbp-encapsulated-key': enc, 'content-type': 'application/json' })),
      body: fc.oneof(
        encoded(junk),
        fc.uint8Array({ maxLength: 300 }),
        // A well-framed ciphertext of random bytes: passes framing, fails to open.
        fc.uint8Array({ minLength: 17, maxLength: 200 }).map((ct) => {
          const out = new Uint8Array(4 + ct.length);
          new DataView(out.buffer).setUint32(0, ct.length);
          out.set(ct, 4);
          return out;
        }),
      ),
    }),
  ),
  route(
    'GET /.well-known/hpke-keys, GET /verify/*',
    2,
    fc.record({
      method: fc.constantFrom('GET', 'HEAD', 'OPTIONS'),
      target: fc.oneof(
        query([]).map((q) => `/.well-known/hpke-keys${q}`),
        segment(fc.string({ maxLength: 20 })).map((seg) => `/verify/${seg}`),
        fc.constantFrom('/verify', '/verify/', '/verify/assets/../../x', '/verify/%2e%2e/%2e%2e/etc/passwd'),
      ),
      auth: authFor('none'),
      headers: fc.constant({}),
    }),
  ),
  route(
    'GET / and the dashboard',
    2,
    fc.record({
      method: fc.constantFrom('GET', 'HEAD', 'GET', 'POST', 'OPTIONS'),
      target: fc.oneof(
        fc
          .tuple(fc.constantFrom('/', '/models', '/chat', '/compare', '/activity', '/keys', '/credits'), query([]))
          .map(([p, q]) => `${p}${q}`),
        fc
          .tuple(
            fc.constantFrom('/chat/', '/keys/', '/assets/', '/'),
            segment(fc.oneof(fc.string({ maxLength: 20 }), specialString)),
          )
          .map(([p, seg]) => `${p}${seg}`),
        fc.constantFrom(
          '/assets/index-f.js',
          '/favicon.svg',
          '/index.html',
          '/assets/..%2f..%2fpackage.json',
          '/%2e%2e/x',
        ),
      ),
      auth: authFor('any'),
      headers: fc.constant({}),
    }),
  ),
  route(
    'GET /health',
    1,
    fc.record({
      method: fc.constantFrom('GET', 'HEAD'),
      target: query([]).map((q) => `/health${q}`),
      auth: authFor('none'),
      headers: fc.constant({}),
    }),
  ),
  route(
    'POST /attestation/quote',
    4,
    fc.record({
      method: fc.constantFrom('POST', 'POST', 'POST', 'OPTIONS'),
      target: fc.constant('/attestation/quote'),
      auth: authFor('none'),
      headers: fc.oneof(
        contentHeaders,
        fc.constant({ origin: 'https://example.test', 'access-control-request-method': 'POST' }),
      ),
      body: encoded(mutated(quoteBody, ['nonce'])),
    }),
  ),
  route(
    'GET /attestation/verifying-key',
    1,
    fc.record({
      method: fc.constantFrom('GET', 'HEAD', 'OPTIONS'),
      target: query([]).map((q) => `/attestation/verifying-key${q}`),
      auth: authFor('none'),
      headers: fc.constant({}),
    }),
  ),
  route(
    'GET /attestation/transparency/*',
    6,
    fc.record({
      method: fc.constantFrom('GET', 'GET', 'GET', 'HEAD', 'OPTIONS'),
      target: fc.oneof(logTarget('/attestation/transparency'), logTarget('/attestation/audit')),
      auth: authFor('none'),
      headers: fc.constant({}),
    }),
  ),
  route(
    'wrong method',
    4,
    fc.record({
      method: fc.constantFrom(...METHODS),
      target: fc.constantFrom(...KNOWN_PATHS),
      auth: authFor('any'),
      headers: contentHeaders,
      body: fc.option(anyBody, { nil: undefined }),
    }),
  ),
  route(
    'unknown path',
    4,
    fc.record({
      method: fc.constantFrom(...METHODS),
      target: fc.oneof(
        fc
          .tuple(
            fc.constantFrom(
              '',
              '/v1',
              '/attestation',
              '/attestation/transparency',
              '/v1/keys',
              '/v1/models',
              '/health',
              '/v1/chat',
            ),
            fc.array(
              segment(
                fc.oneof(
                  specialString.filter(notUserId),
                  randomString,
                  fc.constantFrom('..', '.', '', '%2e%2e', 'completions'),
                ),
              ),
              { minLength: 1, maxLength: 4 },
            ),
            query([]),
          )
          .map(([prefix, segs, q]) => `${prefix}/${segs.join('/')}${q}`),
        fc.constantFrom(
          '//',
          '/v1//keys',
          '/v1/keys/',
          '/V1/models',
          '/v1/models/',
          '/health/',
          '/./health',
          '/%2e/health',
          '/v1/chat/completions/',
          '/v1/activity/stats/',
          `/${'a'.repeat(20_000)}`,
        ),
      ),
      auth: authFor('any'),
      headers: contentHeaders,
      body: fc.option(anyBody, { nil: undefined }),
    }),
  ),
];

/** Any of the above, against one gateway, so one route's leftovers meet another's input. */
export const MIXED: RouteFuzz = { route: 'mixed', weight: 8, arbitrary: fc.oneof(...ROUTES.map((r) => r.arbitrary)) };
