/**
 * EHBP body framing, both directions: a sequence of `LEN (4 bytes, big-endian) ‖ CIPHERTEXT`;
 * a zero length is an empty write and is skipped; the body's end is the message's end.
 */

/** One frame around `ciphertext`. */
export function frame(ciphertext: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + ciphertext.length);
  new DataView(out.buffer).setUint32(0, ciphertext.length);
  out.set(ciphertext, 4);
  return out;
}

/** Splits a framed byte stream into ciphertexts as bytes arrive. */
export class FrameReader {
  #buffer = new Uint8Array(0);
  readonly #maxFrame: number;

  /** @param maxFrame the largest ciphertext accepted (a longer declared length is an error). */
  constructor(maxFrame: number) {
    this.#maxFrame = maxFrame;
  }

  /**
   * Adds bytes; returns every complete non-empty ciphertext now available, in order.
   *
   * @throws {Error} when a frame declares more than `maxFrame` bytes.
   */
  push(bytes: Uint8Array): Uint8Array[] {
    const joined = new Uint8Array(this.#buffer.length + bytes.length);
    joined.set(this.#buffer);
    joined.set(bytes, this.#buffer.length);
    const out: Uint8Array[] = [];
    let offset = 0;
    while (joined.length - offset >= 4) {
      const length = new DataView(joined.buffer, offset, 4).getUint32(0);
      if (length > this.#maxFrame)
        throw new Error(`a frame declares ${length} bytes, more than the ${this.#maxFrame} accepted`);
      if (joined.length - offset - 4 < length) break;
      if (length > 0) out.push(joined.slice(offset + 4, offset + 4 + length));
      offset += 4 + length;
    }
    this.#buffer = joined.slice(offset);
    return out;
  }

  /** True when the bytes so far end exactly on a frame boundary. */
  get complete(): boolean {
    return this.#buffer.length === 0;
  }
}
