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

/** A source whose next() waits until the test answers it. */
function heldSource(): ChunkSource & { destroyed: number; pulls: number; answer(r: IteratorResult<Uint8Array, unknown>): void; fail(e: Error): void } {
  let waiting: { resolve: (r: IteratorResult<Uint8Array, unknown>) => void; reject: (e: Error) => void } | undefined;
  const s = {
    destroyed: 0,
    pulls: 0,
    next: () => {
      s.pulls++;
      return new Promise<IteratorResult<Uint8Array, unknown>>((resolve, reject) => {
        waiting = { resolve, reject };
      });
    },
    destroy: () => {
      s.destroyed++;
    },
    answer: (r: IteratorResult<Uint8Array, unknown>) => waiting?.resolve(r),
    fail: (e: Error) => waiting?.reject(e),
  };
  return s;
}

/** Every chunk read() gives until `undefined`, decoded. */
async function readAll(relay: { read(): Promise<Uint8Array | undefined> }): Promise<string[]> {
  const out: string[] = [];
  for (let c = await relay.read(); c !== undefined; c = await relay.read()) out.push(dec.decode(c));
  return out;
}

describe('relaySse read()/cancel()', () => {
  it('reads every chunk unchanged, then undefined for good', async () => {
    const src = source(['data: {"a":1}\n\n', 'data: [DONE]\n\n']);
    const relay = relaySse(src, { provider: 'p', mapError });
    expect(await readAll(relay)).toEqual(['data: {"a":1}\n\n', 'data: [DONE]\n\n']);
    expect(await relay.read()).toBeUndefined();
    expect(await relay.summary).toEqual({ usage: undefined, finishReason: undefined, bytes: 29, completed: true, error: undefined });
    expect(src.destroyed).toBe(0);
  });

  it('delivers the pending first chunk first, without pulling the source for it', async () => {
    const src = heldSource();
    const relay = relaySse(src, { provider: 'p', first: enc.encode(': first\n\n'), mapError });
    expect(dec.decode(await relay.read())).toBe(': first\n\n');
    expect(src.pulls).toBe(0);
    const second = relay.read();
    expect(src.pulls).toBe(1);
    src.answer({ done: false, value: enc.encode('data: [DONE]\n\n') });
    expect(dec.decode(await second)).toBe('data: [DONE]\n\n');
    const end = relay.read();
    src.answer({ done: true, value: undefined });
    expect(await end).toBeUndefined();
    expect((await relay.summary).bytes).toBe(23);
  });

  it('turns a source error before [DONE] into exactly one error event, then undefined', async () => {
    const src = source(['data: {"a":1}\n\n'], new Error('reset'));
    const relay = relaySse(src, { provider: 'p', mapError });
    const chunks = await readAll(relay);
    expect(chunks).toHaveLength(2);
    expect(chunks[0]).toBe('data: {"a":1}\n\n');
    expect(chunks[1]).toBe(dec.decode(interruptionEvent(new NetworkError('p'), enc.encode('\n\n'))));
    const event = JSON.parse(chunks[1]!.slice('data: '.length)) as { error: { code: string; type: string; message: string } };
    expect(event.error).toEqual({ message: 'Could not reach provider p', type: 'upstream_error', code: 'stream_interrupted' });
    expect(await relay.read()).toBeUndefined();
    const s = await relay.summary;
    expect(s.completed).toBe(false);
    expect(s.error).toBeInstanceOf(NetworkError);
    expect(s.bytes).toBe(enc.encode(chunks.join('')).byteLength);
    expect(src.destroyed).toBe(1);
  });

  it('ends a source that stops without [DONE] with the interruption event', async () => {
    const relay = relaySse(source(['data: {"x']), { provider: 'p', mapError });
    const chunks = await readAll(relay);
    expect(chunks).toHaveLength(2);
    // The cut fell inside an event: blank lines close the fragment before the error event.
    expect(chunks[1]).toBe(dec.decode(interruptionEvent(new StreamInterruptedError('p'), enc.encode('data: {"x'))));
    expect(chunks[1]!.startsWith('\n\ndata: {"error":')).toBe(true);
    expect(chunks[1]).toContain('"code":"stream_interrupted"');
    const s = await relay.summary;
    expect(s.completed).toBe(false);
    expect(s.error).toBeInstanceOf(StreamInterruptedError);
  });

  it('cancel() during a pending read() resolves it with undefined and destroys the source once', async () => {
    const src = heldSource();
    const relay = relaySse(src, { provider: 'p', first: enc.encode('data: {}\n\n'), mapError });
    await relay.read();
    const pending = relay.read();
    relay.cancel('client left');
    relay.cancel('again');
    // The source answers after the cancel: the chunk must not come out.
    src.answer({ done: false, value: enc.encode('late') });
    expect(await pending).toBeUndefined();
    expect(await relay.read()).toBeUndefined();
    expect(src.destroyed).toBe(1);
    const s = await relay.summary;
    expect(s.completed).toBe(false);
    expect(s.error).toBeInstanceOf(AbortedError);
    expect((s.error as AbortedError).cause).toBe('client left');
    expect(s.bytes).toBe(10);
  });

  it('a source that rejects after cancel() (as an aborted body does) still gives undefined', async () => {
    const src = heldSource();
    const relay = relaySse(src, { provider: 'p', mapError });
    const pending = relay.read();
    relay.cancel();
    src.fail(new AbortedError('The upstream body was discarded'));
    expect(await pending).toBeUndefined();
    expect(src.destroyed).toBe(1);
    expect((await relay.summary).error).toBeInstanceOf(AbortedError);
  });

  it('cancel() after the end is a no-op', async () => {
    const src = source(['data: [DONE]\n\n']);
    const relay = relaySse(src, { provider: 'p', mapError });
    await readAll(relay);
    relay.cancel();
    relay.cancel();
    expect(src.destroyed).toBe(0);
    expect(await relay.summary).toMatchObject({ completed: true, error: undefined });
  });

  it('ignores a late source error after [DONE]: no error event, completed', async () => {
    const src = source(['data: {"a":1}\n\n', 'data: [DONE]\n\n'], new Error('reset'));
    const relay = relaySse(src, { provider: 'p', mapError });
    const chunks = await readAll(relay);
    expect(chunks).toEqual(['data: {"a":1}\n\n', 'data: [DONE]\n\n']);
    expect(chunks.join('')).not.toContain('"error"');
    const s = await relay.summary;
    expect(s.completed).toBe(true);
    expect(s.error).toBeUndefined();
    expect(s.bytes).toBe(29);
  });
});
