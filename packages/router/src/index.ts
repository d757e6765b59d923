/**
 * @saferouter/router: the provider spec, an OpenAI-compatible provider over undici, the model
 * catalog, fallback as a wrapper, and the SSE tap that reads a copy of a stream.
 */
export * from './spec.js';
export * from './errors.js';
