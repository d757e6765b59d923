/**
 * `POST /v1/chat/completions`, streaming and not. The route only wires HTTP to the router:
 * validate, pick the candidate chain from the catalog, wrap it in fallback, pass bytes through.
 */
import { Hono } from 'hono';
import { withFallback, type Catalog } from '@saferouter/router';
import type { AppEnv } from '../env.js';
import { readJson } from '../body.js';
import { parseChatRequest } from '../chat-request.js';
import { clientAbortSignal } from '../abort.js';
import { sendStream } from '../stream-response.js';

export interface ChatRouteOptions {
  catalog: Catalog;
  bodyLimitBytes: number;
}

export function chatRoutes(options: ChatRouteOptions): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.post('/chat/completions', async (c) => {
    const body = parseChatRequest(await readJson(c, options.bodyLimitBytes));
    const chain = options.catalog.candidates(body);
    const model = withFallback(chain);
    const signal = clientAbortSignal(c);
    const requested = chain[0]?.entry.id ?? body.model;

    if (body.stream === true) {
      const result = await model.doStream({ body, signal });
      if (result.answeredBy !== requested) {
        c.header('x-saferouter-fallback-from', requested);
        c.header('x-saferouter-fallback-to', result.answeredBy);
      }
      c.header('content-type', 'text/event-stream; charset=utf-8');
      c.header('cache-control', 'no-cache');
      c.header('x-accel-buffering', 'no');
      return sendStream(c, result);
    }

    const result = await model.doGenerate({ body, signal });
    if (result.answeredBy !== requested) {
      c.header('x-saferouter-fallback-from', requested);
      c.header('x-saferouter-fallback-to', result.answeredBy);
    }
    c.header('content-type', 'application/json');
    return c.body(result.body as Uint8Array<ArrayBuffer>, 200);
  });

  return app;
}
