/**
 * The boundary check of `setBehavior`: a malformed behavior is refused when it is set, with a
 * message naming the field, rather than surfacing later as a strange response.
 */
import type { FakeBehavior } from './types.js';
import { doneEvent } from './wire.js';

const NUMERIC_FIELDS = [
  'delayMs',
  'firstChunkDelayMs',
  'chunkDelayMs',
  'cutAfterChunks',
  'chunks',
  'doneSplitDelayMs',
  'endDelayMs',
] as const;
const BOOLEAN_FIELDS = ['dataNoSpace', 'doubleDone', 'omitDone', 'emptyCompletion'] as const;
const LINE_ENDINGS: readonly unknown[] = ['\n', '\r\n', '\r'];
const USAGE_PLACES: readonly unknown[] = ['final-chunk', 'last-content-chunk'];
const USAGE_COUNTS = ['prompt_tokens', 'completion_tokens'] as const;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * @throws TypeError when `b` or one of its fields has the wrong type; RangeError when a field has
 * the right type but an impossible value (a status outside 200..599, a negative delay, a `[DONE]`
 * split offset outside the event, a split of a `[DONE]` that is never sent, no tool calls, an
 * unknown `usageIn`, an `emptyCompletion` with content).
 */
export function validateBehavior(b: FakeBehavior): void {
  if (typeof b !== 'object' || b === null) throw new TypeError('setBehavior: "behavior" must be an object');
  if (b.status !== undefined && (!Number.isInteger(b.status) || b.status < 200 || b.status > 599)) {
    throw new RangeError(`setBehavior: "status" must be an integer in 200..599, got ${String(b.status)}`);
  }
  for (const k of NUMERIC_FIELDS) {
    const v = b[k];
    if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v) || v < 0)) {
      throw new RangeError(`setBehavior: "${k}" must be a finite number >= 0, got ${String(v)}`);
    }
  }
  if (b.chunks !== undefined && b.chunks < 1) throw new RangeError('setBehavior: "chunks" must be >= 1');
  for (const k of BOOLEAN_FIELDS) {
    if (b[k] !== undefined && typeof b[k] !== 'boolean') throw new TypeError(`setBehavior: "${k}" must be a boolean`);
  }
  if (b.afterDone !== undefined && typeof b.afterDone !== 'string')
    throw new TypeError('setBehavior: "afterDone" must be a string');
  if (b.lineEnding !== undefined) {
    if (typeof b.lineEnding !== 'string') throw new TypeError('setBehavior: "lineEnding" must be a string');
    if (!LINE_ENDINGS.includes(b.lineEnding))
      throw new RangeError(
        `setBehavior: "lineEnding" must be "\\n", "\\r\\n" or "\\r", got ${JSON.stringify(b.lineEnding)}`,
      );
  }
  validateAnswer(b);
  if (b.doneSplitAt !== undefined) {
    if (typeof b.doneSplitAt !== 'number') throw new TypeError('setBehavior: "doneSplitAt" must be a number');
    if (b.omitDone === true)
      throw new RangeError('setBehavior: "doneSplitAt" needs a [DONE] to split, but "omitDone" is set');
    const max = doneEvent(b).length - 1;
    if (!Number.isInteger(b.doneSplitAt) || b.doneSplitAt < 1 || b.doneSplitAt > max) {
      throw new RangeError(
        `setBehavior: "doneSplitAt" must be an integer in 1..${max} (inside the [DONE] event), got ${String(b.doneSplitAt)}`,
      );
    }
  }
}

/** The fields that shape the answer itself: usage, tool calls, finish reason, an empty answer. */
function validateAnswer(b: FakeBehavior): void {
  if (b.usage !== undefined) {
    if (!isObject(b.usage)) throw new TypeError('setBehavior: "usage" must be an object');
    for (const k of USAGE_COUNTS) {
      const v = b.usage[k];
      if (v === undefined) continue;
      if (typeof v !== 'number') throw new TypeError(`setBehavior: "usage.${k}" must be a number`);
      if (!Number.isInteger(v) || v < 0)
        throw new RangeError(`setBehavior: "usage.${k}" must be an integer >= 0, got ${String(v)}`);
    }
  }
  if (b.toolCalls !== undefined) {
    if (!Array.isArray(b.toolCalls)) throw new TypeError('setBehavior: "toolCalls" must be an array');
    if (b.toolCalls.length === 0) throw new RangeError('setBehavior: "toolCalls" must not be empty');
    b.toolCalls.forEach((call: unknown, i) => {
      if (!isObject(call)) throw new TypeError(`setBehavior: "toolCalls[${i}]" must be an object`);
      if (typeof call['name'] !== 'string' || call['name'] === '')
        throw new TypeError(`setBehavior: "toolCalls[${i}].name" must be a non-empty string`);
      if (typeof call['arguments'] !== 'string')
        throw new TypeError(`setBehavior: "toolCalls[${i}].arguments" must be a string`);
    });
  }
  if (b.finishReason !== undefined && b.finishReason !== null && typeof b.finishReason !== 'string')
    throw new TypeError('setBehavior: "finishReason" must be a string or null');
  if (b.usageIn !== undefined && !USAGE_PLACES.includes(b.usageIn))
    throw new RangeError(
      `setBehavior: "usageIn" must be "final-chunk" or "last-content-chunk", got ${JSON.stringify(b.usageIn)}`,
    );
  if (b.emptyCompletion === true) {
    for (const k of ['content', 'reasoning', 'toolCalls'] as const) {
      if (b[k] !== undefined && b[k] !== false)
        throw new RangeError(`setBehavior: "emptyCompletion" leaves no room for "${k}"`);
    }
  }
}
