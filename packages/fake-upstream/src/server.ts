/**
 * The fake upstream's HTTP server: routing, auth, body parsing and the request log. Plain
 * node:http on purpose: it is the far end of the benchmark and has to stay much faster than
 * anything it is used to measure.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildPlan, type Plan } from './payloads.js';
import { RequestLog } from './request-log.js';
import { Exchange, respond, sendError, sendJson } from './respond.js';
import type { FakeBehavior, FakeUpstream, RecordedRequest, StartOptions } from './types.js';
import { validateBehavior } from './validate-behavior.js';

const MAX_BODY_BYTES = 16 * 1024 * 1024;
/** Longer than any client pool's idle timeout, so pooled sockets are never closed under a request. */
const KEEP_ALIVE_TIMEOUT_MS = 65_000;

type Route = 'chat' | 'models';
const ROUTES: Record<string, Route | undefined> = {
  'POST /v1/chat/completions': 'chat',
  'POST /chat/completions': 'chat',
  'GET /v1/models': 'models',
  'GET /models': 'models',
};

/**
 * Start a fake OpenAI-compatible upstream that answers like DeepSeek.
 *
 * @example
 * const up = await startFakeUpstream();
 * up.setBehavior('deepseek-chat', { status: 429 });
 * // point a provider at `${up.url}/v1`, then:
 * await up.waitFor((r) => r.some((x) => x.aborted));
 * await up.close();
 * @throws Error when the port cannot be bound, TypeError/RangeError on a malformed behavior.
 */
export async function startFakeUpstream(options: StartOptions = {}): Promise<FakeUpstream> {
  const record = options.record ?? true;
  const host = options.host ?? '127.0.0.1';
  const defaultPlan = buildPlan({});
  const plans = new Map<string, Plan>();
  const log = new RequestLog();
  let seq = 0;

  const setBehavior = (model: string, behavior: FakeBehavior): void => {
    if (typeof model !== 'string' || model.length === 0)
      throw new TypeError('setBehavior: "model" must be a non-empty string');
    validateBehavior(behavior);
    plans.set(model, buildPlan({ ...behavior }));
  };
  for (const [model, behavior] of Object.entries(options.behaviors ?? {})) setBehavior(model, behavior);

  const onChat = (req: IncomingMessage, res: ServerResponse, raw: Buffer, path: string): void => {
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      return sendError(res, 400, 'Failed to parse the request body as JSON', 'invalid_json');
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return sendError(res, 400, 'The request body must be a JSON object', 'invalid_request_error');
    }
    const fields = body as Record<string, unknown>;
    const model = fields['model'];
    if (typeof model !== 'string' || model.length === 0)
      return sendError(res, 400, 'Missing required parameter: model', 'missing_model');
    if (!Array.isArray(fields['messages']))
      return sendError(res, 400, 'Missing required parameter: messages', 'missing_messages');
    const stream = fields['stream'] === true;
    const streamOptions = fields['stream_options'];
    const includeUsage =
      typeof streamOptions === 'object' &&
      streamOptions !== null &&
      (streamOptions as { include_usage?: unknown }).include_usage === true;

    const id = ++seq;
    const x = new Exchange(res);
    if (record) {
      const entry: RecordedRequest = {
        id,
        path,
        model,
        stream,
        body: fields,
        headers: { ...req.headers },
        startedAt: Date.now(),
        aborted: false,
        finished: false,
      };
      log.add(entry);
      res.once('finish', () => {
        entry.finished = true;
        log.changed();
      });
      res.once('close', () => {
        if (!res.writableFinished && !x.cut) {
          entry.aborted = true;
          log.changed();
        }
      });
    }
    const plan = plans.get(model) ?? plans.get('*') ?? defaultPlan;
    respond(x, plan, { id: `chatcmpl-fake-${id}`, model, stream, includeUsage, messages: fields['messages'] });
  };

  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const route = ROUTES[`${req.method ?? ''} ${path}`];
    if (route === undefined) return sendError(res, 404, `No route for ${req.method ?? ''} ${path}`, 'not_found');
    const auth = req.headers.authorization;
    if (auth === undefined || auth.length === 0) {
      return sendError(res, 401, 'Authentication Fails, no api key provided', 'invalid_api_key');
    }
    if (route === 'models') return sendJson(res, 200, modelsBody(plans));
    readBody(req, (err, raw) => {
      if (err !== undefined) return sendError(res, 413, err, 'body_too_large');
      onChat(req, res, raw, path);
    });
  });
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  server.headersTimeout = KEEP_ALIVE_TIMEOUT_MS + 1000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  return {
    url,
    port,
    requests: log.requests,
    setBehavior,
    reset: () => {
      plans.clear();
      log.clear();
    },
    waitFor: (predicate, timeoutMs) => log.waitFor(predicate, timeoutMs),
    close: () =>
      new Promise<void>((resolve, reject) => {
        log.close();
        server.close((e) => (e === undefined ? resolve() : reject(e)));
        // Hanging requests and pooled keep-alive sockets would hold close() open forever.
        server.closeAllConnections();
      }),
  };
}

/** Collect a request body without streams' overhead; the common case is a single small chunk. */
function readBody(req: IncomingMessage, done: (err: string | undefined, raw: Buffer) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  req.on('data', (c: Buffer) => {
    size += c.length;
    if (size > MAX_BODY_BYTES) tooLarge = true;
    else chunks.push(c);
  });
  req.on('end', () => {
    if (tooLarge) return done(`Request body exceeds ${MAX_BODY_BYTES} bytes`, Buffer.alloc(0));
    done(undefined, chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks));
  });
}

function modelsBody(plans: Map<string, Plan>): string {
  const ids = new Set(['deepseek-chat', 'deepseek-reasoner', ...[...plans.keys()].filter((m) => m !== '*')]);
  return JSON.stringify({
    object: 'list',
    data: [...ids].map((id) => ({ id, object: 'model', owned_by: 'deepseek' })),
  });
}
