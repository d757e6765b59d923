/**
 * Measures the assistant text a client has received from an OpenAI-style SSE stream, so a stream
 * cut by a client disconnect (no `usage` from the upstream) can still be charged for what was
 * delivered.
 *
 * Design: the counter is fed the very bytes written to the client, in order, and keeps only a
 * running byte count, not the text. Taking raw bytes (not decoded deltas from the caller) keeps
 * the gateway's wiring to one `push(chunk)` beside the router's SSE tap, and keeps billing free
 * of the router and of a parser dependency: SSE framing for this purpose is a few lines (split
 * lines, join `data:` lines, dispatch on a blank line). JSON is parsed only for events whose data
 * mentions one of the text fields; role-only, usage-only and `[DONE]` events are skipped.
 *
 * Counted per choice delta: `content`, `reasoning_content`, `reasoning`, `refusal`, and tool-call
 * `function.name` / `function.arguments` — all of them are completion tokens. An event cut in
 * half at the disconnect is not counted: the client could not have used it either.
 */
import { InvalidArgumentError } from '@saferouter/errors';
import { tokensForBytes, utf8ByteLength } from './estimate.js';
import { isRecord } from './validate.js';

/**
 * An event whose data grows past this many characters without ending is dropped rather than
 * buffered further, so a broken upstream cannot make the counter hold megabytes.
 */
export const MAX_EVENT_CHARS = 1 << 20;

/** A running count of delivered assistant text, fed raw SSE chunks. */
export interface DeliveredTextCounter {
  /** Reads the next chunk of the stream, as delivered. Never throws on bad data. */
  push(chunk: Uint8Array | string): void;
  /** UTF-8 bytes of assistant text in the complete events seen so far. */
  readonly textBytes: number;
  /** `ceil(textBytes / 3)`, the same rule as `estimateCompletionTokens`. */
  estimatedTokens(): number;
}

/** Words in an event's data that may carry assistant text; anything else is not parsed. */
const TEXT_KEYS = ['"content"', '"reasoning', '"refusal"', '"arguments"', '"name"'];

/**
 * Creates a counter for one stream.
 *
 * @example
 * const delivered = createDeliveredTextCounter();
 * for await (const chunk of stream) { socket.write(chunk); delivered.push(chunk); }
 * if (!usage) admission.settle({ promptTokens, completionTokens: delivered.estimatedTokens(), estimated: true });
 */
export function createDeliveredTextCounter(): DeliveredTextCounter {
  let textBytes = 0;
  const parser = createSseTextParser((text) => {
    textBytes += utf8ByteLength(text);
  });
  return {
    push: parser.push,
    get textBytes() {
      return textBytes;
    },
    estimatedTokens: () => tokensForBytes(textBytes),
  };
}

/**
 * All assistant text in a complete SSE transcript, concatenated in order (for tests, logs and
 * non-incremental callers; streaming code should prefer `createDeliveredTextCounter`).
 *
 * @example
 * extractDeliveredText('data: {"choices":[{"delta":{"content":"Hi"}}]}\n\n') // 'Hi'
 * @throws {InvalidArgumentError} (reason `type`) when `sse` is neither a string nor a Uint8Array.
 */
export function extractDeliveredText(sse: Uint8Array | string): string {
  if (typeof sse !== 'string' && !(sse instanceof Uint8Array))
    throw new InvalidArgumentError('sse', 'sse must be a string or a Uint8Array', 'type');
  const parts: string[] = [];
  createSseTextParser((text) => parts.push(text)).push(sse);
  return parts.join('');
}

function createSseTextParser(onText: (text: string) => void): { push(chunk: Uint8Array | string): void } {
  const decoder = new TextDecoder('utf-8');
  let pending = ''; // an incomplete line carried to the next chunk
  let afterCr = false; // the last chunk ended in CR: a LF opening the next one ends no new line
  let data: string[] = [];
  let dataChars = 0;
  let oversized = false;

  const dispatch = (): void => {
    const payload = data.join('\n');
    const skip = oversized;
    data = [];
    dataChars = 0;
    oversized = false;
    if (skip || payload === '' || payload === '[DONE]') return;
    if (!TEXT_KEYS.some((key) => payload.includes(key))) return;
    let event: unknown;
    try {
      event = JSON.parse(payload);
    } catch {
      return; // not ours to judge; the bytes reached the client unchanged either way
    }
    readDeltaTexts(event, onText);
  };

  const line = (text: string): void => {
    if (text === '') return dispatch();
    if (!text.startsWith('data:') || oversized) return; // comments, `event:`, `id:`, `retry:`
    const value = text.charCodeAt(5) === 32 ? text.slice(6) : text.slice(5);
    dataChars += value.length;
    if (dataChars > MAX_EVENT_CHARS) {
      oversized = true;
      data = [];
      return;
    }
    data.push(value);
  };

  return {
    push(chunk) {
      let text = typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
      if (text === '') return; // e.g. only the first bytes of a multibyte character
      if (afterCr) {
        afterCr = false;
        if (text.charCodeAt(0) === 10) text = text.slice(1);
      }
      pending += text;
      let start = 0;
      for (let i = 0; i < pending.length; i++) {
        const c = pending.charCodeAt(i);
        if (c !== 10 && c !== 13) continue;
        line(pending.slice(start, i));
        if (c === 13) {
          // CRLF is one line end, even when the LF arrives with the next chunk.
          if (i + 1 === pending.length) afterCr = true;
          else if (pending.charCodeAt(i + 1) === 10) i++;
        }
        start = i + 1;
      }
      pending = pending.slice(start);
      if (pending.length > MAX_EVENT_CHARS) {
        oversized = true;
        data = [];
        pending = pending.slice(-8); // keep nothing useful; just enough to see the next newline
      }
    },
  };
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
