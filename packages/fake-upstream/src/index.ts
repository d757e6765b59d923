/**
 * @saferouter/fake-upstream: a fake OpenAI-compatible upstream that answers like DeepSeek, with
 * failures on demand (status codes, delays, hangs, mid-stream deaths). For tests and benchmarks.
 */
export { startFakeUpstream } from './server.js';
export { DEFAULT_CONTENT, DEFAULT_REASONING, DEFAULT_CHUNKS } from './payloads.js';
export type { FakeBehavior, FakeToolCall, FakeUpstream, FakeUsage, RecordedRequest, StartOptions } from './types.js';
