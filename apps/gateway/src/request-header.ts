/**
 * One request header, by lower-case name. Under @hono/node-server it reads the Node request's own
 * header object: `c.req.header()` would first build a web `Headers` from every raw header (the
 * `Request` hono makes lazily), which measured ~1.5% of a streamed request's CPU under `pnpm
 * bench`. Under `app.request()` (tests) there is no Node request, and it asks Hono.
 */
import type { Context } from 'hono';
import type { AppEnv } from './env.js';

export function requestHeader(c: Context<AppEnv>, name: Lowercase<string>): string | undefined {
  const incoming = c.env?.incoming;
  if (incoming === undefined || typeof incoming.headers !== 'object') return c.req.header(name);
  const value = incoming.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}
