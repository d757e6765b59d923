/**
 * `GET /openapi.json`: the gateway's OpenAPI 3.1 document, built from ./openapi-routes.ts, with
 * every schema converted by `@valibot/to-json-schema` from the valibot schema the route validates
 * with (or, for what is built or parsed by hand, the schema of ./openapi-schemas.ts that the tests
 * hold to it). Built once per app, from the same features the app was built with.
 *
 * Why a route table and not `hono-openapi`'s `describeRoute` on each handler: the routes parse
 * bodies themselves (`parseOr400` names the offending field in OpenAI's error shape) and are
 * mounted conditionally; wrapping each in that library's validator would change their errors. The
 * table is checked against the app instead: `registeredOperations(app)` and
 * `documentedOperations(doc)` must be equal (./openapi.test.ts), so a route added without an entry,
 * or an entry without its route, fails the tests.
 */
import type * as v from 'valibot';
import { toJsonSchema, type ConversionConfig, type JsonSchema } from '@valibot/to-json-schema';
import type { Hono } from 'hono';
import { EXTRA_COMPONENTS, operations } from './openapi-routes.js';
import {
  TAGS,
  type JsonObject,
  type OpenApiFeatures,
  type OperationDoc,
  type ParamDoc,
  type SchemaSource,
} from './openapi-types.js';

export type { OpenApiFeatures } from './openapi-types.js';

/** The OpenAPI version the document declares. */
export const OPENAPI_VERSION = '3.1.0';

const STATUS_TEXT: Record<number, string> = {
  400: 'The request is invalid; `error.param` names the field.',
  401: 'No API key, or an unknown or revoked one.',
  402: 'Not enough credit for the request’s worst case.',
  403: 'The key may not do this.',
  404: 'Not found.',
  409: 'Conflict with the current state (e.g. a revoked key).',
  413: 'The request body is larger than the gateway accepts.',
  429: 'A per-key limit (requests per minute, concurrency) was reached.',
  500: 'A bug in the gateway; the request id identifies it in its log.',
  502: 'Every upstream that could answer failed.',
  503: 'Not available (not built, attestation unavailable, draining).',
  504: 'The upstream did not answer in time.',
};

/** Appends a sentence to a schema's description. */
function note(schema: JsonSchema, sentence: string): JsonSchema {
  return { ...schema, description: schema.description === undefined ? sentence : `${schema.description} ${sentence}` };
}

/**
 * valibot → JSON Schema 2020-12 (the dialect of OpenAPI 3.1), as the client must send it
 * (`typeMode: 'input'`). A schema or action that cannot be expressed throws, so a new one is
 * noticed when the document is built (in the tests), never silently dropped. Rules JSON Schema
 * cannot state (`v.check`, `v.trim`) become sentences of the description.
 */
const CONVERSION: ConversionConfig = {
  target: 'draft-2020-12',
  typeMode: 'input',
  errorMode: 'throw',
  // A loose object passes unknown members on (to the upstream, or to the client): say so.
  overrideSchema({ valibotSchema, jsonSchema }) {
    return valibotSchema.type === 'loose_object' ? { ...jsonSchema, additionalProperties: true } : undefined;
  },
  overrideAction({ valibotAction, jsonSchema }) {
    switch (valibotAction.type) {
      case 'finite':
        return jsonSchema; // JSON has no infinities
      case 'trim':
        return note(jsonSchema, 'Leading and trailing whitespace is trimmed first.');
      case 'check': {
        const message = (valibotAction as { message?: unknown }).message;
        return note(jsonSchema, typeof message === 'string' ? `Also: ${message}.` : 'Further checked by the gateway.');
      }
      default:
        return undefined;
    }
  },
};

/**
 * One schema, converted, without its `$schema` (the document's dialect applies).
 *
 * @example jsonSchemaOf(v.pipe(v.string(), v.maxLength(3))) // { type: 'string', maxLength: 3 }
 * @throws {Error} when the schema holds something JSON Schema cannot express.
 */
