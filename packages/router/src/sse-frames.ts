/**
 * Splits a byte stream of Server-Sent Events into whole events, without decoding or copying the
 * bytes of an event nobody needs to read. It is the one place that knows where an SSE event ends
 * (the WHATWG "dispatch on an empty line" rule), so every decision made per event — "this is the
 * terminal `[DONE]`", "this one carries usage", "rewrite this one" — is made on whole events, never
 * on the accidental boundaries of TCP reads.
 *
 * - Lines end with LF, CRLF or a lone CR, in any mix; a CRLF split across two reads is one line
 *   end. An event ends at the first empty line after it.
 * - The framer hands out complete events only. The bytes of an unfinished event are carried until
 *   the rest arrives (a window is then `carry ‖ chunk`). The carry grows by doubling, so an event
 *   spread over many reads is copied a constant number of times, and only split events are copied.
 *   A relay built on it therefore never forwards half an event, so an error event can always be
 *   appended cleanly and a client never sees a fragment.
 * - Scanning jumps from line end to line end with native `indexOf`, and resumes where it stopped
 *   when an event spans many reads, so a large event costs linear time.
 */

import type { SseEvent } from './spec.js';

const LF = 10;
const CR = 13;

/** The complete events found in one window. */
export interface Frames {
  /** `carry ‖ chunk`, or the chunk itself when nothing was carried. */
  window: Buffer;
  /**
   * Offsets in `window` where events end, ascending; the first event starts at 0 and each next one
   * where the previous ended. The last one is where complete bytes stop (everything after it is
   * carried into the next window). A window that starts with the LF of a CRLF split across reads
   * has that LF as an empty event of its own, `[0, 1)`. Reused between calls: copy it to keep it.
   */
  ends: number[];
}

/** An event bigger than this without an end is refused (see `SseFramer.push`). */
export const DEFAULT_MAX_EVENT_BYTES = 8 * 1024 * 1024;

/** Views any `Uint8Array` as a `Buffer` over the same memory (no copy). */
export function asBuffer(chunk: Uint8Array): Buffer {
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/**
 * An incremental SSE event framer for one stream.
 *
 * @example
 * const framer = new SseFramer();
 * const { window, ends } = framer.push(chunk);
 * // window.subarray(0, ends.at(-1)) holds whole events; the rest waits for the next chunk.
 */
export class SseFramer {
  readonly #maxEventBytes: number;
  /** The unfinished event's bytes: `#carry[0, #carryLength)`, with room to grow after it. */
  #carry: Buffer | undefined;
  #carryLength = 0;
  /** Where scanning resumes inside the carry: the start of its last, unterminated line. */
  #resume = 0;
  /** The previous window ended with a CR that closed an event; a leading LF belongs to it. */
  #skipLF = false;
  readonly #ends: number[] = [];

  /** @throws {RangeError} when `maxEventBytes` is not a positive safe integer. */
  constructor(options: { maxEventBytes?: number | undefined } = {}) {
    const max = options.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES;
    if (!Number.isSafeInteger(max) || max <= 0) throw new RangeError('maxEventBytes must be a positive safe integer');
    this.#maxEventBytes = max;
  }

  /** Bytes of an unfinished event held back so far. */
  get pendingBytes(): number {
    return this.#carry === undefined ? 0 : this.#carryLength;
  }

  /**
   * Adds a chunk and returns the complete events now available.
   *
   * @throws {RangeError} when an unfinished event grows past `maxEventBytes` (the stream is not
   *   SSE, or is hostile); the framer must not be used after that.
   */
  push(chunk: Uint8Array): Frames {
    const carry = this.#carry;
    const window = carry === undefined ? asBuffer(chunk) : this.#append(carry, chunk);
    const ends = this.#ends;
    ends.length = 0;

    // Resume inside the carry at the start of its unterminated line: everything before it was
    // scanned already and holds no event end (else it would not be carried).
    let pos = carry === undefined ? 0 : this.#resume;
    if (this.#skipLF && window.byteLength > 0) {
      this.#skipLF = false;
      if (window[0] === LF) {
        ends.push(1);
        pos = 1;
      }
    }
    const n = window.byteLength;
    let nextCR = window.indexOf(CR, pos);
    let nextLF = window.indexOf(LF, pos);
    while (nextLF !== -1 || nextCR !== -1) {
      const t = nextCR === -1 ? nextLF : nextLF === -1 ? nextCR : Math.min(nextCR, nextLF);
      let after = t + 1;
      if (window[t] === CR) {
        if (after === n) {
          // A CR as the very last byte: a line end either way, but it may be the first half of a
          // CRLF. If it ends an event, the event is complete now; if not, rescan it next time.
          if (t === pos) {
            ends.push(after);
            this.#skipLF = true;
            pos = after;
          }
          break;
        }
        if (window[after] === LF) after++;
        nextCR = window.indexOf(CR, after);
      }
      if (nextLF !== -1 && nextLF < after) nextLF = window.indexOf(LF, after);
      if (t === pos) ends.push(after); // an empty line: the event ends here
      pos = after;
    }

    const complete = ends.length === 0 ? 0 : (ends[ends.length - 1] as number);
    if (complete === n) {
      this.#carry = undefined;
      this.#resume = 0;
    } else {
      const tailLength = n - complete;
      if (tailLength > this.#maxEventBytes) {
        throw new RangeError(`an SSE event grew past ${this.#maxEventBytes} bytes without ending`);
      }
      // Nothing of the carry was handed out: keep growing it in place. Otherwise the consumer now
      // holds views of the window, so the tail moves to fresh memory (which also keeps a large
      // chunk from being held alive by a small unfinished event).
      if (carry === undefined || complete > 0) {
        const fresh = Buffer.allocUnsafe(Math.max(256, tailLength * 2));
        window.copy(fresh, 0, complete, n);
        this.#carry = fresh;
      }
      this.#carryLength = tailLength;
      this.#resume = Math.max(0, pos - complete);
    }
    return { window, ends };
  }

  /** `carry[0, length) ‖ chunk`, in the carry's own memory when it has room, else in a doubled copy. */
  #append(carry: Buffer, chunk: Uint8Array): Buffer {
    const length = this.#carryLength;
    const total = length + chunk.byteLength;
    let target = carry;
    if (total > carry.byteLength) {
      target = Buffer.allocUnsafe(Math.max(total, carry.byteLength * 2));
      carry.copy(target, 0, 0, length);
      this.#carry = target;
    }
    target.set(chunk, length);
    return target.subarray(0, total);
  }
}

