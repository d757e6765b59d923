/**
 * @saferouter/ehbp/server: opening sealed requests and sealing responses (Node), the replay
 * guard, and the Hono middleware.
 */
export {
  EhbpRequestError,
  memoryReplayGuard,
  openRequest,
  REPLAY_WINDOW_MS,
  type EhbpSession,
  type OpenRequestOptions,
  type ReplayGuard,
} from './session.js';
export { ehbp, hpkeKeysHandler, sealResponse, type EhbpMiddlewareOptions } from './hono.js';
export { hmac, setupRecipient, setupSender, x25519, type HpkeContext } from './hpke-node.js';
export { nodeSender } from './node-sender.js';
