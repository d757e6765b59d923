/**
 * `POST /v1/responses`: the OpenAI Responses API, translated onto chat completions. Wiring only:
 * `@saferouter/responses` owns the translation (request → chat body, chat reply → Response
 * object and stream events), the metered chat owns money, fallback, receipts and activity, exactly
 * as for `/v1/chat/completions`; ../responses-dialect.ts joins the two.
 */
import { Hono, type Context } from 'hono';
import type { MeteredChat } from '@saferouter/metering';
import { parseResponsesRequest, toChatRequest } from '@saferouter/responses';
import type { AppEnv } from '../env.js';
import { readJsonBody } from '../body.js';
import { parseChatRequest } from '../chat-request.js';
import { clientAbortSignal } from '../abort.js';
import { sendJson, sendStream } from '../node-response.js';
import { responsesDialect } from '../responses-dialect.js';
import { answerHeaders, SSE_HEADERS } from './chat.js';

export interface ResponsesRouteOptions {
  chat: MeteredChat;
  bodyLimitBytes: number;
  clock: () => number;
}

export function responsesRoutes({ chat, bodyLimitBytes, clock }: ResponsesRouteOptions): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.post('/responses', async (c: Context<AppEnv>) => {
    const { json, bytes } = await readJsonBody(c, bodyLimitBytes);
    const request = parseResponsesRequest(json);
    // The translated body meets the same rules as a chat request (the same 400s).
    const body = parseChatRequest(toChatRequest(request));
    const caller = c.get('caller');
    const requestId = c.get('requestId');
    const reply = await chat.complete({
      caller: { id: caller.id, role: caller.role, limits: caller.limits },
      requestId,
      body,
      requestBytes: bytes,
      signal: clientAbortSignal(c),
      dialect: (facts) =>
        responsesDialect({
          // One id per request, derived from the request id (`req_…` → `resp_…`).
          id: `resp_${requestId.replace(/^req_/, '')}`,
          createdAt: Math.floor(clock() / 1000),
          model: facts.model,
          request,
        }),
    });
    const headers = answerHeaders(reply);
    if (reply.stream) return sendStream(c, reply.result, { ...SSE_HEADERS, ...headers });
    if (reply.receipt !== undefined) headers['x-saferouter-receipt'] = reply.receipt;
    return sendJson(c, reply.body, headers);
  });

  return app;
}
