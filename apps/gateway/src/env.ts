/**
 * The gateway's one typed Hono environment. Bindings are the Node request/response pair when
 * running under @hono/node-server; they are absent under `app.request()` in tests, so every use
 * goes through `c.env?.…` and has a portable fallback.
 */
import type { HttpBindings } from '@hono/node-server';
import type { EhbpSession } from '@saferouter/ehbp/server';
import type { KeyLimits } from '@saferouter/store';
import type { Logger } from './logger.js';

/** Who is calling: a user key from the store, or the operator's admin key. */
export interface Caller {
  id: string;
  name: string;
  role: 'user' | 'admin';
  limits: KeyLimits;
}

export interface AppEnv {
  Bindings: Partial<HttpBindings>;
  Variables: {
    requestId: string;
    caller: Caller;
    /** Set when the request came sealed with EHBP: its opened body, and the sealer of the answer. */
    ehbp?: EhbpSession;
    /** The gateway's logger (set first, by the request log, ./request-log.ts). */
    logger?: Logger;
    /**
     * Set by the lifecycle middleware (./shutdown.ts): a handler that goes on writing after it
     * returns (a relayed stream) calls it, and the returned function when it is done, so a
     * graceful shutdown waits for it.
     */
    keepOpen?: () => () => void;
  };
}

declare module 'hono' {
  interface ContextVariableMap {
    requestId: string;
    caller: Caller;
    ehbp?: EhbpSession;
    logger?: Logger;
    keepOpen?: () => () => void;
  }
}
