/**
 * The wire facts of an SSE protocol the relay serves, kept apart from the relay's state machine:
 * which event ends a stream, the one SSE error writer, and two small byte-level helpers.
 */
import type { OpenAIErrorBody } from '@saferouter/errors';
import { SafeRouterError } from './errors.js';
import type { SseEvent } from './spec.js';

const encoder = new TextEncoder();

/** What ends a stream of one protocol. */
export interface SseProtocol {
  /** Bytes every terminal event contains: events without them are never parsed for the test. */
  terminalProbe: string;
  isTerminal(event: SseEvent): boolean;
}

/** OpenAI chat completions: the stream ends with `data: [DONE]`. */
export const CHAT_COMPLETIONS_SSE: SseProtocol = {
  terminalProbe: '[DONE]',
  isTerminal: (event) => event.data === '[DONE]',
};

/**
 * The one SSE error writer: an OpenAI-shaped error as an event of its own. Every stream that ends
 * in an error (a cut upstream, a failed end-of-stream hook) ends with exactly this.
 *
 * @example sseErrorEvent(new StreamInterruptedError('deepseek').toJSON()) // data: {"error":{...}}\n\n
 */
export function sseErrorEvent(body: OpenAIErrorBody): Uint8Array {
  return encoder.encode(`data: ${JSON.stringify(body)}\n\n`);
}

/** The error body for a hook failure: the family error's own, or a generic one (never internals). */
export function hookFailureBody(error: unknown): OpenAIErrorBody {
  if (SafeRouterError.isInstance(error)) return error.toJSON();
  return {
    error: {
      message: 'The stream could not be completed; it is not acknowledged. Retry the request.',
      type: 'api_error',
      code: 'stream_finalize_failed',
    },
  };
}

/**
 * A CRLF stream whose read ended between the final CR and LF leaves the terminal event ending in a
 * lone CR (a complete line end, so the event is whole). Nothing after the terminal event is read,
 * so the LF would be lost; restore it when the event's other lines end in CRLF, keeping the bytes
 * the upstream sent. For a client it changes nothing: the event was already dispatched at the CR.
 */
export function completeCrLf(event: Uint8Array): Uint8Array {
  const n = event.byteLength;
  if (n < 3 || event[n - 1] !== 13 || event[n - 2] !== 10 || event[n - 3] !== 13) return event;
  const out = new Uint8Array(n + 1);
  out.set(event);
  out[n] = 10;
  return out;
}

/** The event `[s, e)` that contains offset `at`, given the event ends of a window. */
export function eventAround(ends: readonly number[], at: number): [number, number] {
  let s = 0;
  for (const e of ends) {
    if (at < e) return [s, e];
    s = e;
  }
  return [s, s];
}
