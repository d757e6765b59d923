/**
 * Bearer-key authentication for `/v1/*`. Keys are looked up by their SHA-256 hash; the admin key
 * is compared in constant time against its hash. Lookups are cached for `cacheTtlMs` (default
 * 1 s), which bounds how long a revoked key keeps working on this replica. Usage counters
 * (`last used`, request count) are batched and flushed once a second, off the request path.
 */
import type { MiddlewareHandler } from 'hono';
import { constantTimeEqualHex, hashApiKey, isApiKeyFormat, type Store } from '@saferouter/store';
import type { AppEnv, Caller } from '../env.js';
import { ApiError } from '../errors.js';
import { requestHeader } from '../request-header.js';
import type { Logger } from '../logger.js';

export interface KeyAuthOptions {
  store: Store;
  /** Hex SHA-256 of the admin key. */
  adminKeyHash: string;
  clock?: () => number;
  cacheTtlMs?: number;
  flushIntervalMs?: number;
  /** Where a failed usage flush is reported; default nowhere. */
  logger?: Pick<Logger, 'error'>;
}

export interface KeyAuth {
  /** Requires any valid key. */
  requireKey: MiddlewareHandler<AppEnv>;
  /** Requires the admin key. */
  requireAdmin: MiddlewareHandler<AppEnv>;
  /** Forgets a cached lookup (after a revoke or a limits change on this replica). */
  invalidate(hash: string): void;
  /** Writes pending usage counters now. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

interface CacheEntry {
  caller: Caller | null;
  expires: number;
}

const ADMIN: Caller = { id: 'admin', name: 'admin', role: 'admin', limits: { rpm: null, concurrency: null } };
const MAX_CACHE = 10_000;

function unauthorized(code: string, message: string): ApiError {
  return new ApiError(401, 'authentication_error', code, message, { 'www-authenticate': 'Bearer' });
}

export function createKeyAuth(options: KeyAuthOptions): KeyAuth {
  const clock = options.clock ?? Date.now;
  // Bounds how long a key revoked on another replica keeps working here (the issue asks < 1 s).
  const ttl = options.cacheTtlMs ?? 500;
  const cache = new Map<string, CacheEntry>();
  const pending = new Map<string, { count: number; at: number }>();

  async function lookup(hash: string): Promise<Caller | null> {
    if (constantTimeEqualHex(hash, options.adminKeyHash)) return ADMIN;
    const now = clock();
    const hit = cache.get(hash);
    if (hit && hit.expires > now) return hit.caller;
    const rec = await options.store.keys.findByHash(hash);
    const caller: Caller | null =
      rec && rec.revokedAt === null ? { id: rec.id, name: rec.name, role: rec.role, limits: rec.limits } : null;
    if (cache.size >= MAX_CACHE) cache.clear();
    cache.set(hash, { caller, expires: now + ttl });
    return caller;
  }

  async function authenticate(header: string | undefined): Promise<Caller> {
    if (!header) throw unauthorized('missing_api_key', 'Missing API key. Send it as "Authorization: Bearer sk-sr-…".');
    const space = header.indexOf(' ');
    const scheme = space > 0 ? header.slice(0, space) : '';
    const token = space > 0 ? header.slice(space + 1).trim() : '';
    if (scheme.toLowerCase() !== 'bearer' || token.length === 0) {
      throw unauthorized('missing_api_key', 'Malformed Authorization header. Expected "Bearer sk-sr-…".');
    }
    // Never echo the presented token: a mistyped key is still a secret.
    const caller = await lookup(hashApiKey(token));
    if (!caller) {
      const hint = isApiKeyFormat(token) ? 'unknown or revoked' : 'not a SafeRouter key (they start with sk-sr-)';
      throw unauthorized('invalid_api_key', `Invalid API key: ${hint}.`);
    }
    if (caller.role === 'user') {
      const p = pending.get(caller.id);
      if (p) {
        p.count += 1;
        p.at = clock();
      } else pending.set(caller.id, { count: 1, at: clock() });
    }
    return caller;
  }

  async function flush(): Promise<void> {
    if (pending.size === 0) return;
    const batch = [...pending.entries()];
    pending.clear();
    for (const [id, p] of batch) await options.store.keys.touch(id, p.at, p.count);
  }

  const timer = setInterval(() => {
    flush().catch((err: unknown) => options.logger?.error({ err }, 'keys: usage flush failed'));
  }, options.flushIntervalMs ?? 1000);
  timer.unref();

  return {
    requireKey: async (c, next) => {
      c.set('caller', await authenticate(requestHeader(c, 'authorization')));
      await next();
    },
    requireAdmin: async (c, next) => {
      const caller = await authenticate(requestHeader(c, 'authorization'));
      if (caller.role !== 'admin') {
        throw new ApiError(403, 'permission_error', 'admin_required', 'This endpoint needs the admin key.');
      }
      c.set('caller', caller);
      await next();
    },
    invalidate(hash) {
      cache.delete(hash);
    },
    flush,
    async close() {
      clearInterval(timer);
      await flush();
    },
  };
}
