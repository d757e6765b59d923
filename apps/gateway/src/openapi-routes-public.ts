/**
 * The routes outside `/v1` as ./openapi.ts documents them: liveness, readiness, metrics, the
 * reference itself, attestation, the transparency logs, EHBP's key configuration and the pages.
 * Most exist only when the gateway was built with them (`OpenApiFeatures`), so the document
 * lists exactly what the app registered.
 */
import * as v from 'valibot';
import { AttestationBundleSchema } from '@saferouter/attest';
import { DASHBOARD_ROUTES } from './routes/dashboard.js';
import * as S from './openapi-schemas.js';
import {
  binary,
  html,
  json,
  named,
  text,
  type OpenApiFeatures,
  type OperationDoc,
  type ParamDoc,
} from './openapi-types.js';

function transparency(prefix: string, what: string): OperationDoc[] {
  const base = { tag: 'Transparency' as const, auth: 'public' as const };
  const count = (name: string, description: string, required = false): ParamDoc => ({
    name,
    in: 'query',
    schema: S.Query.count,
    description,
    ...(required ? { required } : {}),
  });
  return [
    {
      ...base,
      method: 'get',
      path: prefix,
      summary: `${what}: entries`,
      description: 'Entries in log order from `start`, against the latest checkpoint.',
      params: [count('start', 'First index; default 0.'), count('limit', 'Entries per page, 1 to 100; default 20.')],
      ok: { status: 200, description: 'A page of entries.', content: json(named('LogEntries', S.LogEntries)) },
      errors: [400, 404],
    },
    {
      ...base,
      method: 'get',
      path: `${prefix}/head`,
      summary: `${what}: latest checkpoint`,
      params: [
        {
          name: 'format',
          in: 'query',
          schema: v.literal('json'),
          description: '`json` for the parsed checkpoint; otherwise the signed note as text.',
        },
      ],
      ok: {
        status: 200,
        description: 'The checkpoint.',
        content: { 'text/plain': text('A C2SP signed note.'), ...json(named('Checkpoint', S.Checkpoint)) },
      },
      errors: [404],
    },
    {
      ...base,
      method: 'get',
      path: `${prefix}/consistency`,
      summary: `${what}: consistency proof`,
      params: [count('from', 'The older size, at least 1.', true), count('to', 'The newer size; default the latest.')],
      ok: { status: 200, description: 'The proof.', content: json(named('ConsistencyProof', S.ConsistencyProof)) },
      errors: [400, 404],
    },
    {
      ...base,
      method: 'get',
      path: `${prefix}/checkpoint`,
      summary: `${what}: checkpoint (tlog-tiles)`,
      ok: { status: 200, description: 'The C2SP signed note.', content: { 'text/plain': text('A signed note.') } },
      errors: [404],
    },
    {
      ...base,
      method: 'get',
      path: `${prefix}/tile/{path}`,
      summary: `${what}: a tile (tlog-tiles)`,
      description: '`<L>/<N>[.p/<W>]` or `entries/<N>[.p/<W>]`; full tiles are immutable.',
      params: [{ name: 'path', in: 'path', required: true, schema: v.string(), description: 'The tile path.' }],
      ok: { status: 200, description: 'The tile’s bytes.', content: { 'application/octet-stream': binary } },
      errors: [400, 404],
    },
    {
      ...base,
      method: 'get',
      path: `${prefix}/{index}`,
      summary: `${what}: one entry and its inclusion proof`,
      params: [{ name: 'index', in: 'path', required: true, schema: S.Query.count, description: 'The entry index.' }],
      ok: { status: 200, description: 'The entry.', content: json(named('LogEntry', S.LogEntry)) },
      errors: [404],
    },
  ];
}