export function jsonSchemaOf(schema: v.GenericSchema): JsonObject {
  const { $schema: _dialect, ...rest } = toJsonSchema(schema, CONVERSION);
  return rest as JsonObject;
}

function isValibot(source: unknown): source is v.GenericSchema {
  return typeof source === 'object' && source !== null && (source as { kind?: unknown }).kind === 'schema';
}

interface Builder {
  components: Record<string, JsonObject>;
  schema(source: SchemaSource | ParamDoc['schema']): JsonObject;
}

function builder(): Builder {
  const components: Record<string, JsonObject> = {};
  const seen = new Map<string, v.GenericSchema>();
  return {
    components,
    schema(source) {
      if (isValibot(source)) return jsonSchemaOf(source);
      if ('json' in source) return source.json;
      const earlier = seen.get(source.name);
      if (earlier !== undefined && earlier !== source.schema) {
        throw new Error(`openapi: two different schemas are both named ${source.name}`);
      }
      if (earlier === undefined) {
        seen.set(source.name, source.schema);
        components[source.name] = jsonSchemaOf(source.schema);
      }
      return { $ref: `#/components/schemas/${source.name}` };
    },
  };
}

const SECURITY: Record<OperationDoc['auth'], Array<Record<string, string[]>>> = {
  public: [],
  key: [{ apiKey: [] }],
  admin: [{ adminKey: [] }],
};

function operationObject(op: OperationDoc, b: Builder): JsonObject {
  const out: JsonObject = {
    operationId: operationId(op),
    tags: [op.tag],
    summary: op.summary,
    ...(op.description === undefined ? {} : { description: op.description }),
    security: SECURITY[op.auth],
  };
  if (op.params !== undefined) {
    out.parameters = op.params.map((p) => ({
      name: p.name,
      in: p.in,
      required: p.in === 'path' ? true : (p.required ?? false),
      description: p.description,
      schema: b.schema(p.schema),
    }));
  }
  if (op.body !== undefined) {
    out.requestBody = {
      required: op.body.required ?? false,
      ...(op.body.description === undefined ? {} : { description: op.body.description }),
      content: { 'application/json': { schema: b.schema(op.body.schema) } },
    };
  }
  const headers: JsonObject = {
    'x-request-id': { $ref: '#/components/headers/RequestId' },
    ...Object.fromEntries(
      Object.entries(op.ok.headers ?? {}).map(([name, description]) => [
        name,
        { description, schema: { type: 'string' } },
      ]),
    ),
  };
  const ok: JsonObject = { description: op.ok.description, headers };
  if (op.ok.content !== undefined) {
    ok.content = Object.fromEntries(
      Object.entries(op.ok.content).map(([type, schema]) => [type, { schema: b.schema(schema) }]),
    );
  }
  const responses: JsonObject = { [String(op.ok.status)]: ok };
  for (const [status, other] of Object.entries(op.other ?? {})) {
    responses[status] = {
      description: other.description,
      headers: { 'x-request-id': { $ref: '#/components/headers/RequestId' } },
      content: Object.fromEntries(
        Object.entries(other.content).map(([type, schema]) => [type, { schema: b.schema(schema) }]),
      ),
    };
  }
  // Any route may answer 405 (another method) and 500 (a bug); they are listed where they occur.
  for (const status of op.errors) responses[String(status)] = { $ref: `#/components/responses/Error${status}` };
  out.responses = responses;
  return out;
}

/** `post /v1/keys/{id}` → `postV1KeysId`: stable and unique per (method, path). */
function operationId(op: OperationDoc): string {
  const words = op.path
    .split(/[^A-Za-z0-9]+/)
    .filter((w) => w !== '')
    .map((w) => w[0]?.toUpperCase() + w.slice(1));
  return op.method + (words.length === 0 ? 'Root' : words.join(''));
}

/**
 * The document for a gateway serving `features`.
 *
 * @example const doc = buildOpenApiDocument({ attestation: true, ..., dashboard: undefined });
 * @throws {Error} when a schema cannot be expressed in JSON Schema (a bug: the tests build it).
 */
