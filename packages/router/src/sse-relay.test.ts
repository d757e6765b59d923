// The pull-based relay with fake sources: clean ends, interruptions, cancel races, laziness.
import { describe, expect, it } from 'vitest';
import { readText } from '../test/http.js';
import { AbortedError, NetworkError, StreamInterruptedError } from './errors.js';
import { interruptionEvent, relaySse, type ChunkSource } from './sse-relay.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

/** A source that yields `chunks`, then ends or throws `end`. */
function source(chunks: string[], end?: Error): ChunkSource & { destroyed: number } {
  let i = 0;
  const s = {
    destroyed: 0,
    next: async (): Promise<IteratorResult<Uint8Array, unknown>> => {
      await Promise.resolve();
      if (i < chunks.length) return { done: false, value: enc.encode(chunks[i++]) };
      if (end !== undefined) throw end;
      return { done: true, value: undefined };
    },
    destroy: () => {
      s.destroyed++;
    },
  };
  return s;
}

const mapError = (e: unknown) => new NetworkError('p', e);

describe('relaySse', () => {
  it('relays the first chunk and the rest unchanged, then closes cleanly after [DONE]', async () => {
    const src = source(['data: {"a":1}\n\n', 'data: [DONE]\n\n']);
    const { stream, summary } = relaySse(src, { provider: 'p', first: enc.encode(': hi\n\n'), mapError });
    expect(await readText(stream)).toBe(': hi\n\ndata: {"a":1}\n\ndata: [DONE]\n\n');
    expect(await summary).toEqual({ usage: undefined, finishReason: undefined, bytes: 35, completed: true, error: undefined });
    expect(src.destroyed).toBe(0);
  });

  it('ignores a socket error after [DONE]: the client already has the whole answer', async () => {
    const { stream, summary } = relaySse(source(['data: [DONE]\n\n'], new Error('reset')), { provider: 'p', mapError });
    expect(await readText(stream)).toBe('data: [DONE]\n\n');
    expect((await summary).completed).toBe(true);
  });

  it('turns a failure into one error event and a summary error', async () => {
    const src = source(['data: {"a":1}\n\n'], new Error('reset'));
    const { stream, summary } = relaySse(src, { provider: 'p', mapError });
    const text = await readText(stream);
    expect(text).toBe(`data: {"a":1}\n\n${dec.decode(interruptionEvent(new NetworkError('p'), enc.encode('\n\n')))}`);
    const s = await summary;
    expect(s.completed).toBe(false);
    expect(s.error).toBeInstanceOf(NetworkError);
    expect(s.bytes).toBe(enc.encode(text).byteLength);
    expect(src.destroyed).toBe(1);
  });

  it('reports a clean end without [DONE] as StreamInterruptedError', async () => {
    const { stream, summary } = relaySse(source(['data: {}\n\n']), { provider: 'p', mapError });
    expect(await readText(stream)).toContain('"code":"stream_interrupted"');
    expect((await summary).error).toBeInstanceOf(StreamInterruptedError);
  });

  it.each([
    ['data: {"x', '\n\n'],
    ['data: {}\n', '\n'],
    ['data: {}\n\n', ''],
    ['data: {}\r\n\r\n', ''],
    ['data: {}\r\n', '\n'],
  ])('separates the error event after %j with %j', (last, separator) => {
    const event = dec.decode(interruptionEvent(new Error('m'), enc.encode(last)));
    expect(event).toBe(`${separator}data: {"error":{"message":"m","type":"upstream_error","code":"stream_interrupted"}}\n\n`);
  });

  it('never enqueues after a cancel that lands while a read is pending', async () => {
    let release!: (r: IteratorResult<Uint8Array, unknown>) => void;
    let destroyed = 0;
    const { stream, summary } = relaySse(
      {
        next: () =>
          new Promise((resolve) => {
            release = resolve;
          }),
        destroy: () => {
          destroyed++;
        },
      },
      { provider: 'p', first: enc.encode('data: {}\n\n'), mapError },
    );
    const reader = stream.getReader();
    await reader.read();
    const pending = reader.read();
    await new Promise((r) => setTimeout(r, 5));
    await reader.cancel('client left');
    // The source answers after the cancel; this must neither throw nor reach the consumer.
    release({ done: false, value: enc.encode('late') });
    await new Promise((r) => setTimeout(r, 5));
    expect((await pending).done).toBe(true);
    const s = await summary;
    expect(s.error).toBeInstanceOf(AbortedError);
    expect(s.completed).toBe(false);
    expect(s.bytes).toBe(10);
    expect(destroyed).toBe(1);
  });

  it('pulls lazily: nothing is read from the source before the consumer asks', async () => {
    let reads = 0;
    const { stream } = relaySse(
      {
        next: () => {
          reads++;
          return Promise.resolve({ done: false, value: enc.encode('x') });
        },
        destroy: () => undefined,
      },
      { provider: 'p', mapError },
    );
    await new Promise((r) => setTimeout(r, 5));
    expect(reads).toBe(0);
    const reader = stream.getReader();
    await reader.read();
    await new Promise((r) => setTimeout(r, 5));
    expect(reads).toBe(1);
    await reader.cancel();
  });
});
