/**
 * What tells the upstream call that the client went away before the response finished. Under
 * @hono/node-server it listens to the Node response's `close` event directly (reading
 * `c.req.raw.signal` would materialise a full web Request on every call) and fires a router
 * `Cancellation`, which costs a flag and an array where an AbortController measured ~2% of the
 * gateway's CPU per request.
 */
import type { Context } from 'hono';
import { Cancellation, type AbortSignalLike } from '@saferouter/router';
import type { AppEnv } from './env.js';

export function clientAbortSignal(c: Context<AppEnv>): AbortSignalLike {
  const outgoing = c.env?.outgoing;
  if (!outgoing) return c.req.raw.signal;
  const cancel = new Cancellation();
  outgoing.on('close', () => {
    if (!outgoing.writableFinished) cancel.abort(new Error('client closed the connection'));
  });
  return cancel;
}
