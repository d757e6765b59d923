/**
 * `createApp(deps)`: the gateway's Hono app. It receives everything it uses (store, catalog,
 * clock) and reads nothing from the environment or disk, so tests build it with fakes and call
 * `app.request()`. One sub-app per domain, one error handler speaking OpenAI's error shape.
 */
import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import type { Catalog } from '@saferouter/router';
import type { Store } from '@saferouter/store';
import type { AppEnv } from './env.js';
import { ApiError, handleError, notFound } from './errors.js';
import { createKeyAuth, type KeyAuth } from './middleware/auth.js';
import { chatRoutes } from './routes/chat.js';
import { modelRoutes } from './routes/models.js';
import { keyRoutes } from './routes/keys.js';

export interface GatewayDeps {
  store: Store;
  catalog: Catalog;
  /** Hex SHA-256 of the admin key. */
  adminKeyHash: string;
  clock?: () => number;
  /** Largest accepted request body; default 4 MiB. */
  bodyLimitBytes?: number;
  /** How long a key lookup is cached (bounds revocation delay); default 1000 ms. */
  keyCacheTtlMs?: number;
}

export interface Gateway {
  app: Hono<AppEnv>;
  auth: KeyAuth;
  /** Flushes batched writes and stops timers. Does not close the store. */
  close(): Promise<void>;
}

/** Paths with a fixed set of methods: anything else on them is a 405, not a 404. */
const allowedMethods = new Map<string, readonly string[]>([
  ['/v1/chat/completions', ['POST']],
  ['/v1/models', ['GET']],
  ['/v1/keys', ['POST']],
  ['/health', ['GET']],
]);

export function createApp(deps: GatewayDeps): Gateway {
  const clock = deps.clock ?? Date.now;
  const auth = createKeyAuth({
    store: deps.store,
    adminKeyHash: deps.adminKeyHash,
    clock,
    ...(deps.keyCacheTtlMs === undefined ? {} : { cacheTtlMs: deps.keyCacheTtlMs }),
  });
  const app = new Hono<AppEnv>();

  app.use('*', async (c, next) => {
    const id = `req_${randomUUID().replaceAll('-', '')}`;
    c.set('requestId', id);
    c.header('x-request-id', id);
    const allowed = allowedMethods.get(c.req.path);
    if (allowed && !allowed.includes(c.req.method) && !(c.req.method === 'HEAD' && allowed.includes('GET'))) {
      throw new ApiError(405, 'invalid_request_error', 'method_not_allowed', `Method ${c.req.method} is not allowed on ${c.req.path}. Allowed: ${allowed.join(', ')}.`, {
        allow: allowed.join(', '),
      });
    }
    await next();
  });

  app.get('/health', (c) => c.json({ status: 'ok' }));

  const isKeysPath = (path: string): boolean => path === '/v1/keys' || path.startsWith('/v1/keys/');
  app.use('/v1/*', (c, next) => (isKeysPath(c.req.path) ? auth.requireAdmin(c, next) : auth.requireKey(c, next)));
  app.route('/v1', chatRoutes({ catalog: deps.catalog, bodyLimitBytes: deps.bodyLimitBytes ?? 4 * 1024 * 1024 }));
  app.route('/v1', modelRoutes(deps.catalog));
  app.route('/v1', keyRoutes(deps.store, clock));

  app.notFound(notFound);
  app.onError(handleError);

  return { app, auth, close: () => auth.close() };
}
