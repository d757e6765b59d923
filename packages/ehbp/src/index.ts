/**
 * @saferouter/ehbp: the Encrypted HTTP Body Protocol, wire-compatible with its published spec.
 * Browser-safe client (`createEhbpFetch`), the key config format, framing and response key
 * derivation. The Hono server middleware is at `@saferouter/ehbp/server`.
 */
export * from './protocol.js';
export { encodeKeyConfig, parseKeyConfig, type KeyConfig } from './key-config.js';
export { frame, FrameReader } from './framing.js';
export { chunkNonce, deriveResponseKeys, type ResponseKeys } from './response-keys.js';
export { createEhbpFetch, webCryptoSender, type EhbpFetchOptions, type HpkeSender } from './client.js';
export { EhbpError, EhbpKeyMismatchError } from './errors.js';
export { fromHex, toHex } from './hex.js';
