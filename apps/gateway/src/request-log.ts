/**
 * One log line per request, written when the request is over:
 *
 *   {"level":30,…,"msg":"request","reqId":"req_…","method":"POST","path":"/v1/chat/completions",
 *    "keyId":"key_…","status":200,"latencyMs":41.7,"model":"m-primary","requested":"m-primary",
 *    "provider":"up","attempts":1,"ttfbMs":12,"costUsd":"0.000017","promptTokens":9,
 *    "completionTokens":12,"stream":true}
 *
 * `path` is the path only (a query string may carry anything); `keyId` is the caller's key id
 * (`key_…`, or `admin`), never the key. The chat fields appear on requests that reached metering.
 * A 5xx is logged at `warn`, everything else at `info`; with `debug` on, each upstream attempt gets
 * an `attempt` line of its own (model, provider, status, error). At `error` and above nothing is
 * tracked at all.
 *
 * Where the chat fields come from: metering pushes one `ActivityEntry` per upstream attempt (one
 * for a refusal) into the activity sink. `activity(sink)` wraps that sink, so each entry is also
 * kept with its open request, found by request id; the line sums them. Nothing is parsed twice
 * and metering is not changed.
 *
 * When the line is written: once the handler has returned, the response has ended (under
 * @hono/node-server, the `ServerResponse`'s `close`: its last byte handed to the socket, or the
 * client gone; under `app.request()`, when the handler returned) and, for a streamed reply
 * (`meter(chat)` marks those), its entries have arrived. A stream is settled at its end, before its
 * last event in the normal case, but a stream whose client left is settled only after the socket
 * closed, so the line waits for it, at most `lateEntriesMs`; after that it is written without the
 * chat fields (`settled: false`).
 */
import type { MiddlewareHandler } from 'hono';
import type { ServerResponse } from 'node:http';
import { formatUsd } from '@saferouter/billing';
import type { ActivitySink, MeteredChat } from '@saferouter/metering';
import type { ActivityEntry } from '@saferouter/store';
import type { AppEnv } from './env.js';
import { lineWriter, type LineFields, type Logger } from './logger.js';

export interface RequestLogOptions {
  logger: Logger;
  /** How long a finished stream's line waits for its settlement; default 30 000 ms. */
  lateEntriesMs?: number;
}

export interface RequestLog {
  /** Registered right after the request id is set: logs the request when it is over. */
  middleware: MiddlewareHandler<AppEnv>;
  /** The activity sink metering writes to, also feeding each open request's line. */
  activity(sink: ActivitySink): ActivitySink;
  /** The metered chat, noting which requests got a streamed reply (their entries come later). */
  meter(chat: MeteredChat): MeteredChat;
  /** Writes the lines of requests still waiting for a stream's settlement (at shutdown). */
  close(): void;
}

/** Paths longer than this are cut in the log line (a fuzzer's path is not worth a kilobyte). */
const MAX_PATH = 200;

interface OpenRequest {
  id: string;
  method: string;
  path: string;
  started: number;
  keyId: string | undefined;
  entries: ActivityEntry[];
  handlerDone: boolean;
  ended: boolean;
  status: number;
  /** The client left before the response was complete. */
  aborted: boolean;
  /** A streamed reply whose settlement (its activity entries) has not arrived yet. */
  awaitingSettlement: boolean;
  scheduled: boolean;
  timer: NodeJS.Timeout | undefined;
}

/**
 * @example
 * const requestLog = createRequestLog({ logger });
 * app.use('*', requestLog.middleware);
 * const chat = requestLog.meter(createMeteredChat({ …, activity: requestLog.activity(batchWriter) }));
 */
