/**
 * @saferouter/router: the provider spec, an OpenAI-compatible provider over undici, the model
 * catalog, fallback as a wrapper, and the event-level SSE relay every stream goes through.
 */
export * from './spec.js';
export * from './cancellation.js';
export * from './errors.js';
export * from './openai-compatible.js';
export { SseFramer, parseEvent, type Frames } from './sse-frames.js';
export * from './sse-relay.js';
export { CHAT_COMPLETIONS_SSE, sseErrorEvent, type SseProtocol } from './sse-protocol.js';
export * from './response-fields.js';
export * from './capabilities.js';
export * from './catalog-schema.js';
export * from './catalog.js';
export * from './provider-preferences.js';
export * from './endpoint-stats.js';
export * from './default-catalog.js';
export * from './demo.js';
export * from './fallback.js';
export * from './own-keys.js';
export { toRouterError } from './transport-errors.js';
