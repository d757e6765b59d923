/**
 * The `/v1` API as ./openapi.ts documents it: inference, the catalog, keys, credits, activity,
 * receipts. Request bodies are the valibot schemas the routes validate with (imported from the
 * route files, never copied); answers and hand-parsed inputs come from ./openapi-schemas.ts and
 * ./openapi-responses-request.ts. ./openapi.test.ts holds each to the gateway.
 */
import * as v from 'valibot';
import { ChatRequest } from './chat-request.js';
import { CreateKey, UpdateKey } from './routes/keys.js';
import { Topup } from './routes/credits.js';
import { ResponsesRequest } from './openapi-responses-request.js';
import * as S from './openapi-schemas.js';
import { json, named, type OperationDoc, type ParamDoc } from './openapi-types.js';

const INFERENCE_HEADERS = {
  'x-saferouter-receipt': 'The signed receipt of a non-streamed answer (a stream carries its own).',
  'x-saferouter-provider': 'The provider that answered.',
  'x-saferouter-fallback-from': 'The model asked for, when another one answered.',
  'x-saferouter-fallback-to': 'The model that answered instead.',
};

const INFERENCE_ERRORS = [400, 401, 402, 404, 413, 429, 500, 502, 503, 504];

function activityFilters(): ParamDoc[] {
  const q = (name: string, schema: ParamDoc['schema'], description: string): ParamDoc => ({
    name,
    in: 'query',
    schema,
    description,
  });
  return [
    q('key_id', S.Query.keyId, 'Admin only: one key’s activity. A user key may only name itself.'),
    q('model', S.Query.text(200), 'Only attempts at this model.'),
    q('provider', S.Query.text(100), 'Only attempts at this provider.'),
    q('request_id', S.Query.text(128), 'Only this request (its `X-Request-Id`).'),
    q('outcome', S.Query.outcome, 'Only successes or only failures.'),
    q('since', S.Query.time, 'Start of the window (inclusive).'),
    q('until', S.Query.time, 'End of the window (exclusive); must be after `since`.'),
    q('window', S.Query.window, 'The window before `until` (or now) when `since` is absent.'),
  ];
}

