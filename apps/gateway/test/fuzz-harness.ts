/**
 * The fuzz test's gateway and its oracle. The gateway is built in-process with `createApp()` from
 * real parts: the unit fixture's SQLite store and user key, a mock attestor, a startup log of a
 * few records, and a catalog whose every upstream answers: the offline demo models and two priced
 * models on a fake upstream that always says 200. So a 5xx can only be made by the gateway.
 *
 * `judge()` is the oracle: it reads the whole response (a stream must end) and says what, if
 * anything, is wrong with it. Kept apart from the generators so an exploratory run can collect
 * every failure with the same rules the test asserts.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAttestor } from '@saferouter/attest/node';
import { startFakeUpstream, type FakeUpstream } from '@saferouter/fake-upstream';
import { createCatalog, parseCatalogConfig, type Catalog } from '@saferouter/router';
import { hashApiKey } from '@saferouter/store';
import { createApp, type Gateway } from '../src/app.js';
import { createLogger } from '../src/logger.js';
import { createMetrics } from '../src/metrics.js';
import { DASHBOARD_CSP } from '../src/routes/dashboard-csp.js';
import { DOCS_CSP } from '../src/routes/docs.js';
import type { StaticFiles } from '../src/static-files.js';
import { memoryReplayGuard } from '@saferouter/ehbp/server';
import { ADMIN_KEY, REQUEST_ID, createFixture, type Fixture } from '../src/test-fixture.js';
import { appendStartupRecord, createAuditLog, createReceiptIssuer, type StartupLog } from '@saferouter/audit/node';
import { AUDIT_LOG, logOrigin, STARTUP_LOG } from '@saferouter/audit';

/** Entries in the startup log, so inclusion and consistency proofs have something to prove. */
export const LOG_SIZE = 3;
/** Keys made for PATCH and DELETE to change; the fixture's user key is never a target. */
export const VICTIM_COUNT = 4;
/** A response body (a stream included) that takes longer than this to end is a failure. */
const BODY_TIMEOUT_MS = 10_000;

/**
 * Placeholders the generators may put in a path, a header or a body; `check()` replaces them
 * with the real values, which exist only once the gateway is built.
 */
export const PLACEHOLDER = {
  userId: '{{user-id}}',
  userSecret: '{{user-secret}}',
  adminKey: '{{admin-key}}',
  /** `{{victim-N}}`, N below VICTIM_COUNT. */
  victim: (n: number): string => `{{victim-${n}}}`,
} as const;

export type Auth = { kind: 'user' } | { kind: 'admin' } | { kind: 'none' } | { kind: 'raw'; header: string };

/** One request as the generators describe it. */
export interface FuzzRequest {
  /** The route it aims at, e.g. `PATCH /v1/keys/{id}`; for reports only. */
  route: string;
  method: string;
  /** Path and query string, relative to the gateway. */
  target: string;
  auth: Auth;
  headers: Record<string, string>;
  body: string | Uint8Array | undefined;
  /** Read the whole body, or cancel a stream after this many chunks (a client that leaves). */
  cancelAfterChunks?: number | undefined;
}

export interface FuzzGateway {
  gateway: Gateway;
  fixture: Fixture;
  victimIds: string[];
  /** Sends a request and returns the oracle's verdict: undefined when the response is fine. */
  check(req: FuzzRequest): Promise<string | undefined>;
  dispose(): Promise<void>;
}

const fakeCatalog = (upstreamUrl: string): Record<string, unknown> => {
  const model = (id: string, fallbacks: string[] = []) => ({
    id,
    provider: 'fake',
    contextLength: 64000,
    maxOutputTokens: 4096,
    pricing: { inputPerMillion: 0.27, outputPerMillion: 1.1 },
    capabilities: ['tools', 'reasoning'],
    fallbacks,
  });
  return {
    providers: [
      { id: 'saferouter', kind: 'demo', baseUrl: 'http://demo.invalid' },
      { id: 'fake', baseUrl: `${upstreamUrl}/v1`, apiKeyEnv: 'FUZZ_FAKE_KEY', modelPrefixes: ['fake-'] },
    ],
    models: [
      {
        ...model('saferouter/demo'),
        provider: 'saferouter',
        pricing: { inputPerMillion: 0, outputPerMillion: 0 },
        capabilities: [],
        demo: true,
      },
      {
        ...model('saferouter/demo-thinking'),
        provider: 'saferouter',
        pricing: { inputPerMillion: 0, outputPerMillion: 0 },
        capabilities: ['reasoning'],
        demo: true,
      },
      model('fake/priced', ['fake/backup']),
      model('fake/backup'),
    ],
  };
};