export function buildOpenApiDocument(features: OpenApiFeatures): JsonObject {
  const b = builder();
  const paths: Record<string, JsonObject> = {};
  const used = new Set<string>();
  for (const op of operations(features)) {
    used.add(op.tag);
    const item = (paths[op.path] ??= {});
    if (item[op.method] !== undefined) throw new Error(`openapi: ${op.method} ${op.path} is documented twice`);
    item[op.method] = operationObject(op, b);
  }
  for (const [name, schema] of Object.entries(EXTRA_COMPONENTS)) b.schema({ name, schema });
  const errorResponses: JsonObject = {};
  for (const [status, description] of Object.entries(STATUS_TEXT)) {
    errorResponses[`Error${status}`] = {
      description,
      headers: { 'x-request-id': { $ref: '#/components/headers/RequestId' } },
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
    };
  }
  return {
    openapi: OPENAPI_VERSION,
    info: {
      title: 'SafeRouter gateway',
      version: '0.1.0',
      summary: 'An OpenAI-compatible LLM router with exact billing, signed receipts and attestation.',
      description:
        'Every answer carries `X-Request-Id`; every error is OpenAI’s `{ "error": { "message", "type", "code" } }`. ' +
        'A method a path does not take is a 405 with `Allow`. Money is exact decimal USD strings.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    tags: TAGS.filter((t) => used.has(t.name)).map((t) => ({ ...t })),
    paths,
    components: {
      schemas: b.components,
      responses: errorResponses,
      headers: {
        RequestId: {
          description: 'The request’s id (`req_` + 32 hex), also in the activity log and the receipt.',
          schema: { type: 'string', pattern: '^req_[0-9a-f]{32}$' },
        },
      },
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer', description: 'An API key (`sk-sr-…`), or the admin key.' },
        adminKey: { type: 'http', scheme: 'bearer', description: 'The operator’s admin key (`SAFEROUTER_ADMIN_KEY`).' },
      },
    },
  };
}

/** An operation as `METHOD /path`, with every path parameter written `{}`. */
export type OperationKey = string;

/**
 * What the app serves, from Hono's route list: `GET /v1/keys/{}`.
 *
 * @example registeredOperations(gateway.app).has('PATCH /v1/keys/{}') // true Middleware (`ALL`) is left
 * out; `:name{regex}` and a trailing `*` are path parameters.
 */
export function registeredOperations(app: Pick<Hono, 'routes'>): Set<OperationKey> {
  const out = new Set<OperationKey>();
  for (const route of app.routes) {
    if (route.method === 'ALL') continue;
    const path = route.path
      .split('/')
      .map((segment) => (segment.startsWith(':') || segment === '*' ? '{}' : segment))
      .join('/');
    out.add(`${route.method} ${path === '' ? '/' : path}`);
  }
  return out;
}

/**
 * What the document says is served, in the same form.
 *
 * @example documentedOperations(doc).has('GET /favicon.svg') // with a dashboard that has one A path parameter with an `enum` stands for
 * each of its values (the dashboard's `/{page}`), any other for `{}`.
 */
export function documentedOperations(doc: JsonObject): Set<OperationKey> {
  const out = new Set<OperationKey>();
  const paths = doc.paths as Record<string, Record<string, { parameters?: Array<JsonObject> }>>;
  for (const [path, item] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(item)) {
      const params = new Map((op.parameters ?? []).map((p) => [p.name as string, p]));
      let variants = [''];
      for (const segment of path.split('/').slice(1)) {
        const name = /^\{(.+)\}$/.exec(segment)?.[1];
        const values =
          name === undefined
            ? [segment]
            : (((params.get(name)?.schema as JsonObject | undefined)?.enum as string[] | undefined) ?? ['{}']);
        variants = variants.flatMap((prefix) => values.map((value) => `${prefix}/${value}`));
      }
      for (const variant of variants) out.add(`${method.toUpperCase()} ${variant === '' ? '/' : variant}`);
    }
  }
  return out;
}
