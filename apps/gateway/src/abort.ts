/**
 * An AbortSignal that fires when the client goes away before the response finished. Under
 * @hono/node-server it listens to the Node response's `close` event directly: reading
 * `c.req.raw.signal` instead would materialise a full web Request on every call.
 */
import type { Context } from 'hono';
import type { AppEnv } from './env.js';

export function clientAbortSignal(c: Context<AppEnv>): AbortSignal {
  const outgoing = c.env?.outgoing;
  if (!outgoing) return c.req.raw.signal;
  const controller = new AbortController();
  const onClose = (): void => {
    if (!outgoing.writableFinished) controller.abort(new Error('client closed the connection'));
  };
  outgoing.once('close', onClose);
  return controller.signal;
}