/** The operations outside `/v1` of a gateway with `features`. */
export function publicOperations(features: OpenApiFeatures): OperationDoc[] {
  const ops: OperationDoc[] = [
    {
      method: 'get',
      path: '/health',
      tag: 'Operations',
      summary: 'Liveness',
      auth: 'public',
      ok: { status: 200, description: 'The process answers.', content: json(S.Health) },
      errors: [],
    },
    {
      method: 'get',
      path: '/ready',
      tag: 'Operations',
      summary: 'Readiness',
      description:
        '200 when the database (and Redis, when configured) answered in time; 503 while draining or when one did not.',
      auth: 'public',
      ok: { status: 200, description: 'Ready.', content: json(named('Readiness', S.Readiness)) },
      other: {
        503: {
          description: 'Draining, or a dependency did not answer.',
          content: json(named('Readiness', S.Readiness)),
        },
      },
      errors: [],
    },
    {
      method: 'get',
      path: '/openapi.json',
      tag: 'Operations',
      summary: 'This document',
      auth: 'public',
      ok: { status: 200, description: 'OpenAPI 3.1.', content: json({ json: { type: 'object' } }) },
      errors: [],
    },
    {
      method: 'get',
      path: '/docs',
      tag: 'Operations',
      summary: 'Interactive API reference',
      description: 'Scalar’s reference for this document, its assets served by the gateway itself.',
      auth: 'public',
      ok: { status: 200, description: 'The page.', content: html },
      errors: [503],
    },
    {
      method: 'get',
      path: '/docs/{file}',
      tag: 'Operations',
      summary: 'An asset of the API reference',
      description: 'Part of the measured files (docs/attestation.md).',
      auth: 'public',
      params: [{ name: 'file', in: 'path', required: true, schema: v.string(), description: 'e.g. `scalar.js`.' }],
      ok: { status: 200, description: 'The file.', content: { 'text/javascript': text('JavaScript.') } },
      errors: [404, 503],
    },
  ];

  if (features.metrics !== 'off') {
    ops.push({
      method: 'get',
      path: '/metrics',
      tag: 'Operations',
      summary: 'Prometheus metrics',
      description:
        features.metrics === 'public'
          ? 'Open to anyone on this gateway (`SAFEROUTER_METRICS_PUBLIC=1`).'
          : 'The admin key (`SAFEROUTER_METRICS_PUBLIC=1` opens it).',
      auth: features.metrics === 'public' ? 'public' : 'admin',
      ok: {
        status: 200,
        description: 'Prometheus text format.',
        content: { 'text/plain': text('Prometheus exposition format 0.0.4.') },
      },
      errors: features.metrics === 'public' ? [] : [401, 403],
    });
  }
  if (features.attestation) {
    ops.push(
      {
        method: 'post',
        path: '/attestation/quote',
        tag: 'Attestation',
        summary: 'A fresh attestation bundle',
        description: 'Binds your nonce, the gateway’s signing and sealing keys and its measurement.',
        auth: 'public',
        body: { schema: named('QuoteRequest', S.QuoteRequest), required: true },
        ok: {
          status: 200,
          description: 'The bundle, in RFC 8785 canonical JSON.',
          content: json(named('AttestationBundle', AttestationBundleSchema)),
        },
        errors: [400, 413, 503],
      },
      {
        method: 'get',
        path: '/attestation/verifying-key',
        tag: 'Attestation',
        summary: 'Keys, measurement and backend',
        auth: 'public',
        ok: { status: 200, description: 'The keys.', content: json(named('VerifyingKey', S.VerifyingKey)) },
        errors: [],
      },
    );
  }
  if (features.transparency) ops.push(...transparency('/attestation/transparency', 'Startup log'));
  if (features.audit) ops.push(...transparency('/attestation/audit', 'Audit log'));
  if (features.ehbp) {
    const keys = {
      tag: 'Attestation' as const,
      path: '/.well-known/hpke-keys',
      auth: 'public' as const,
      errors: [],
    };
    ops.push(
      {
        ...keys,
        method: 'get',
        summary: 'EHBP key configuration',
        description: 'RFC 9458 key config of the attested X25519 sealing key (docs/channel.md).',
        ok: { status: 200, description: 'The key config.', content: { 'application/ohttp-keys': binary } },
      },
      {
        ...keys,
        method: 'options',
        summary: 'CORS preflight for the key configuration',
        ok: { status: 204, description: 'Any origin may fetch it.' },
      },
    );
  }
  if (features.verifier) {
    ops.push({
      method: 'get',
      path: '/verify/{path}',
      tag: 'Pages',
      summary: 'The verifier page',
      description: 'Static files of apps/verifier, measured; `/verify` redirects to `/verify/`.',
      auth: 'public',
      params: [{ name: 'path', in: 'path', required: true, schema: v.string(), description: 'A file of the page.' }],
      ok: { status: 200, description: 'The file.', content: { '*/*': binary } },
      errors: [404, 503],
    });
  }
  if (features.dashboard !== undefined) {
    const files = features.dashboard.filter((t) => !t.endsWith('/*'));
    const dirs = features.dashboard.filter((t) => t.endsWith('/*')).map((t) => t.slice(0, -2));
    const page = (values: readonly string[]): ParamDoc => ({
      name: 'page',
      in: 'path',
      required: true,
      schema: v.picklist(values),
      description: 'An app route (answered with index.html) or a file or directory of the build.',
    });
    const base = { method: 'get' as const, tag: 'Pages' as const, auth: 'public' as const, errors: [404, 503] };
    ops.push(
      {
        ...base,
        path: '/',
        summary: 'The dashboard',
        ok: { status: 200, description: 'index.html, with a strict CSP.', content: html },
      },
      {
        ...base,
        path: '/{page}',
        summary: 'A dashboard route or file',
        params: [page([...DASHBOARD_ROUTES, ...files])],
        ok: { status: 200, description: 'The page or file.', content: { '*/*': binary } },
      },
      {
        ...base,
        path: '/{page}/{path}',
        summary: 'Below a dashboard route, or a file in a build directory',
        params: [
          page([...DASHBOARD_ROUTES, ...dirs]),
          { name: 'path', in: 'path', required: true, schema: v.string(), description: 'The rest of the path.' },
        ],
        ok: { status: 200, description: 'The page or file.', content: { '*/*': binary } },
      },
    );
  }
  return ops;
}