/** Every model id the generators may name, so most chat requests reach an upstream. */
export const MODEL_IDS = [
  'saferouter/demo',
  'saferouter/demo-thinking',
  'fake/priced',
  'fake/backup',
  'fake-synthesized',
] as const;

/** What the gateway logged at `error` and the process reported while one request ran. */
interface Reports {
  logged: string[];
  unhandled: string[];
}

export async function createFuzzGateway(): Promise<FuzzGateway> {
  const fixture = await createFixture();
  const upstream: FakeUpstream = await startFakeUpstream({ record: false });
  const catalog: Catalog = createCatalog(parseCatalogConfig(fakeCatalog(upstream.url)), {
    env: { FUZZ_FAKE_KEY: 'sk-fake' },
  });
  const attestDir = mkdtempSync(join(tmpdir(), 'sr-gw-fuzz-'));
  const attestor = await createAttestor({
    dataDir: attestDir,
    measurement: new Uint8Array(32).fill(7),
    tsmRoot: join(attestDir, 'no-tsm'),
    sevGuestPath: join(attestDir, 'no-sev-guest'),
  });
  let startupLog: StartupLog | undefined;
  for (let i = 0; i < LOG_SIZE; i++) {
    startupLog = await appendStartupRecord({
      storage: fixture.store.tlog.log(STARTUP_LOG),
      attestor,
      buildId: `fuzz-${i}`,
      audience: 'fuzz',
      logSignerKey: undefined,
    });
  }
  if (startupLog === undefined) throw new Error('fuzz setup: no startup log');
  // Receipts on every response and every request sampled, so the audit routes have data.
  const auditStorage = fixture.store.tlog.log(AUDIT_LOG);
  const auditLog = await createAuditLog({
    store: fixture.store.audit,
    storage: auditStorage,
    signer: startupLog.key.signer,
    verifier: startupLog.key.verifier,
    origin: logOrigin('fuzz', 'audit'),
    intervalMs: 50,
  });
  auditLog.start();
  const issuer = createReceiptIssuer({
    sign: (message) => attestor.identity.sign(message),
    signingPublicKey: attestor.signingPublicKey,
    measurement: '07'.repeat(32),
    startupIndex: startupLog.index,
  });
  // What went wrong outside the response: errors the gateway logged (its logger writes here).
  const logged: string[] = [];
  const logger = createLogger({
    level: 'error',
    destination: {
      write: (line) => {
        const { msg, err } = JSON.parse(line) as { msg?: string; err?: { type?: string; message?: string } };
        logged.push(err === undefined ? String(msg) : `${msg}: ${err.type ?? 'Error'}: ${err.message ?? ''}`);
      },
    },
  });
  const gateway = createApp({
    logger,
    store: fixture.store,
    catalog,
    adminKeyHash: hashApiKey(ADMIN_KEY),
    clock: fixture.now,
    selfTopup: true,
    // `user` is pseudonymized with it before any upstream sees it.
    userSecret: new Uint8Array(32).fill(9),
    attestor,
    startupLog,
    audit: { log: auditLog, issuer, sample: () => true, retentionDays: 30 },
    // A dashboard build (a stand-in for apps/dashboard/dist): `/` and the app's routes have files.
    dashboardFiles: FUZZ_DASHBOARD,
    // The API reference's asset (a stand-in for dist/docs/scalar.js): `/docs` answers its page.
    docsFiles: new Map([['scalar.js', staticFile('/* scalar */')]]),
    // EHBP on, with the attestor's sealing key: sealed-looking junk meets the real opener.
    ehbp: {
      dh: (peer) => attestor.identity.sealingSharedSecret(peer),
      publicKey: attestor.sealingPublicKey,
      replay: memoryReplayGuard(),
      required: false,
    },
    // `/metrics` behind the admin key, and every request's activity counted.
    metrics: createMetrics({ catalog, processMetrics: false }),
  });

  const victimIds: string[] = [];
  for (let i = 0; i < VICTIM_COUNT; i++) {
    const res = await gateway.app.request('/v1/keys', {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: `victim-${i}`, credit_usd: '1' }),
    });
    if (res.status !== 201)
      throw new Error(`fuzz setup: creating a victim key answered ${res.status}: ${await res.text()}`);
    victimIds.push(((await res.json()) as { id: string }).id);
  }

  const substitute = (text: string): string =>
    text
      .replaceAll(PLACEHOLDER.userId, fixture.user.id)
      .replaceAll(PLACEHOLDER.userSecret, fixture.user.secret)
      .replaceAll(PLACEHOLDER.adminKey, ADMIN_KEY)
      .replace(/\{\{victim-(\d+)\}\}/g, (_, n: string) => victimIds[Number(n)] ?? 'key_0000000000000000');

  // And promise rejections nobody handled (vitest fails the run on those too; here they are
  // pinned to the request).
  const reports: Reports = { logged, unhandled: [] };
  const onUnhandled = (reason: unknown): void => {
    reports.unhandled.push(reason instanceof Error ? `${reason.name}: ${reason.message}` : String(reason));
  };
  process.on('unhandledRejection', onUnhandled);
  process.on('uncaughtException', onUnhandled);

  async function check(req: FuzzRequest): Promise<string | undefined> {
    reports.logged.length = 0;
    reports.unhandled.length = 0;
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) headers.set(k, substitute(v));
    const auth = req.auth;
    if (auth.kind === 'user') headers.set('authorization', `Bearer ${fixture.user.secret}`);
    else if (auth.kind === 'admin') headers.set('authorization', `Bearer ${ADMIN_KEY}`);
    else if (auth.kind === 'raw') headers.set('authorization', substitute(auth.header));
    const body = typeof req.body === 'string' ? substitute(req.body) : req.body;
    const target = substitute(req.target);
    const res = await withTimeout(
      Promise.resolve(
        gateway.app.request(target, { method: req.method, headers, ...(body === undefined ? {} : { body }) }),
      ),
      `no response within ${BODY_TIMEOUT_MS} ms`,
    );
    if (typeof res === 'string') return res;
    const verdict = await judge(req, res);
    // Let work the response left behind (a stream's billing, a rejected promise) surface.
    await new Promise((resolve) => setImmediate(resolve));
    const problems = [verdict, ...reports.unhandled.map((u) => `unhandled rejection or exception: ${u}`)].filter(
      (p) => p !== undefined,
    );
    if (problems.length === 0) return undefined;
    const logged = reports.logged.length === 0 ? '' : `\n  gateway logged: ${clip(reports.logged.join(' | '), 600)}`;
    return `${problems.join('; ')}\n  request: ${describeRequest(req)}${logged}`;
  }

  return {
    gateway,
    fixture,
    victimIds,
    check,
    async dispose() {
      await gateway.close();
      // A test may have closed the store under the gateway; the last integrate then has nowhere to go.
      await auditLog.close().catch(() => undefined);
      await catalog.close();
      await upstream.close();
      await fixture.dispose();
      rmSync(attestDir, { recursive: true, force: true });
      process.off('unhandledRejection', onUnhandled);
      process.off('uncaughtException', onUnhandled);
    },
  };
}

