/**
 * DeepSeek's body: the thinking toggle of its hybrid models, and the thinking effort.
 *
 * DeepSeek's "Thinking Mode" guide (https://api-docs.deepseek.com/guides/thinking_mode) gives, in
 * the OpenAI format, `thinking: { type: 'enabled' | 'disabled' }` for the toggle (on by default)
 * and `reasoning_effort: 'low' | 'high' | 'max'` for the depth, mapping requested efforts
 * minimal/low → low and medium/high → high. Earlier versions of that page accepted low and
 * medium too (as high) but did not list minimal, so minimal is sent as `low` and the others as
 * they are. Off sends `thinking: { type: 'disabled' }` and no effort. `max_tokens` has no
 * DeepSeek counterpart and is dropped.
 */
import { defineBodyAdapter, type BodyAdapter } from './reasoning.js';

/**
 * @example deepseekAdapter({ model: 'x', messages: [], reasoning: { enabled: false } }, 'deepseek-v4-flash')
 * // { model: 'deepseek-v4-flash', messages: [], thinking: { type: 'disabled' } }
 */
export const deepseekAdapter: BodyAdapter = defineBodyAdapter((intent) => {
  if (!intent.on) return { thinking: { type: 'disabled' } };
  const thinking = { type: 'enabled' };
  if (intent.effort === undefined) return { thinking };
  return { thinking, reasoning_effort: intent.effort === 'minimal' ? 'low' : intent.effort };
});
