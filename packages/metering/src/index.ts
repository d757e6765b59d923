/**
 * @saferouter/metering: a paid chat completion's steps (admit → route → settle → record) as one
 * unit with plain inputs and results, composed from @saferouter/router and @saferouter/billing.
 */
export * from './metered-chat.js';
export { completionText, DEFAULT_MAX_OUTPUT, holdShape, type HoldShape } from './estimates.js';
export * from './evidence.js';
export * from './reply-dialect.js';