async function withTimeout<T>(promise: Promise<T>, message: string): Promise<T | string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(message), BODY_TIMEOUT_MS);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Reads the body, whole or up to `cancelAfterChunks`; a string when it did not end in time. */
async function readBody(
  res: Response,
  cancelAfterChunks: number | undefined,
): Promise<{ text: string; cancelled: boolean } | string> {
  if (res.body === null) return { text: '', cancelled: false };
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  const read = async (): Promise<{ text: string; cancelled: boolean }> => {
    for (;;) {
      if (cancelAfterChunks !== undefined && chunks.length >= cancelAfterChunks) {
        await reader.cancel();
        return { text: Buffer.concat(chunks).toString('utf8'), cancelled: true };
      }
      const next = await reader.read();
      if (next.done) return { text: Buffer.concat(chunks).toString('utf8'), cancelled: false };
      chunks.push(next.value);
    }
  };
  const result = await withTimeout(read(), `the response body did not end within ${BODY_TIMEOUT_MS} ms`);
  if (typeof result === 'string') await reader.cancel().catch(() => undefined);
  return result;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * True for `{ error: { message, type, code } }` with strings, an optional string `param`, and an
 * optional `metadata` object of JSON scalars (the 402's `affordable_tokens`, …).
 */
export function isOpenAIError(json: unknown): boolean {
  if (!isPlainObject(json)) return false;
  const keys = Object.keys(json);
  if (keys.length !== 1 || keys[0] !== 'error') return false;
  const e = json.error;
  if (!isPlainObject(e)) return false;
  const extra = Object.keys(e).filter((k) => !['message', 'type', 'code', 'param', 'metadata'].includes(k));
  const metadataOk =
    e.metadata === undefined ||
    (isPlainObject(e.metadata) &&
      Object.values(e.metadata).every((v) => v === null || ['string', 'number', 'boolean'].includes(typeof v)));
  return (
    typeof e.message === 'string' &&
    typeof e.type === 'string' &&
    typeof e.code === 'string' &&
    (e.param === undefined || typeof e.param === 'string') &&
    metadataOk &&
    extra.length === 0
  );
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

const staticFile = (text: string) => {
  const bytes = new TextEncoder().encode(text);
  return { bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
};

/** The fuzz gateway's dashboard: an index, a hashed asset, a top-level file. */
export const FUZZ_DASHBOARD: StaticFiles = new Map([
  [
    'index.html',
    staticFile('<!doctype html><title>dashboard</title><script type="module" src="/assets/index-f.js"></script>'),
  ],
  ['assets/index-f.js', staticFile('console.log(1)')],
  ['favicon.svg', staticFile('<svg xmlns="http://www.w3.org/2000/svg"/>')],
]);

/**
 * The oracle: the rules every response keeps, whatever was sent. Reads the whole body (a stream
 * must end). Returns what is wrong, or undefined.
 */
export async function judge(req: FuzzRequest, res: Response): Promise<string | undefined> {
  const status = res.status;
  const type = res.headers.get('content-type') ?? '';
  // Only a stream can be left half-read; anything else is read whole.
  const read = await readBody(res, type.startsWith('text/event-stream') ? req.cancelAfterChunks : undefined);
  const shown = typeof read === 'string' ? read : clip(read.text, 400);
  const answer = `${status} ${type} ${shown}`;
  if (typeof read === 'string') return `${read}; got ${status}`;
  if (status >= 500) return `gateway-made ${status}: ${answer}`;
  if (!REQUEST_ID.test(res.headers.get('x-request-id') ?? '')) return `no x-request-id on ${answer}`;
  if (req.method === 'HEAD') return undefined;
  // EHBP's own failures answer the protocol's problem documents (its contract), never a 5xx.
  if (req.headers['ehbp-encapsulated-key'] !== undefined && type.startsWith('application/problem+json')) {
    const json = parseJson(read.text);
    const doc = json.ok ? (json.value as { type?: unknown; title?: unknown }) : undefined;
    if (status !== 400 && status !== 422) return `EHBP problem with status ${status}: ${answer}`;
    if (typeof doc?.type !== 'string' || typeof doc.title !== 'string')
      return `EHBP problem is not {"type","title"}: ${answer}`;
    return undefined;
  }
  if (status >= 400) {
    if (!type.startsWith('application/json')) return `error ${status} is not JSON: ${answer}`;
    const json = parseJson(read.text);
    if (!json.ok || !isOpenAIError(json.value))
      return `error ${status} is not in OpenAI's shape {"error":{"message","type","code"}}: ${answer}`;
    return undefined;
  }
  // A page the gateway serves runs where users keep their keys: never without the strict CSP.
  // The API reference (`/docs`) has its own, as strict for scripts and connections.
  const csp = req.target.split('?')[0] === '/docs' ? DOCS_CSP : DASHBOARD_CSP;
  if (type.startsWith('text/html') && res.headers.get('content-security-policy') !== csp)
    return `an HTML page without the dashboard's CSP: ${answer}`;
  if (type.startsWith('application/json') && !parseJson(read.text).ok)
    return `${status} says JSON but is not: ${answer}`;
  if (type.startsWith('text/event-stream')) return inspectStream(read.text, read.cancelled, answer);
  return undefined;
}

/**
 * A stream ends with `data: [DONE]`, a Responses API terminal event (`response.completed`,
 * `.incomplete`, `.failed`) or an OpenAI-shaped error event; every event parses.
 */
function inspectStream(text: string, cancelled: boolean, answer: string): string | undefined {
  const events = text
    .split(/\r\n\r\n|\n\n|\r\r/)
    .map((e) => e.trim())
    .filter((e) => e.length > 0 && !e.startsWith(':'));
  for (const event of events) {
    const data = event
      .split(/\r\n|\n|\r/)
      .filter((l) => l.startsWith('data:'))
      .map((l) => l.slice(5).trimStart())
      .join('\n');
    if (data === '[DONE]') continue;
    const json = parseJson(data);
    if (!json.ok) return `stream event is not JSON: ${clip(event, 200)} in ${answer}`;
    const value = json.value;
    if (typeof value === 'object' && value !== null && 'error' in value && !isOpenAIError(value)) {
      return `stream error event is not in OpenAI's shape: ${clip(event, 200)}`;
    }
  }
  if (cancelled) return undefined;
  const last = events.at(-1) ?? '';
  const lastJson = parseJson(last.replace(/^data:\s*/, ''));
  // A Responses-API stream ends with its terminal event instead of [DONE].
  const responsesEnd = /^event: response\.(completed|incomplete|failed)\n/.test(last);
  if (last !== 'data: [DONE]' && !responsesEnd && !(lastJson.ok && isOpenAIError(lastJson.value))) {
    return `stream ends with neither [DONE], a Responses terminal event, nor an error event: ${clip(last, 200)} in ${answer}`;
  }
  return undefined;
}

/** The text cut at `max` characters, with control characters and lone surrogates as `\uXXXX`. */
export function clip(text: string, max: number): string {
  const printable = [...text.slice(0, max)]
    .map((c) => {
      const code = c.charCodeAt(0);
      const unprintable = c.length === 1 && (code < 0x20 || code === 0x7f || (code >= 0xd800 && code <= 0xdfff));
      return unprintable ? `\\u${code.toString(16).padStart(4, '0')}` : c;
    })
    .join('');
  return text.length <= max ? printable : `${printable}… (${text.length} chars)`;
}

/** One line that identifies a request, short enough for a report. */
export function describeRequest(req: FuzzRequest): string {
  const auth = req.auth.kind === 'raw' ? `authorization: ${clip(req.auth.header, 80)}` : `${req.auth.kind} key`;
  const body =
    req.body === undefined
      ? 'no body'
      : typeof req.body === 'string'
        ? `body ${clip(req.body, 300)}`
        : `body bytes [${[...req.body.subarray(0, 40)].join(',')}${req.body.byteLength > 40 ? ',…' : ''}] (${req.body.byteLength} bytes)`;
  const headers = Object.keys(req.headers).length === 0 ? '' : ` headers ${clip(JSON.stringify(req.headers), 200)}`;
  const cancel = req.cancelAfterChunks === undefined ? '' : ` (client leaves after ${req.cancelAfterChunks} chunks)`;
  return `[${req.route}] ${req.method} ${clip(req.target, 300)} (${auth})${headers} ${body}${cancel}`;
}
