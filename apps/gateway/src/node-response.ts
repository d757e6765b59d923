/**
 * Writes chat replies to the client: a relayed SSE stream, or a whole JSON body. It moves bytes
 * and nothing else: which event ends
 * the stream, and that the charge is committed before `data: [DONE]` is handed on, belong to the
 * relay (`@saferouter/router`) and its hooks (`@saferouter/metering`). A `read()` that has not
 * resolved is exactly a stream waiting for its upstream or its end-of-stream hook.
 *
 * Under @hono/node-server it writes straight to the Node response: the node-server's generic path
 * flushes headers in a syscall of their own and drives a web `ReadableStream`, which together
 * cost about a fifth of the gateway's CPU per streamed request (measured with --cpu-prof under
 * `pnpm bench`). A client that goes away cancels the relay, which aborts the upstream; nothing can
 * throw into the process from a closed socket. Under `app.request()` (tests) it returns the
 * relay's web stream.
 */
import type { ServerResponse } from 'node:http';
import type { Context } from 'hono';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { StreamResult } from '@saferouter/router';
import type { AppEnv } from './env.js';
import { RESPONSE_NONCE_HEADER } from '@saferouter/ehbp';
import type { EhbpSession } from '@saferouter/ehbp/server';
import type { Logger } from './logger.js';

const RESPONSE_NONCE = RESPONSE_NONCE_HEADER.toLowerCase();
const RECEIPT_HEADER = 'x-saferouter-receipt';

/**
 * @param headers the stream's own headers; `x-request-id` is added here. Headers set earlier with
 * `c.header()` are not read on the Node path: materialising `c.res` to read them, and Hono then
 * copying them again when the handler returns, measured ~3% of a streamed request's CPU.
 */
export function sendStream(c: Context<AppEnv>, result: StreamResult, headers: Record<string, string>): Response {
  const outgoing = c.env?.outgoing;
  // Under EHBP on the web path, the ehbp middleware seals the stream it returns.
  if (outgoing === undefined || typeof outgoing.writeHead !== 'function') return c.body(result.stream, 200, headers);
  const sealed = c.get('ehbp');
  outgoing.writeHead(200, {
    ...headers,
    'x-request-id': c.get('requestId'),
    ...(sealed === undefined ? {} : { [RESPONSE_NONCE]: sealed.responseNonce }),
  });
  // A graceful shutdown waits for the pump: it ends after the relay's end (and its charge).
  const release = c.get('keepOpen')?.();
  void pump(result, outgoing as ServerResponse, sealed, c.get('logger')).finally(() => release?.());
  return RESPONSE_ALREADY_SENT;
}

/**
 * Sends a whole JSON body (a non-stream completion), straight to the Node response when there is
 * one. Going through Hono's `c.body()` builds a web `Response` and `Headers`, whose per-header
 * validation alone measured ~8 µs per reply once a ~1 KB receipt header was in it.
 */
export function sendJson(c: Context<AppEnv>, body: Uint8Array, headers: Record<string, string>): Response {
  const outgoing = c.env?.outgoing;
  const sealed = c.get('ehbp');
  // Under EHBP the receipt travels inside the sealed body only: its request hash in a visible
  // header would let whoever sees the headers confirm a guessed prompt.
  const visible = sealed === undefined ? headers : withoutReceipt(headers);
  if (outgoing === undefined || typeof outgoing.writeHead !== 'function') {
    // The web path (tests); under EHBP the ehbp middleware seals what this returns.
    return c.body(body as Uint8Array<ArrayBuffer>, 200, { 'content-type': 'application/json', ...visible });
  }
  outgoing.writeHead(200, {
    ...visible,
    'content-type': 'application/json',
    'x-request-id': c.get('requestId'),
    // Sealed: one frame, sent chunked as EHBP asks; plain: its exact length.
    ...(sealed === undefined
      ? { 'content-length': String(body.byteLength) }
      : { [RESPONSE_NONCE]: sealed.responseNonce }),
  });
  outgoing.end(sealed === undefined ? body : sealed.seal(body));
  return RESPONSE_ALREADY_SENT;
}

function withoutReceipt(headers: Record<string, string>): Record<string, string> {
  const { [RECEIPT_HEADER]: _receipt, ...rest } = headers;
  return rest;
}

function waitForDrain(out: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      out.off('drain', done);
      out.off('close', done);
      resolve();
    };
    out.on('drain', done);
    out.on('close', done);
  });
}

async function pump(
  result: StreamResult,
  out: ServerResponse,
  sealed: EhbpSession | undefined,
  logger: Logger | undefined,
): Promise<void> {
  // Writes are corked until the end of the current event-loop turn: nothing waits on the
  // upstream, but a chunk and the stream's end that arrive together leave in one syscall
  // (one fewer per streamed request than writing them separately, measured with strace -c).
  let corked = false;
  const uncork = (): void => {
    corked = false;
    out.uncork();
  };
  // The client leaving cancels the relay: a pending read ends, and the stream is settled for
  // what was delivered (a charge already being written completes).
  const onClose = (): void => {
    if (!out.writableFinished) result.cancel(new Error('client closed the connection'));
  };
  out.on('close', onClose);
  try {
    for (let chunk = await result.read(); chunk !== undefined; chunk = await result.read()) {
      if (out.destroyed) continue; // the relay was cancelled; drain it to its end
      if (!corked) {
        corked = true;
        out.cork();
        setImmediate(uncork);
      }
      // Under EHBP each write is its own sealed frame, so tokens still leave one by one.
      if (!out.write(sealed === undefined ? chunk : sealed.seal(chunk))) await waitForDrain(out);
    }
    if (!out.destroyed) out.end();
  } catch (error) {
    // read() does not throw by contract; this is the last line of defence for the process.
    logger?.error({ err: error }, 'stream: delivery failed');
    result.cancel(error);
    out.destroy();
  } finally {
    out.off('close', onClose);
  }
}
