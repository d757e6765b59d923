/**
 * The generic OpenAI-compatible body: `reasoning` becomes OpenAI's `reasoning_effort`.
 *
 * OpenAI's chat completions API has no separate on/off switch: "no reasoning" is
 * `reasoning_effort: 'none'` (gpt-5.1 and later; older reasoning models reject it, which is the
 * honest answer to "turn reasoning off" on a model that cannot). So off (`enabled: false` or
 * `effort: 'none'`) sends `'none'`, an effort is sent as is, and "on" without an effort sends
 * nothing, leaving the model's default. `max_tokens` has no OpenAI counterpart and is dropped.
 */
import { defineBodyAdapter, type BodyAdapter } from './reasoning.js';

/**
 * @example openAICompatibleAdapter({ model: 'x', messages: [], reasoning: { effort: 'low' } }, 'gpt-5')
 * // { model: 'gpt-5', messages: [], reasoning_effort: 'low' }
 */
export const openAICompatibleAdapter: BodyAdapter = defineBodyAdapter((intent) => {
  if (!intent.on) return { reasoning_effort: 'none' };
  return intent.effort === undefined ? undefined : { reasoning_effort: intent.effort };
});
