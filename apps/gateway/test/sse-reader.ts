/**
 * Test-only: the client side of an SSE stream, read event by event as bytes arrive. It follows
 * the event-stream rules that decide when a chat stream is over: an event may be split at any
 * byte, lines end in `\n`, `\r\n` or `\r`, the space after `data:` is optional, and an event
 * exists only once its blank line has arrived. So "the client holds `[DONE]`" means exactly that,
 * whatever an upstream or gateway did to the bytes.
 */

export class SseReader {
  readonly #decoder = new TextDecoder();
  #line = '';
  #data: string[] = [];
  /** The last line ended in `\r`: a `\n` right after it belongs to the same terminator. */
  #afterCr = false;

  /**
   * Feeds the next bytes of the stream.
   * @returns the data of every event these bytes completed, in order (`'[DONE]'` included).
   */
  push(bytes: Uint8Array): string[] {
    const events: string[] = [];
    for (const ch of this.#decoder.decode(bytes, { stream: true })) {
      if (this.#afterCr) {
        this.#afterCr = false;
        if (ch === '\n') continue;
      }
      if (ch === '\r' || ch === '\n') {
        this.#afterCr = ch === '\r';
        this.#endLine(events);
      } else {
        this.#line += ch;
      }
    }
    return events;
  }

  #endLine(events: string[]): void {
    const line = this.#line;
    this.#line = '';
    if (line === '') {
      // A blank line dispatches the event; one without data lines is no event at all.
      if (this.#data.length > 0) events.push(this.#data.join('\n'));
      this.#data = [];
      return;
    }
    if (line.startsWith(':')) return; // comment
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.#data.push(value);
  }
}
