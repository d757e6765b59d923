/**
 * @saferouter/billing: integer micro-dollar prices and costs, token estimates for holds and cut
 * streams, holds and settlement over a `BillingStore`, and per-key rpm / concurrency limits.
 * The Redis limiter lives at `@saferouter/billing/redis`, so this entry never loads ioredis.
 */
export * from './money.js';
export * from './estimate.js';
export * from './delivered-text.js';
export * from './hold.js';
export * from './admission.js';
export * from './limiter.js';
export * from './memory-limiter.js';
