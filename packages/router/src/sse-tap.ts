/**
 * The SSE tap: reads a copy of an OpenAI-style event stream as it passes through, without
 * changing or holding back a byte, and learns what billing and the activity log need (usage,
 * finish reason, byte count, whether `data: [DONE]` arrived).
 *
 * It sits on the hot path of every streamed response, so it avoids work: events are split by
 * eventsource-parser over a streaming TextDecoder (multibyte characters and events may straddle
 * chunk boundaries), and an event's JSON is parsed only when a cheap substring scan says it holds
 * a non-null `usage` object or a string `finish_reason`. A typical stream parses two events.
 */
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { readFinishReason, readUsage } from './response-fields.js';
import type { Usage } from './spec.js';

/** What a tap has learned so far. */
export interface SseTapResult {
  /** The last non-null `usage` object seen. */
  usage?: Usage | undefined;
  /** The last non-null `choices[0].finish_reason` seen. */
  finishReason?: string | undefined;
  /** Bytes pushed so far. */
  bytes: number;
  /** True once a `data: [DONE]` event was seen. */
  done: boolean;
}

/** A small stateful reader, fed every chunk of one stream in order. */
export interface SseTap {
  /** Reads one chunk. Never throws and never keeps a reference to `chunk`. */
  push(chunk: Uint8Array): void;
  /** A snapshot of what was learned so far. */
  result(): SseTapResult;
  /** True once `data: [DONE]` was seen. */
  readonly done: boolean;
}

const OPEN_BRACE = 123; // {
const QUOTE = 34; // "

/**
 * Whether `data` holds a key ending in `suffix` whose value (after optional whitespace and the
 * colon) starts with `open`. The probes are kept short on purpose: V8 searches patterns of up to
 * about 8 characters linearly, longer ones with a Boyer-Moore table built per call, which measured
 * ~8x slower per event. Inside JSON strings quotes are escaped, so message text cannot fake a key;
 * a look-alike key (`"stop_reason"`) only costs a harmless parse. `"usage":null` and
 * `"finish_reason":null`, sent on every chunk by some upstreams, do not match.
 */
function probe(data: string, suffix: string, open: number): boolean {
  let from = 0;
  for (;;) {
    const at = data.indexOf(suffix, from);
    if (at === -1) return false;
    let i = at + suffix.length;
    for (;;) {
      const c = data.charCodeAt(i);
      // space, tab, LF, CR and the colon itself
      if (c === 32 || c === 9 || c === 10 || c === 13 || c === 58) i++;
      else break;
    }
    if (data.charCodeAt(i) === open) return true;
    from = at + suffix.length;
  }
}

/**
 * Creates a tap for one stream.
 *
 * @example
 * const tap = createSseTap();
 * for await (const chunk of body) tap.push(chunk);
 * tap.result(); // { usage: {...}, finishReason: 'stop', bytes: 1234, done: true }
 */
export function createSseTap(): SseTap {
  const decoder = new TextDecoder('utf-8');
  let usage: Usage | undefined;
  let finishReason: string | undefined;
  let bytes = 0;
  let done = false;

  const onEvent = (event: EventSourceMessage): void => {
    const data = event.data;
    if (data === '[DONE]') {
      done = true;
      return;
    }
    const hasUsage = probe(data, 'usage"', OPEN_BRACE);
    const hasFinish = probe(data, '_reason"', QUOTE);
    if (!hasUsage && !hasFinish) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(data);
    } catch {
      return; // not ours to judge; the bytes still pass through unchanged
    }
    if (hasUsage) usage = readUsage(parsed) ?? usage;
    if (hasFinish) finishReason = readFinishReason(parsed) ?? finishReason;
  };
  const parser = createParser({ onEvent });

  return {
    push(chunk) {
      bytes += chunk.byteLength;
      if (done) return; // nothing after [DONE] can change the outcome
      parser.feed(decoder.decode(chunk, { stream: true }));
    },
    result() {
      return { usage, finishReason, bytes, done };
    },
    get done() {
      return done;
    },
  };
}