/**
 * Parses the fields of one whole event (`bytes[start, end)`, as `SseFramer` delimits it) the way an
 * EventSource does: `field: value` lines with one optional space after the colon, `:` comments
 * ignored, `data` lines joined with LF.
 *
 * @example parseEvent(Buffer.from('data:[DONE]\r\n\r\n'), 0, 15) // { event: undefined, data: '[DONE]', id: undefined }
 */
export function parseEvent(bytes: Buffer, start: number, end: number): SseEvent {
  const text = bytes.toString('utf8', start, end);
  let event: string | undefined;
  let id: string | undefined;
  let data: string[] | undefined;
  for (const line of text.split(/\r\n|\r|\n/)) {
    if (line === '' || line.charCodeAt(0) === 58 /* : */) continue;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    if (field === 'data') (data ??= []).push(value);
    else if (field === 'event') event = value;
    else if (field === 'id' && !value.includes('\u0000')) id = value;
  }
  return { event, data: data === undefined ? '' : data.join('\n'), id };
}

/**
 * The data of a one-line event (`data: …` and its blank line) straight from the bytes, without
 * splitting lines; any other event goes through `parseEvent`. Usage and finish-reason events are
 * read on every stream, so this is on the hot path.
 *
 * @example eventData(Buffer.from('data: {"a":1}\n\n'), 0, 15) // '{"a":1}'
 */
export function eventData(bytes: Buffer, start: number, end: number): string {
  // "data:" as bytes
  if (
    bytes[start] === 100 &&
    bytes[start + 1] === 97 &&
    bytes[start + 2] === 116 &&
    bytes[start + 3] === 97 &&
    bytes[start + 4] === 58
  ) {
    const from = bytes[start + 5] === 32 ? start + 6 : start + 5;
    const lf = bytes.indexOf(LF, from);
    if (lf !== -1 && lf < end) {
      const lineEnd = bytes[lf - 1] === CR ? lf - 1 : lf;
      const cr = bytes.indexOf(CR, from);
      const rest = end - lf - 1;
      // Nothing after the line but its blank line (LF or CRLF), and no lone CR inside it.
      if (
        (cr === -1 || cr >= lineEnd) &&
        (rest === 1 || rest === 2) &&
        (bytes[end - 1] === LF || bytes[end - 1] === CR)
      ) {
        if (rest === 1 || bytes[lf + 1] === CR) return bytes.toString('utf8', from, lineEnd);
      }
    }
  }
  return parseEvent(bytes, start, end).data;
}

/**
 * The offset of the next occurrence of `needle` in `bytes[from, limit)` whose following bytes
 * (skipping spaces, tabs, line ends and colons) start with the byte `then` (any byte when
 * undefined), or -1. A cheap test of "this event holds key X with an object/string value" that
 * saves parsing the JSON of events that cannot matter. Inside JSON strings quotes are escaped, so
 * message text cannot fake `"usage":{`.
 */
export function nextKey(bytes: Buffer, needle: string, from: number, limit: number, then?: number): number {
  for (;;) {
    const at = bytes.indexOf(needle, from, 'latin1');
    if (at === -1 || at >= limit) return -1;
    if (then === undefined) return at;
    let i = at + needle.length;
    for (;;) {
      const c = bytes[i];
      if (c === 32 || c === 9 || c === LF || c === CR || c === 58) i++;
      else break;
    }
    if (bytes[i] === then) return at;
    from = at + needle.length;
  }
}
