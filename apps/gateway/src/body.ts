/**
 * Reading a JSON request body with a size limit. Under @hono/node-server it reads straight from
 * the Node `IncomingMessage`: going through `c.req.json()` would build a full web `Request`
 * around a `Readable.toWeb()` stream, which costs a large share of a proxy's per-request budget.
 */
import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';
import { requestHeader } from './request-header.js';
import type { AppEnv } from './env.js';
import { ApiError } from './errors.js';

function tooLarge(limit: number): ApiError {
  return new ApiError(
    413,
    'invalid_request_error',
    'request_too_large',
    `Request body is larger than the limit of ${limit} bytes.`,
  );
}

function readIncoming(incoming: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        // Keep reading into the void so the client can receive the 413 instead of a reset.
        incoming.resume();
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(
        new ApiError(
          400,
          'invalid_request_error',
          'body_read_failed',
          `Could not read the request body: ${err.message}`,
        ),
      );
    };
    const cleanup = (): void => {
      incoming.off('data', onData);
      incoming.off('end', onEnd);
      incoming.off('error', onError);
    };
    incoming.on('data', onData);
    incoming.on('end', onEnd);
    incoming.on('error', onError);
  });
}

/**
 * Reads the raw body, at most `limit` bytes, straight from the Node request when there is one.
 *
 * @throws {ApiError} 400 or 413.
 */
export async function readRawBody(c: Context<AppEnv>, limit: number): Promise<Uint8Array> {
  const declared = requestHeader(c, 'content-length');
  if (declared !== undefined && Number(declared) > limit) throw tooLarge(limit);
  const incoming = c.env?.incoming;
  if (incoming && !incoming.readableEnded && typeof incoming.on === 'function') return readIncoming(incoming, limit);
  const buf = await c.req.arrayBuffer();
  if (buf.byteLength > limit) throw tooLarge(limit);
  return Buffer.from(buf);
}

/**
 * Deepest JSON nesting accepted. Tool schemas nest a few dozen levels at most; anything deeper is
 * refused up front, because recursive code further on (estimates, re-serialising for the
 * upstream) would otherwise fail on it with a stack overflow.
 */
export const MAX_JSON_DEPTH = 128;

/** The deepest `{`/`[` nesting in JSON text (strings skipped); stops counting past the limit. */
export function nestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 /* { */ || c === 91 /* [ */) {
      if (++depth > deepest) deepest = depth;
      if (deepest > MAX_JSON_DEPTH) return deepest;
    } else if (c === 125 /* } */ || c === 93 /* ] */) depth--;
  }
  return deepest;
}

/** Reads the body (at most `limit` bytes) and parses it as JSON. @throws {ApiError} 400 or 413. */
export async function readJson(c: Context<AppEnv>, limit: number): Promise<unknown> {
  return (await readJsonBody(c, limit)).json;
}

/**
 * Reads the body (at most `limit` bytes) and parses it as JSON, keeping the exact bytes received
 * (a receipt hashes them). A request sealed with EHBP was opened before any handler ran: its
 * plaintext is what is read here, so everything after (receipts included) sees plaintext.
 *
 * @throws {ApiError} 400 or 413.
 */
export async function readJsonBody(c: Context<AppEnv>, limit: number): Promise<{ json: unknown; bytes: Uint8Array }> {
  const sealed = c.get('ehbp');
  if (sealed !== undefined && sealed.body.length > limit) throw tooLarge(limit);
  const raw = sealed === undefined ? await readRawBody(c, limit) : sealed.body;
  const bytes = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  let text = bytes.toString('utf8');
  // Some clients (PowerShell, .NET) prefix JSON with a UTF-8 byte-order mark; JSON.parse rejects it.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.length === 0) {
    throw new ApiError(400, 'invalid_request_error', 'invalid_json', 'Request body is empty; expected a JSON object.');
  }
  if (nestingDepth(text) > MAX_JSON_DEPTH) {
    throw new ApiError(
      400,
      'invalid_request_error',
      'invalid_json',
      `Request body nests deeper than ${MAX_JSON_DEPTH} levels.`,
    );
  }
  try {
    return { json: JSON.parse(text) as unknown, bytes };
  } catch (err) {
    const detail = err instanceof Error ? err.message : 'parse error';
    throw new ApiError(400, 'invalid_request_error', 'invalid_json', `Request body is not valid JSON: ${detail}`);
  }
}
