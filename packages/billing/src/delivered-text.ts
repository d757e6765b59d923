/**
 * The assistant text in one streamed event, so a stream cut before the upstream's `usage` arrived
 * (a client that left, an upstream that died) can still be charged for what was delivered.
 *
 * This reads one event's `data` (a `chat.completion.chunk`), not bytes: where an SSE event starts
 * and ends is the router's rule (`SseFramer` in `@saferouter/router`), and the caller that holds
 * the delivered bytes frames them with it. Counted per choice delta: `content`,
 * `reasoning_content`, `reasoning`, `refusal`, and tool-call `function.name` / `function.arguments`
 * — all of them are completion tokens. JSON is parsed only when the data mentions one of them.
 */
import { InvalidArgumentError } from '@saferouter/errors';
import { isRecord } from './validate.js';

/** Words in an event's data that may carry assistant text; anything else is not parsed. */
const TEXT_KEYS = ['"content"', '"reasoning', '"refusal"', '"arguments"', '"name"'];

/**
 * The assistant text of one event's data, in order; `''` for `[DONE]`, usage-only or role-only
 * chunks, comments, malformed JSON and odd shapes. Never throws on data.
 *
 * @example deliveredText('{"choices":[{"delta":{"content":"Hi"}}]}') // 'Hi'
 * @throws {InvalidArgumentError} (reason `type`) when `eventData` is not a string.
 */
export function deliveredText(eventData: string): string {
  if (typeof eventData !== 'string') throw new InvalidArgumentError('eventData', 'eventData must be a string', 'type');
  if (eventData === '' || eventData === '[DONE]' || !TEXT_KEYS.some((key) => eventData.includes(key))) return '';
  let event: unknown;
  try {
    event = JSON.parse(eventData);
  } catch {
    return ''; // not ours to judge; the bytes reached the client unchanged either way
  }
  const parts: string[] = [];
  readDeltaTexts(event, (text) => parts.push(text));
  return parts.join('');
}

function readDeltaTexts(event: unknown, onText: (text: string) => void): void {
  if (!isRecord(event) || !Array.isArray(event['choices'])) return;
  for (const choice of event['choices'] as unknown[]) {
    if (!isRecord(choice)) continue;
    const delta = choice['delta'];
    if (!isRecord(delta)) continue;
    for (const field of ['content', 'reasoning_content', 'reasoning', 'refusal']) {
      const value = delta[field];
      if (typeof value === 'string' && value !== '') onText(value);
    }
    const calls = delta['tool_calls'];
    if (!Array.isArray(calls)) continue;
    for (const call of calls as unknown[]) {
      const fn = isRecord(call) ? call['function'] : undefined;
      if (!isRecord(fn)) continue;
      if (typeof fn['name'] === 'string') onText(fn['name']);
      if (typeof fn['arguments'] === 'string') onText(fn['arguments']);
    }
  }
}
