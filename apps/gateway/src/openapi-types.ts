/**
 * The shape of ./openapi.ts's route table: what one documented operation says (method, path, auth,
 * parameters, body, answers), the features that decide which operations a gateway has, the tags,
 * and small constructors the table files share (./openapi-routes-api.ts, ./openapi-routes-public.ts).
 */
import type * as v from 'valibot';

/** A schema in the document: a valibot schema (converted), optionally a named component. */
export type SchemaSource = v.GenericSchema | { name: string; schema: v.GenericSchema } | { json: JsonObject };
export type JsonObject = { [key: string]: unknown };

export type Auth = 'public' | 'key' | 'admin';

export interface ParamDoc {
  name: string;
  in: 'query' | 'path';
  description: string;
  required?: boolean;
  schema: v.GenericSchema | { json: JsonObject };
}

export interface OperationDoc {
  method: 'get' | 'post' | 'patch' | 'delete' | 'options';
  /** OpenAPI path template (`/v1/keys/{id}`). */
  path: string;
  tag: TagName;
  summary: string;
  description?: string;
  auth: Auth;
  params?: ParamDoc[];
  body?: { schema: SchemaSource; description?: string; required?: boolean };
  ok: {
    status: number;
    description: string;
    /** Media type → schema; absent for an answer without a body. */
    content?: Record<string, SchemaSource>;
    headers?: Record<string, string>;
  };
  /** Other answers that are not errors in OpenAI's shape (the readiness probe's 503). */
  other?: Record<number, { description: string; content: Record<string, SchemaSource> }>;
  /** Error statuses, each answered in OpenAI's error shape. */
  errors: number[];
}

/** What this gateway serves besides the always-on routes (mirrors `GatewayDeps`). */
export interface OpenApiFeatures {
  attestation: boolean;
  transparency: boolean;
  audit: boolean;
  ehbp: boolean;
  verifier: boolean;
  /** `GET /metrics`, and whether it needs the admin key. */
  metrics: 'off' | 'admin' | 'public';
  /** The dashboard build's top-level routes (`dashboardTops`), or undefined without a dashboard. */
  dashboard: readonly string[] | undefined;
}

export const TAGS = [
  { name: 'Inference', description: 'OpenAI-compatible chat completions and responses, metered and receipted.' },
  { name: 'Catalog', description: 'The models: prices, limits, capabilities and endpoints.' },
  { name: 'Keys', description: 'API keys. Management is admin only; any key reads its own record.' },
  { name: 'Credits', description: 'Balances and top-ups, as exact decimal USD strings.' },
  { name: 'Activity', description: 'Every upstream attempt, filterable, and summaries for charts.' },
  { name: 'Receipts', description: 'Signed receipts and audit-log samples of your own requests.' },
  { name: 'Attestation', description: 'Public, CORS-open evidence of what this gateway runs (docs/attestation.md).' },
  { name: 'Transparency', description: 'The startup and audit logs: C2SP checkpoints, proofs and tiles.' },
  { name: 'Operations', description: 'Liveness, readiness, metrics and this reference.' },
  { name: 'Pages', description: 'HTML pages and their static files: the dashboard and the verifier.' },
] as const;

export type TagName = (typeof TAGS)[number]['name'];

export const json = (schema: SchemaSource): Record<string, SchemaSource> => ({ 'application/json': schema });
export const text = (description: string): { json: JsonObject } => ({ json: { type: 'string', description } });
export const binary = { json: { type: 'string', contentMediaType: 'application/octet-stream' } };
export const html = { 'text/html': text('An HTML page.') };
export const named = (name: string, schema: v.GenericSchema): SchemaSource => ({ name, schema });
