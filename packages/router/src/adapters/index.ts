/**
 * Body adapters: how each provider kind spells the client's body on its own wire. Generic code
 * never branches on a provider; it asks `bodyAdapterFor(kind)` once, when the catalog builds the
 * provider, and the OpenAI-compatible provider calls that adapter for every request.
 */
import { deepseekAdapter } from './deepseek.js';
import { openAICompatibleAdapter } from './openai-compatible.js';
import type { BodyAdapter } from './reasoning.js';
import { zaiAdapter } from './zai.js';

export {
  defineBodyAdapter,
  reasoningIntent,
  type BodyAdapter,
  type ReasoningEffort,
  type ReasoningFields,
  type ReasoningIntent,
  type ReasoningRequest,
} from './reasoning.js';
export { deepseekAdapter, openAICompatibleAdapter, zaiAdapter };

/** Provider kinds that speak OpenAI's chat completions on the wire, each with its own body. */
export type AdapterKind = 'openai-compatible' | 'deepseek' | 'zai';

const ADAPTERS: Readonly<Record<AdapterKind, BodyAdapter>> = {
  'openai-compatible': openAICompatibleAdapter,
  deepseek: deepseekAdapter,
  zai: zaiAdapter,
};

/**
 * The body adapter of a provider kind.
 *
 * @example createOpenAICompatible({ name: 'zai', baseURL, apiKey, adapter: bodyAdapterFor('zai') })
 * @throws {RangeError} for a kind that has no adapter (the catalog schema admits none).
 */
export function bodyAdapterFor(kind: AdapterKind): BodyAdapter {
  if (!Object.hasOwn(ADAPTERS, kind)) throw new RangeError(`no body adapter for provider kind '${String(kind)}'`);
  return ADAPTERS[kind];
}
