/**
 * Z.AI's body (GLM): `thinking: { type: 'enabled' | 'disabled' }`.
 *
 * Z.AI's "Thinking Mode" guide (https://docs.z.ai/guides/capabilities/thinking-mode) and its chat
 * completion reference (https://docs.z.ai/api-reference/llm/chat-completion) control the chain
 * of thought with `thinking.type` on GLM-4.5 and later (on by default since GLM-4.7). GLM-5.2 and
 * later also read `reasoning_effort` (none … max); earlier models ignore the field, so an
 * effort is sent as is alongside `thinking: { type: 'enabled' }`. There is no token budget:
 * `max_tokens` is dropped. Off sends `thinking: { type: 'disabled' }` and no effort.
 */
import { defineBodyAdapter, type BodyAdapter } from './reasoning.js';

/**
 * @example zaiAdapter({ model: 'x', messages: [], reasoning: { effort: 'high' } }, 'glm-4.6')
 * // { model: 'glm-4.6', messages: [], thinking: { type: 'enabled' }, reasoning_effort: 'high' }
 */
export const zaiAdapter: BodyAdapter = defineBodyAdapter((intent) => {
  if (!intent.on) return { thinking: { type: 'disabled' } };
  const thinking = { type: 'enabled' };
  return intent.effort === undefined ? { thinking } : { thinking, reasoning_effort: intent.effort };
});