export function createRequestLog(options: RequestLogOptions): RequestLog {
  const { logger } = options;
  // The request and attempt lines: fixed fields, none secret (see lineWriter).
  const requestLine = lineWriter(logger, 'request');
  const attemptLine = lineWriter(logger, 'attempt');
  const lateEntriesMs = options.lateEntriesMs ?? 30_000;
  const open = new Map<string, OpenRequest>();
  // Fixed at creation, as the level is (pino's level is not changed at run time here).
  const debug = logger.isLevelEnabled('debug');
  // Above `warn` (error, fatal, silent) no request line is ever written: track nothing.
  if (!logger.isLevelEnabled('warn')) {
    return {
      middleware: (c, next) => {
        c.set('logger', logger);
        return next();
      },
      activity: (sink) => sink,
      meter: (chat) => chat,
      close: () => undefined,
    };
  }

  function write(req: OpenRequest): void {
    open.delete(req.id);
    if (req.timer !== undefined) clearTimeout(req.timer);
    const level = req.status >= 500 ? 'warn' : 'info';
    if (!logger.isLevelEnabled(level)) return;
    requestLine(level, lineOf(req));
  }

  /** Writes the line if the request is over; `soon`: after the current burst of entries. */
  function maybeWrite(req: OpenRequest, soon = false): void {
    if (!req.handlerDone || !req.ended || req.scheduled) return;
    if (req.awaitingSettlement) {
      req.timer ??= setTimeout(() => write(req), lateEntriesMs);
      req.timer.unref();
      return;
    }
    if (!soon) return write(req);
    // Metering pushes a request's entries in one synchronous loop: write after the last of them.
    req.scheduled = true;
    queueMicrotask(() => write(req));
  }

  const middleware: MiddlewareHandler<AppEnv> = async (c, next) => {
    const id = c.get('requestId');
    c.set('logger', logger);
    const path = c.req.path;
    const req: OpenRequest = {
      id,
      method: c.req.method,
      path: path.length > MAX_PATH ? `${path.slice(0, MAX_PATH)}…` : path,
      started: performance.now(),
      keyId: undefined,
      entries: [],
      handlerDone: false,
      ended: false,
      status: 0,
      aborted: false,
      awaitingSettlement: false,
      scheduled: false,
      timer: undefined,
    };
    open.set(id, req);
    const outgoing = c.env?.outgoing as ServerResponse | undefined;
    const node = outgoing !== undefined && typeof outgoing.on === 'function';
    if (node) {
      outgoing.on('close', () => {
        req.ended = true;
        req.status = outgoing.statusCode;
        req.aborted = !outgoing.writableFinished;
        maybeWrite(req);
      });
    }
    try {
      await next();
    } finally {
      req.keyId = c.get('caller')?.id;
      req.handlerDone = true;
      if (!node) {
        req.ended = true;
        req.status = c.res.status;
      }
      maybeWrite(req);
    }
  };

  return {
    middleware,
    activity(sink) {
      return {
        push(entry) {
          sink.push(entry);
          const req = open.get(entry.requestId);
          if (req === undefined) return;
          req.entries.push(entry);
          if (debug)
            attemptLine('debug', {
              reqId: entry.requestId,
              attempt: entry.attempt,
              model: entry.model,
              provider: entry.provider,
              status: entry.status,
              error: entry.error,
              latencyMs: entry.latencyMs,
            });
          if (req.awaitingSettlement) {
            req.awaitingSettlement = false;
            if (req.timer !== undefined) clearTimeout(req.timer);
            maybeWrite(req, true);
          }
        },
      };
    },
    meter(chat) {
      return {
        ...chat,
        async complete(call) {
          const reply = await chat.complete(call);
          const req = open.get(call.requestId);
          if (reply.stream && req !== undefined && req.entries.length === 0) req.awaitingSettlement = true;
          return reply;
        },
      };
    },
    close() {
      for (const req of [...open.values()]) if (req.handlerDone && req.ended) write(req);
    },
  };
}

/**
 * A request's line: every field in one object literal, those a request lacks `undefined` (which
 * `JSON.stringify` leaves out), so each line has one object shape rather than one grown a field at
 * a time. The chat fields come from its activity entries (attempts in order).
 */
function lineOf(req: OpenRequest): LineFields {
  const entries = req.entries;
  // The attempt that answered, else the last one tried (or the refusal).
  const answer = entries.find((e) => e.status === 200) ?? entries.at(-1);
  let cost = 0;
  let prompt = 0;
  let completion = 0;
  let attempts = 0;
  for (const e of entries) {
    cost += e.costMicros;
    prompt += e.promptTokens;
    completion += e.completionTokens;
    if (e.attempt > 0) attempts++;
  }
  const chat = answer !== undefined;
  return {
    reqId: req.id,
    method: req.method,
    path: req.path,
    keyId: req.keyId,
    status: req.status,
    latencyMs: Math.round((performance.now() - req.started) * 10) / 10,
    aborted: req.aborted ? true : undefined,
    settled: !chat && req.awaitingSettlement ? false : undefined,
    model: answer?.model,
    requested: answer?.originalModel,
    provider: answer?.provider,
    attempts: chat ? attempts : undefined,
    ttfbMs: answer?.ttfbMs,
    costUsd: chat ? formatUsd(cost) : undefined,
    promptTokens: chat ? prompt : undefined,
    completionTokens: chat ? completion : undefined,
    stream: answer?.stream,
    estimated: answer?.estimated === true ? true : undefined,
    error: answer?.error?.slice(0, 200),
  };
}
