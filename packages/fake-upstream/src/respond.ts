/**
 * Plays one behavior out on one HTTP response: delays, hangs, keep-alives, chunk pacing,
 * mid-stream deaths and the stream's tail (a split, doubled or missing `[DONE]`). Timers live on the exchange and die with the connection, so a client that
 * goes away never leaves the fake writing into a dead socket.
 */
import type { ServerResponse } from 'node:http';
import { completionBody, DONE_EVENT, errorBody, KEEP_ALIVE_COMMENT, streamEvents, type Plan } from './payloads.js';
import type { Wire } from './wire.js';

const KEEP_ALIVE_INTERVAL_MS = 100;
const JSON_TYPE = 'application/json';
const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  'transfer-encoding': 'chunked',
} as const;

/** What `respond` needs from the parsed request. */
export interface ChatCall {
  id: string;
  model: string;
  stream: boolean;
  includeUsage: boolean;
  messages: unknown;
}

/** One response in flight and the timers working on it. */
export class Exchange {
  /** Set when the fake itself kills the socket, so the close is not mistaken for a client abort. */
  cut = false;
  private timers: Set<NodeJS.Timeout> | undefined;

  constructor(readonly res: ServerResponse) {}

  /** Run `fn` after `ms`, unless the connection closes first; `ms <= 0` runs it now. */
  later(ms: number | undefined, fn: () => void): void {
    // The client may have left while the body was read; nothing to schedule for a dead socket.
    if (this.res.destroyed) return;
    if (ms === undefined || ms <= 0) return fn();
    const t = setTimeout(() => {
      this.timers?.delete(t);
      fn();
    }, ms);
    this.track(t);
  }

  every(ms: number, fn: () => void): NodeJS.Timeout {
    const t = setInterval(fn, ms);
    this.track(t);
    return t;
  }

  stop(t: NodeJS.Timeout): void {
    clearInterval(t);
    this.timers?.delete(t);
  }

  /**
   * Kill the connection mid-response: the peer gets the headers and `payload`, then EOF without
   * the terminating chunk. `end()` on the socket, not `destroy()`, so nothing already written is
   * discarded before it reaches the wire.
   */
  die(payload: string): void {
    this.cut = true;
    if (payload.length > 0) this.res.write(payload);
    // headersSent is already true after writeHead even though nothing reached the socket yet.
    else this.res.flushHeaders();
    this.res.socket?.end();
  }

  private track(t: NodeJS.Timeout): void {
    if (this.timers === undefined) {
      this.timers = new Set();
      this.res.once('close', () => this.clear());
    }
    this.timers.add(t);
  }

  private clear(): void {
    for (const t of this.timers ?? []) clearTimeout(t);
    this.timers?.clear();
  }
}

export function sendJson(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': JSON_TYPE, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

export function sendError(res: ServerResponse, status: number, message?: string, code?: string): void {
  sendJson(res, status, errorBody(status, message, code));
}

/** Answer a chat call as `plan` says. */
export function respond(x: Exchange, plan: Plan, call: ChatCall): void {
  const b = plan.behavior;
  if (b.hang === true) return;
  const status = b.status ?? 200;
  if (status >= 400) {
    const body = b.errorBody === undefined ? errorBody(status) : JSON.stringify(b.errorBody);
    return x.later(b.delayMs, () => sendJson(x.res, status, body));
  }
  if (call.stream) return x.later(b.delayMs, () => stream(x, plan, call, status));
  if (b.keepAlive === true && (b.delayMs ?? 0) > 0) return queuedJson(x, plan, call, status);
  x.later(b.delayMs, () => sendJson(x.res, status, completionBody(plan, call.id, call.model, call.messages)));
}

/** DeepSeek's non-stream wait: headers at once, blank lines while queued, then the JSON. */
function queuedJson(x: Exchange, plan: Plan, call: ChatCall, status: number): void {
  x.res.writeHead(status, { 'content-type': JSON_TYPE });
  x.res.write('\n');
  const ping = x.every(KEEP_ALIVE_INTERVAL_MS, () => x.res.write('\n'));
  x.later(plan.behavior.delayMs, () => {
    x.stop(ping);
    x.res.end(completionBody(plan, call.id, call.model, call.messages));
  });
}

function stream(x: Exchange, plan: Plan, call: ChatCall, status: number): void {
  const b = plan.behavior;
  const res = x.res;
  const wire = plan.wire;
  // An explicit chunked transfer-encoding keeps real-upstream framing even when the whole stream
  // goes out in one end() call, which Node would otherwise frame with a content-length.
  res.writeHead(status, SSE_HEADERS);
  let events = streamEvents(plan, call.id, call.model, call.messages, call.includeUsage);
  if (wire?.event !== undefined) events = events.map(wire.event);
  const cut = b.cutAfterChunks;
  const gap = b.chunkDelayMs ?? 0;
  const firstDelay = b.firstChunkDelayMs ?? 0;

  if (b.keepAlive !== true && firstDelay <= 0 && gap <= 0) {
    // Hot path: headers, the whole stream and the final chunk in a single socket write.
    if (cut !== undefined) return x.die(events.slice(0, cut).join(''));
    if (wire === undefined) {
      res.end(events.join('') + DONE_EVENT);
      return;
    }
    return finish(x, wire, events.join(''));
  }

  // Headers go out now even if the first chunk waits: that is what "first byte late" means.
  res.flushHeaders();
  let ping: NodeJS.Timeout | undefined;
  if (b.keepAlive === true) {
    const comment = wire?.keepAlive ?? KEEP_ALIVE_COMMENT;
    res.write(comment);
    ping = x.every(KEEP_ALIVE_INTERVAL_MS, () => res.write(comment));
  }

  // Index of the event whose flush ends a cut stream; -1 means die before any data.
  const last = cut === undefined ? undefined : Math.min(cut, events.length) - 1;
  let i = 0;
  const step = (): void => {
    if (ping !== undefined) {
      x.stop(ping);
      ping = undefined;
    }
    if (last === -1) return x.die('');
    const event = events[i];
    if (event === undefined) {
      if (wire === undefined) res.end(DONE_EVENT);
      else finish(x, wire, '');
      return;
    }
    if (i === last) return x.die(event);
    i++;
    res.write(event);
    x.later(gap, step);
  };
  x.later(firstDelay, step);
}

/**
 * Writes `body` (the events not yet written) and the stream's tail, then ends the response,
 * `endDelayMs` after the last bytes. A split tail goes out as two writes `splitDelayMs` apart.
 * Node corks a response's socket until the next tick, so writes made in one tick leave in one
 * syscall: each part waits for the callback of the write before it, which makes it a TCP write
 * (and an HTTP chunk) of its own.
 */
function finish(x: Exchange, wire: Wire, body: string): void {
  const [first, rest] = wire.tail;
  const last = (data: string): void => {
    if (wire.endDelayMs <= 0) {
      x.res.end(data);
      return;
    }
    x.res.write(data);
    x.later(wire.endDelayMs, () => x.res.end());
  };
  if (rest === undefined) return last(body + first);
  x.res.write(body, () => {
    if (x.res.destroyed) return;
    x.res.write(first, () => x.later(wire.splitDelayMs, () => last(rest)));
  });
}