/** The `/v1` operations; every gateway has all of them. */
export function apiOperations(): OperationDoc[] {
  return [
    {
      method: 'post',
      path: '/v1/chat/completions',
      tag: 'Inference',
      summary: 'Create a chat completion',
      description:
        'OpenAI’s chat completions, streamed (`stream: true`) or not, with `usage.cost` (USD) in every answer. ' +
        'OpenRouter’s `models` (your fallback order), `provider` (routing preferences) and `reasoning` are ' +
        'understood; `user` goes upstream only as a keyed HMAC. Fields not listed pass through to the ' +
        'upstream as they are (docs/api.md).',
      auth: 'key',
      body: { schema: named('ChatCompletionRequest', ChatRequest), required: true },
      ok: {
        status: 200,
        description: 'The completion, or its stream.',
        content: {
          ...json(named('ChatCompletion', S.ChatCompletion)),
          'text/event-stream': S.EventStream,
        },
        headers: INFERENCE_HEADERS,
      },
      errors: INFERENCE_ERRORS,
    },
    {
      method: 'post',
      path: '/v1/responses',
      tag: 'Inference',
      summary: 'Create a response (Responses API)',
      description:
        'OpenAI’s Responses API, translated onto chat completions: the same billing, fallback and ' +
        'receipts. Stored state (`previous_response_id`, `conversation`, background mode) is not ' +
        'supported and is refused with `unsupported_feature`.',
      auth: 'key',
      body: { schema: named('ResponsesRequest', ResponsesRequest), required: true },
      ok: {
        status: 200,
        description: 'The Response object, or its stream of semantic events.',
        content: { ...json(named('Response', S.ResponseObject)), 'text/event-stream': S.EventStream },
        headers: INFERENCE_HEADERS,
      },
      errors: INFERENCE_ERRORS,
    },
    {
      method: 'get',
      path: '/v1/generation',
      tag: 'Activity',
      summary: 'One past request (OpenRouter’s generation)',
      auth: 'key',
      params: [
        {
          name: 'id',
          in: 'query',
          required: true,
          schema: v.pipe(v.string(), v.minLength(1), v.maxLength(200)),
          description: 'The completion `id` the response carried, or its `X-Request-Id`.',
        },
      ],
      ok: { status: 200, description: 'The generation.', content: json(named('Generation', S.Generation)) },
      errors: [400, 401, 404],
    },
    {
      method: 'get',
      path: '/v1/models',
      tag: 'Catalog',
      summary: 'List models',
      auth: 'key',
      ok: { status: 200, description: 'The catalog.', content: json(named('ModelList', S.ModelList)) },
      errors: [401],
    },
    {
      method: 'get',
      path: '/v1/models/{id}',
      tag: 'Catalog',
      summary: 'Get a model',
      auth: 'key',
      params: [
        {
          name: 'id',
          in: 'path',
          required: true,
          schema: v.string(),
          description: 'The model id; it may contain `/` (`saferouter/demo`).',
        },
      ],
      ok: { status: 200, description: 'The model.', content: json(named('Model', S.Model)) },
      errors: [401, 404],
    },
    {
      method: 'get',
      path: '/v1/keys',
      tag: 'Keys',
      summary: 'List keys',
      auth: 'admin',
      ok: { status: 200, description: 'Every key.', content: json(named('KeyList', S.KeyList)) },
      errors: [401, 403],
    },
    {
      method: 'post',
      path: '/v1/keys',
      tag: 'Keys',
      summary: 'Create a key',
      description: 'The secret is in the answer’s `key`, this once; the gateway keeps only its hash.',
      auth: 'admin',
      body: { schema: named('CreateKeyRequest', CreateKey), required: true },
      ok: { status: 201, description: 'The new key.', content: json(named('CreatedKey', S.CreatedKey)) },
      errors: [400, 401, 403, 413],
    },
    {
      method: 'patch',
      path: '/v1/keys/{id}',
      tag: 'Keys',
      summary: 'Rename a key or set its limits',
      auth: 'admin',
      params: [{ name: 'id', in: 'path', required: true, schema: v.string(), description: 'The key id.' }],
      body: { schema: named('UpdateKeyRequest', UpdateKey), required: true },
      ok: { status: 200, description: 'The key.', content: json(named('Key', S.Key)) },
      errors: [400, 401, 403, 404, 413],
    },
    {
      method: 'delete',
      path: '/v1/keys/{id}',
      tag: 'Keys',
      summary: 'Revoke a key',
      description: 'Refused on this replica at once, on every other within the key cache TTL.',
      auth: 'admin',
      params: [{ name: 'id', in: 'path', required: true, schema: v.string(), description: 'The key id.' }],
      ok: { status: 200, description: 'The revoked key.', content: json(named('RevokedKey', S.RevokedKey)) },
      errors: [401, 403, 404],
    },
    {
      method: 'get',
      path: '/v1/key',
      tag: 'Keys',
      summary: 'The calling key',
      description:
        'Its record, and whether it may top itself up (`topup_allowed`; `self_topup` is the operator’s setting).',
      auth: 'key',
      ok: { status: 200, description: 'The key.', content: json(named('OwnKey', S.OwnKey)) },
      errors: [401],
    },
    {
      method: 'get',
      path: '/v1/credits',
      tag: 'Credits',
      summary: 'Balance and usage',
      auth: 'key',
      params: [
        {
          name: 'key_id',
          in: 'query',
          schema: S.Query.keyId,
          description: 'Required for the admin key (it has no balance); a user key may only name itself.',
        },
      ],
      ok: { status: 200, description: 'The balance.', content: json(named('Credits', S.Credits)) },
      errors: [400, 401, 403, 404],
    },
    {
      method: 'post',
      path: '/v1/credits/topup',
      tag: 'Credits',
      summary: 'Top up a key',
      description: 'The admin key, or any key for itself when the operator set `SAFEROUTER_SELF_TOPUP=1`.',
      auth: 'key',
      body: { schema: named('TopupRequest', Topup), required: true },
      ok: { status: 200, description: 'The new balance.', content: json(named('TopupResult', S.TopupResult)) },
      errors: [400, 401, 403, 404, 409, 413],
    },
    {
      method: 'get',
      path: '/v1/activity',
      tag: 'Activity',
      summary: 'List attempts',
      description: 'One entry per upstream attempt (`attempt: 0` for a request refused before any), newest first.',
      auth: 'key',
      params: [
        ...activityFilters(),
        { name: 'limit', in: 'query', schema: S.Query.limit(500), description: 'Page size.' },
        { name: 'cursor', in: 'query', schema: v.string(), description: 'The previous page’s `next_cursor`.' },
      ],
      ok: { status: 200, description: 'A page of attempts.', content: json(named('ActivityPage', S.ActivityPage)) },
      errors: [400, 401, 403, 404],
    },
    {
      method: 'get',
      path: '/v1/activity/stats',
      tag: 'Activity',
      summary: 'Summarise a window',
      description: 'Totals, success rate, latency percentiles and cost, by model and provider; `bucket` adds a series.',
      auth: 'key',
      params: [
        ...activityFilters(),
        { name: 'bucket', in: 'query', schema: S.Query.bucket, description: 'Split the window into buckets.' },
      ],
      ok: { status: 200, description: 'The summary.', content: json(named('ActivityStats', S.ActivityStats)) },
      errors: [400, 401, 403, 404],
    },
    ...(['get', 'post'] as const).map((method): OperationDoc => ({
      method,
      path: '/v1/receipts/{id}',
      tag: 'Receipts',
      summary: method === 'get' ? 'Get a receipt' : 'Get a receipt (sealable form)',
      description:
        method === 'get'
          ? 'The signed receipt of one of your requests (the admin: any), kept `SAFEROUTER_RECEIPT_RETENTION_DAYS`. Anything else is a 404.'
          : 'The same with a JSON body (`{}`), so an EHBP client can fetch it sealed.',
      auth: 'key',
      params: [{ name: 'id', in: 'path', required: true, schema: v.string(), description: 'The request id.' }],
      ...(method === 'post' ? { body: { schema: v.looseObject({}), required: true } } : {}),
      ok: { status: 200, description: 'The receipt.', content: json(named('Receipt', S.Receipt)) },
      errors: method === 'get' ? [401, 404] : [400, 401, 404, 413],
    })),
    {
      method: 'get',
      path: '/v1/audit/samples',
      tag: 'Receipts',
      summary: 'Your audit-log samples',
      auth: 'key',
      params: [
        { name: 'limit', in: 'query', schema: S.Query.limit(500), description: 'Page size.' },
        { name: 'cursor', in: 'query', schema: v.string(), description: 'The previous page’s `next_cursor`.' },
      ],
      ok: { status: 200, description: 'A page of samples.', content: json(named('SamplesPage', S.SamplesPage)) },
      errors: [400, 401],
    },
    {
      method: 'post',
      path: '/v1/audit/samples',
      tag: 'Receipts',
      summary: 'Your audit-log samples (sealable form)',
      auth: 'key',
      body: { schema: named('SamplesRequest', S.SamplesRequest), required: true },
      ok: { status: 200, description: 'A page of samples.', content: json(named('SamplesPage', S.SamplesPage)) },
      errors: [400, 401, 413],
    },
  ];
}
