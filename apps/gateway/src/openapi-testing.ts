/**
 * Test-only: checks of the OpenAPI document (./openapi.ts) shared by the unit and end-to-end
 * tests. The document is validated by an OpenAPI 3.1 validator that works offline (its schemas
 * ship in the package), and its schemas are compiled with Ajv (JSON Schema 2020-12, strict), so
 * a test can ask "does the document accept this body / this answer?" and compare with what the
 * gateway does. Not imported by the server entry point.
 */
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { JsonObject } from './openapi-types.js';

/** Where build.mjs copies the API reference's bundle from: the pinned package's standalone build. */
export function scalarStandalonePath(): string {
  const entry = createRequire(import.meta.url).resolve('@scalar/api-reference');
  return join(dirname(entry), 'browser', 'standalone.js');
}

/** The validator's verdict on a document. */
export async function validateOpenApi(doc: unknown): Promise<{ valid: boolean; version: string; errors: unknown }> {
  const validator = new Validator();
  const result = await validator.validate(structuredClone(doc) as Record<string, unknown>);
  return { valid: result.valid, version: validator.version, errors: result.errors };
}

/**
 * The schema with every object schema that does not say otherwise closed
 * (`additionalProperties: false`): an answer member the document does not list is then an error.
 * Objects the document marks open (loose valibot objects, pass-through shapes) stay open.
 */
export function closed(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closed);
  if (typeof schema !== 'object' || schema === null) return schema;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(schema)) {
    // Maps of names to schemas: close each schema, not the map.
    out[key] =
      (key === 'properties' || key === '$defs' || key === 'patternProperties') && typeof value === 'object'
        ? Object.fromEntries(Object.entries(value as JsonObject).map(([k, s]) => [k, closed(s)]))
        : closed(value);
  }
  if (out['properties'] !== undefined && out['additionalProperties'] === undefined) out['additionalProperties'] = false;
  return out;
}

export interface DocumentChecker {
  /** The operation object of `method path`. @throws when the document has none. */
  operation(method: string, path: string): JsonObject;
  /** Compiles a schema. @throws when it is not valid JSON Schema 2020-12. */
  compile(schema: unknown): ValidateFunction;
  /** Validates `value` against the request body schema of `method path`. */
  body(method: string, path: string): ValidateFunction;
  /** Validates against the answer schema (closed) of `method path` with `status`. */
  answer(method: string, path: string, status: number, mediaType?: string): ValidateFunction;
  /** Validates a query parameter value (a number when its schema is numeric). */
  param(method: string, path: string, name: string): (raw: string) => boolean;
}

/** Compiles the document's schemas on demand. */
export function checkDocument(doc: JsonObject): DocumentChecker {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  addFormats.default(ajv);
  const schemas = (doc['components'] as { schemas: Record<string, unknown> }).schemas;
  const responses = (doc['components'] as { responses: Record<string, JsonObject> }).responses;
  const deref = (schema: JsonObject): unknown => {
    const ref = schema['$ref'];
    if (typeof ref !== 'string') return schema;
    const name = ref.replace('#/components/schemas/', '');
    const found = schemas[name];
    if (found === undefined) throw new Error(`no component ${ref}`);
    return found;
  };
  const operation = (method: string, path: string): JsonObject => {
    const item = (doc['paths'] as Record<string, Record<string, JsonObject>>)[path];
    const op = item?.[method.toLowerCase()];
    if (op === undefined) throw new Error(`the document has no ${method} ${path}`);
    return op;
  };
  return {
    operation,
    compile: (schema) => ajv.compile(schema as object),
    body(method, path) {
      const body = operation(method, path)['requestBody'] as JsonObject;
      const content = body['content'] as Record<string, { schema: JsonObject }>;
      return ajv.compile(deref((content['application/json'] as { schema: JsonObject }).schema) as object);
    },
    answer(method, path, status, mediaType = 'application/json') {
      let answer = (operation(method, path)['responses'] as Record<string, JsonObject>)[String(status)];
      if (answer === undefined) throw new Error(`${method} ${path} documents no ${status}`);
      const ref = answer['$ref'];
      if (typeof ref === 'string') answer = responses[ref.replace('#/components/responses/', '')] as JsonObject;
      const content = (answer['content'] as Record<string, { schema: JsonObject }> | undefined)?.[mediaType];
      if (content === undefined) throw new Error(`${method} ${path} ${status} documents no ${mediaType}`);
      return ajv.compile(closed(deref(content.schema)) as object);
    },
    param(method, path, name) {
      const params = (operation(method, path)['parameters'] ?? []) as JsonObject[];
      const param = params.find((p) => p['name'] === name);
      if (param === undefined) throw new Error(`${method} ${path} documents no parameter ${name}`);
      const schema = param['schema'] as JsonObject;
      const validate = ajv.compile(schema);
      const numeric = schema['type'] === 'integer' || schema['type'] === 'number';
      return (raw) => validate(numeric && /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw);
    },
  };
}
