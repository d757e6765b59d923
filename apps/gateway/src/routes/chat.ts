/**
 * `POST /v1/chat/completions`: wiring only. Parse the body, hand it to the metered chat
 * (`@saferouter/metering`: admit → route → settle → record, and the receipt), write what comes
 * back: a non-stream receipt in `X-SafeRouter-Receipt` (a stream carries its own). Everything
 * about money, fallback, receipts and the end of a stream lives there and in the relay, not here.
 */
import { Hono, type Context } from 'hono';
import type { MeteredChat } from '@saferouter/metering';
import type { AppEnv } from '../env.js';
import { readJsonBody } from '../body.js';
import { parseChatRequest } from '../chat-request.js';
import { clientAbortSignal } from '../abort.js';
import { sendJson, sendStream } from '../node-response.js';

export interface ChatRouteOptions {
  chat: MeteredChat;
  bodyLimitBytes: number;
}

export const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  'x-accel-buffering': 'no',
} as const;

/**
 * Who answered: `X-SafeRouter-Provider` (a provider is never swapped silently), and
 * `X-SafeRouter-Fallback-From/To` when another model answered. A stream committed before any
 * answer names it in an SSE comment instead (headers were already sent).
 */
export function answerHeaders(reply: {
  requested: string;
  answeredBy: string;
  provider: string | undefined;
}): Record<string, string> {
  const headers: Record<string, string> =
    reply.provider === undefined ? {} : { 'x-saferouter-provider': reply.provider };
  if (reply.answeredBy === reply.requested) return headers;
  return { ...headers, 'x-saferouter-fallback-from': reply.requested, 'x-saferouter-fallback-to': reply.answeredBy };
}

export function chatRoutes({ chat, bodyLimitBytes }: ChatRouteOptions): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.post('/chat/completions', async (c: Context<AppEnv>) => {
    const { json, bytes } = await readJsonBody(c, bodyLimitBytes);
    const caller = c.get('caller');
    const reply = await chat.complete({
      caller: { id: caller.id, role: caller.role, limits: caller.limits },
      requestId: c.get('requestId'),
      body: parseChatRequest(json),
      requestBytes: bytes,
      signal: clientAbortSignal(c),
    });
    const headers = answerHeaders(reply);
    if (reply.stream) return sendStream(c, reply.result, { ...SSE_HEADERS, ...headers });
    if (reply.receipt !== undefined) headers['x-saferouter-receipt'] = reply.receipt;
    return sendJson(c, reply.body, headers);
  });

  return app;
}
