/**
 * The SSE wire shape of a stream reply when a behavior asks for an unusual one: `\r\n` or `\r`
 * line endings, `data:` without its space, and the stream's tail (`[DONE]` split across two
 * writes, doubled, omitted, followed by extra bytes, or by a pause before the response ends).
 * These exist to test that a gateway finds the end of a stream by parsing events, not by matching
 * bytes or waiting for the connection to end. Computed once per behavior; the default behavior
 * has no wire at all, so the fake's single-write hot path stays as it was.
 */
import type { FakeBehavior } from './types.js';

/** Pause between the two parts of a split `[DONE]` when `doneSplitDelayMs` is not given. */
export const DEFAULT_DONE_SPLIT_DELAY_MS = 50;

/** The default shape `streamEvents` produces: `data: {…}\n\n`. */
const DEFAULT_PREFIX = 'data: ';
const DEFAULT_END = '\n\n';

/** How one behavior lays a stream out on the wire. */
export interface Wire {
  /** Rewrites a default-shaped event (`data: {…}\n\n`); undefined when events keep that shape. */
  event: ((event: string) => string) | undefined;
  /** The `: keep-alive` comment with this wire's line endings. */
  keepAlive: string;
  /**
   * Everything after the last data event (the `[DONE]` events and `afterDone`), as the writes it
   * goes out in: one, or two when `doneSplitAt` splits the first `[DONE]` event.
   */
  tail: readonly [string] | readonly [string, string];
  /** Pause between the two parts of `tail`. */
  splitDelayMs: number;
  /** Pause between the last bytes of `tail` and the end of the response (0: ended with them). */
  endDelayMs: number;
}

/** The `[DONE]` event exactly as `b` sends it, e.g. `data:[DONE]\r\n\r\n`. */
export function doneEvent(b: FakeBehavior): string {
  const eol = b.lineEnding ?? '\n';
  return `${b.dataNoSpace === true ? 'data:' : DEFAULT_PREFIX}[DONE]${eol}${eol}`;
}

/** The wire of a (validated) behavior, or undefined when every stream field is at its default. */
export function buildWire(b: FakeBehavior): Wire | undefined {
  const eol = b.lineEnding ?? '\n';
  const reshaped = eol !== '\n' || b.dataNoSpace === true;
  const plainTail =
    b.doneSplitAt === undefined &&
    b.afterDone === undefined &&
    b.doubleDone !== true &&
    b.omitDone !== true &&
    (b.endDelayMs ?? 0) <= 0;
  if (!reshaped && plainTail) return undefined;

  const prefix = b.dataNoSpace === true ? 'data:' : DEFAULT_PREFIX;
  const end = eol + eol;
  const done = doneEvent(b);
  const tail = (b.omitDone === true ? '' : b.doubleDone === true ? done + done : done) + (b.afterDone ?? '');
  const at = b.doneSplitAt;
  return {
    // Events are single lines (JSON escapes its newlines), so the prefix and the blank line are
    // the only line structure there is to rewrite.
    event: reshaped ? (e) => prefix + e.slice(DEFAULT_PREFIX.length, e.length - DEFAULT_END.length) + end : undefined,
    keepAlive: `: keep-alive${end}`,
    tail: at === undefined ? [tail] : [tail.slice(0, at), tail.slice(at)],
    splitDelayMs: b.doneSplitDelayMs ?? DEFAULT_DONE_SPLIT_DELAY_MS,
    endDelayMs: b.endDelayMs ?? 0,
  };
}
