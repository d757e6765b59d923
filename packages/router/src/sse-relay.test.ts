// The event-level relay with fake sources: the held terminal event and its hook, splits at every
// byte, cuts, cancels (also while the hook runs), rewrites, draining, laziness.
import { describe, expect, it } from 'vitest';
import { readText } from '../test/http.js';
import { AbortedError, NetworkError, SafeRouterError, StreamInterruptedError } from './errors.js';
import { relaySse, type ChunkSource } from './sse-relay.js';
import { sseErrorEvent } from './sse-protocol.js';
import type { StreamHooks, StreamSummary } from './spec.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

/** A source that yields `chunks`, then ends or throws `end`. */
function source(chunks: (string | Uint8Array)[], end?: Error): ChunkSource & { destroyed: number; reads: number } {
  let i = 0;
  const s = {
    destroyed: 0,
    reads: 0,
    next: async (): Promise<IteratorResult<Uint8Array, unknown>> => {
      await Promise.resolve();
      s.reads++;
      if (s.destroyed > 0) throw new AbortedError('The upstream body was discarded');
      if (i < chunks.length) {
        const c = chunks[i++]!;
        return { done: false, value: typeof c === 'string' ? enc.encode(c) : c };
      }
      if (end !== undefined) throw end;
      return { done: true, value: undefined };
    },
    destroy: () => {
      s.destroyed++;
    },
  };
  return s;
}

/** A source whose next() waits until the test answers it. */
function heldSource(): ChunkSource & {
  destroyed: number;
  pulls: number;
  answer(r: IteratorResult<Uint8Array, unknown>): void;
  fail(e: Error): void;
} {
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

const mapError = (e: unknown) => new NetworkError('p', e);

/** Every chunk read() gives until `undefined`, decoded. */
async function readAll(relay: { read(): Promise<Uint8Array | undefined> }): Promise<string[]> {
  const out: string[] = [];
  for (let c = await relay.read(); c !== undefined; c = await relay.read()) out.push(dec.decode(c));
  return out;
}

const interrupted = dec.decode(sseErrorEvent(new StreamInterruptedError('p').toJSON()));

function deferred(): { promise: Promise<void>; resolve(): void; reject(e: Error): void } {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const body = [
  'data: {"choices":[{"delta":{"content":"Grüße 🌸"},"finish_reason":null}]}',
  'data: {"choices":[{"delta":{},"finish_reason":"stop"}]}',
  'data: {"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":5,"total_tokens":8}}',
];

describe('relaySse: the terminal event is held for beforeEnd', () => {
  for (const [name, eol, space] of [
    ['LF', '\n', ' '],
    ['CRLF', '\r\n', ' '],
    ['CR', '\r', ' '],
    ['LF, no space after data:', '\n', ''],
    ['CRLF, no space after data:', '\r\n', ''],
  ] as const) {
    it(`split at every byte of the stream (${name}): nothing of [DONE] is handed on before the hook finished`, async () => {
      const text = [...body, 'data: [DONE]'].map((e) => `${e.replace('data: ', `data:${space}`)}${eol}${eol}`).join('');
      const bytes = enc.encode(text);
      const done = text.lastIndexOf(`data:${space}[DONE]`);
      for (let cut = 1; cut < bytes.byteLength; cut++) {
        const gate = deferred();
        const seen: StreamSummary[] = [];
        let handedOnBeforeHook = '';
        let out = '';
        const hooks: StreamHooks = {
          beforeEnd: async (summary) => {
            seen.push(summary);
            handedOnBeforeHook = out;
            await gate.promise;
          },
        };
        const relay = relaySse(source([bytes.subarray(0, cut), bytes.subarray(cut)]), {
          provider: 'p',
          mapError,
          hooks,
        });
        const reading = (async () => {
          for (let c = await relay.read(); c !== undefined; c = await relay.read()) out += dec.decode(c);
        })();
        await new Promise((r) => setTimeout(r, 0));
        // The hook is running (or about to): no byte of the [DONE] event went out yet.
        expect(out.includes('[DONE]'), `cut ${cut}`).toBe(false);
        gate.resolve();
        await reading;
        expect(out, `cut ${cut}`).toBe(text);
        expect(handedOnBeforeHook, `cut ${cut}`).toBe(text.slice(0, done));
        expect(seen).toHaveLength(1);
        expect(seen[0]).toMatchObject({
          completed: true,
          finishReason: 'stop',
          usage: { prompt_tokens: 3, completion_tokens: 5 },
        });
        expect(await relay.summary).toMatchObject({ completed: true, error: undefined, bytes: bytes.byteLength });
      }
    });
  }

  it('a failing hook ends the stream with the error event instead of [DONE]', async () => {
    const failure = new SafeRouterError({
      message: 'not recorded',
      statusCode: 503,
      type: 'api_error',
      code: 'billing_failed',
    });
    const relay = relaySse(source(['data: {}\n\ndata: [DO', 'NE]\n\n']), {
      provider: 'p',
      mapError,
      hooks: { beforeEnd: () => Promise.reject(failure) },
    });
    const chunks = await readAll(relay);
    expect(chunks).toEqual(['data: {}\n\n', dec.decode(sseErrorEvent(failure.toJSON()))]);
    const s = await relay.summary;
    expect(s.completed).toBe(false);
    expect(s.error).toBe(failure);
  });

  it('a hook failing with a plain error gets a generic error event that leaks nothing', async () => {
    const relay = relaySse(source(['data: [DONE]\n\n']), {
      provider: 'p',
      mapError,
      hooks: { beforeEnd: () => Promise.reject(new Error('SQLITE_BUSY: secret path /var/x')) },
    });
    const text = (await readAll(relay)).join('');
    expect(text).toContain('"code":"stream_finalize_failed"');
    expect(text).not.toContain('SQLITE');
    expect(text).not.toContain('[DONE]');
  });

  it('sends what the hook returns just before [DONE]', async () => {
    const relay = relaySse(source(['data: {}\n\ndata: [DONE]\n\n']), {
      provider: 'p',
      mapError,
      hooks: { beforeEnd: () => Promise.resolve(enc.encode(': receipt abc\n\n')) },
    });
    expect((await readAll(relay)).join('')).toBe('data: {}\n\n: receipt abc\n\ndata: [DONE]\n\n');
  });

  it('a cancel while the hook runs lets the hook finish, withholds [DONE], and reports completed', async () => {
    const gate = deferred();
    let hookDone = false;
    const src = source(['data: {}\n\n', 'data: [DONE]\n\n']);
    const relay = relaySse(src, {
      provider: 'p',
      mapError,
      hooks: {
        beforeEnd: async () => {
          await gate.promise;
          hookDone = true;
        },
      },
    });
    expect(dec.decode(await relay.read())).toBe('data: {}\n\n');
    const last = relay.read();
    await new Promise((r) => setTimeout(r, 0));
    relay.cancel('client left');
    gate.resolve();
    expect(await last).toBeUndefined();
    expect(hookDone).toBe(true);
    expect(await relay.summary).toMatchObject({ completed: true, error: undefined, bytes: 10 });
  });

  it('without hooks, [DONE] passes at once', async () => {
    const src = source(['data: {"a":1}\n\n', 'data: [DONE]\n\n']);
    const relay = relaySse(src, { provider: 'p', mapError });
    expect(await readAll(relay)).toEqual(['data: {"a":1}\n\n', 'data: [DONE]\n\n']);
    expect(await relay.read()).toBeUndefined();
    expect(await relay.summary).toEqual({
      usage: undefined,
      finishReason: undefined,
      bytes: 29,
      completed: true,
      error: undefined,
    });
  });

  it('recognises [DONE] only as the whole data of an event, not inside text', async () => {
    const events = [
      'data: {"content":"[DONE]"}\n\n',
      ': [DONE]\n\n',
      'data:  [DONE]\n\n',
      'event: x\ndata: [DONE]\n\n',
    ];
    const relay = relaySse(source(events), { provider: 'p', mapError, hooks: { beforeEnd: () => Promise.resolve() } });
    expect((await readAll(relay)).join('')).toBe(events.join(''));
    expect((await relay.summary).completed).toBe(true);
  });
});

describe('relaySse: after [DONE], and streams that never reach it', () => {
  it('drops bytes after [DONE], a second [DONE] included, and still completes', async () => {
    for (const after of ['data: {"late":1}\n\n', 'data: [DONE]\n\n', 'garbage without an end']) {
      const src = source([`data: {}\n\ndata: [DONE]\n\n${after}`, after]);
      const relay = relaySse(src, { provider: 'p', mapError });
      expect((await readAll(relay)).join('')).toBe('data: {}\n\ndata: [DONE]\n\n');
      expect((await relay.summary).completed).toBe(true);
    }
  });

  it('drains the upstream body after [DONE] (keep-alive), and drops one that keeps sending', async () => {
    const quiet = source(['data: [DONE]\n\n', ': tail\n\n']);
    await readAll(relaySse(quiet, { provider: 'p', mapError }));
    await new Promise((r) => setTimeout(r, 10));
    expect(quiet.reads).toBe(3); // [DONE], the tail, the end
    expect(quiet.destroyed).toBe(0);

    const chatty = source(['data: [DONE]\n\n', ...Array.from({ length: 100 }, () => new Uint8Array(16 * 1024))]);
    await readAll(relaySse(chatty, { provider: 'p', mapError }));
    await new Promise((r) => setTimeout(r, 10));
    expect(chatty.destroyed).toBe(1);
  });

  it('ignores a source error after [DONE]', async () => {
    const relay = relaySse(source(['data: {"a":1}\n\n', 'data: [DONE]\n\n'], new Error('reset')), {
      provider: 'p',
      mapError,
    });
    const chunks = await readAll(relay);
    expect(chunks.join('')).not.toContain('"error"');
    expect(await relay.summary).toMatchObject({ completed: true, error: undefined, bytes: 29 });
  });

  it('a clean end without [DONE] gets one interruption event', async () => {
    const relay = relaySse(source(['data: {}\n\n']), {
      provider: 'p',
      mapError,
      hooks: { beforeEnd: () => Promise.reject(new Error('never')) },
    });
    expect(await readAll(relay)).toEqual(['data: {}\n\n', interrupted]);
    const s = await relay.summary;
    expect(s.completed).toBe(false);
    expect(s.error).toBeInstanceOf(StreamInterruptedError);
  });

  it('a cut inside an event hands on no fragment: just the error event, as an event of its own', async () => {
    for (const tail of ['data: {"x', 'data: {}\n', 'data: [DONE]', 'data: [DONE]\n', 'data: [DO']) {
      const relay = relaySse(source([`data: {}\n\n${tail}`]), { provider: 'p', mapError });
      expect(await readAll(relay), tail).toEqual(['data: {}\n\n', interrupted]);
      expect((await relay.summary).completed).toBe(false);
    }
  });

  it('turns a source error into exactly one mapped error event, then undefined', async () => {
    const src = source(['data: {"a":1}\n\n'], new Error('reset'));
    const relay = relaySse(src, { provider: 'p', mapError });
    const chunks = await readAll(relay);
    expect(chunks).toHaveLength(2);
    const event = JSON.parse(chunks[1]!.slice('data: '.length)) as { error: unknown };
    expect(event.error).toEqual({
      message: 'Could not reach provider p',
      type: 'upstream_error',
      code: 'stream_interrupted',
    });
    expect(await relay.read()).toBeUndefined();
    const s = await relay.summary;
    expect(s.error).toBeInstanceOf(NetworkError);
    expect(s.bytes).toBe(enc.encode(chunks.join('')).byteLength);
    expect(src.destroyed).toBe(1);
  });

  it('cuts a stream whose event never ends past the size limit', async () => {
    const relay = relaySse(source([`data: ${'x'.repeat(200)}`]), { provider: 'p', mapError, maxEventBytes: 100 });
    expect(await readAll(relay)).toEqual([interrupted]);
  });
});

describe('relaySse: beforeEnd on a cut', () => {
  it('runs before the error event, with the cut in the summary, and sends its bytes first', async () => {
    const seen: StreamSummary[] = [];
    const relay = relaySse(source(['data: {}\n\ndata: {"x'], new Error('reset')), {
      provider: 'p',
      mapError,
      hooks: {
        beforeEnd: (summary) => {
          seen.push(summary);
          return Promise.resolve(enc.encode(': receipt r\n\n'));
        },
      },
    });
    const chunks = await readAll(relay);
    expect(chunks[0]).toBe('data: {}\n\n');
    expect(chunks[1]).toMatch(/^: receipt r\n\ndata: \{"error":\{.*"code":"stream_interrupted"\}\}\n\n$/);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ completed: false, bytes: 10 });
    expect(seen[0]?.error).toBeInstanceOf(NetworkError);
    expect(await relay.summary).toMatchObject({ completed: false });
  });

  it('a hook failing on a cut still leaves exactly the error event', async () => {
    const relay = relaySse(source(['data: {}\n\n']), {
      provider: 'p',
      mapError,
      hooks: { beforeEnd: () => Promise.reject(new Error('no')) },
    });
    expect(await readAll(relay)).toEqual(['data: {}\n\n', interrupted]);
  });

  it('is not run for a consumer that cancelled', async () => {
    let ran = 0;
    const src = heldSource();
    const relay = relaySse(src, {
      provider: 'p',
      first: enc.encode('data: {}\n\n'),
      mapError,
      hooks: {
        beforeEnd: () => {
          ran++;
          return Promise.resolve();
        },
      },
    });
    await relay.read();
    const pending = relay.read();
    relay.cancel();
    src.fail(new Error('aborted'));
    expect(await pending).toBeUndefined();
    expect(ran).toBe(0);
  });
});

describe('relaySse: reading what billing needs, and rewriting events', () => {
  it('reads usage and finish_reason from events split anywhere, parsing only the events that hold them', async () => {
    const text = `${body.map((e) => `${e}\n\n`).join('')}data: [DONE]\n\n`;
    const bytes = enc.encode(text);
    for (let cut = 1; cut < bytes.byteLength; cut += 7) {
      const relay = relaySse(source([bytes.subarray(0, cut), bytes.subarray(cut)]), { provider: 'p', mapError });
      await readAll(relay);
      expect(await relay.summary).toMatchObject({
        usage: { prompt_tokens: 3, completion_tokens: 5, total_tokens: 8 },
        finishReason: 'stop',
      });
    }
  });

  it('reads finish_reason from the bytes: the key exactly, the last one, look-alikes ignored', async () => {
    const events = [
      'data: {"choices":[{"delta":{},"finish_reason" : "length"}],"stop_reason":"end_turn"}\n\n',
      'data: {"choices":[{"delta":{"content":"\\"finish_reason\\":\\"fake\\""},"finish_reason":null}]}\n\n',
      'data: [DONE]\n\n',
    ];
    const relay = relaySse(source(events), { provider: 'p', mapError });
    await readAll(relay);
    expect((await relay.summary).finishReason).toBe('length');
  });

  it('hands on the upstream chunk itself when it holds whole events', async () => {
    const chunk = Buffer.from('data: {}\n\n');
    const relay = relaySse(source([chunk, 'data: [DONE]\n\n']), { provider: 'p', mapError });
    expect(await relay.read()).toBe(chunk);
    await readAll(relay);
  });

  it('rewrites, drops and keeps the events the rewriter is offered', async () => {
    const seen: string[] = [];
    const relay = relaySse(
      source(['data: {"keep":1}\n\ndata: {"drop":1}\n\n', 'data: {"usage":{"prompt_tokens":1}}\n\ndata: [DONE]\n\n']),
      {
        provider: 'p',
        mapError,
        hooks: {
          rewrite: {
            probe: '"',
            event: (event) => {
              seen.push(event.data);
              if (event.data.includes('drop')) return null;
              if (event.data.includes('usage'))
                return enc.encode(`data: ${event.data.replace('}}', ',"cost":0.5}}')}\n\n`);
              return undefined;
            },
          },
        },
      },
    );
    expect((await readAll(relay)).join('')).toBe(
      'data: {"keep":1}\n\ndata: {"usage":{"prompt_tokens":1,"cost":0.5}}\n\ndata: [DONE]\n\n',
    );
    expect(seen).toEqual(['{"keep":1}', '{"drop":1}', '{"usage":{"prompt_tokens":1}}']);
  });

  it('calls onChunk with exactly the bytes handed on', async () => {
    const got: string[] = [];
    const relay = relaySse(source(['data: {}\n\ndata: [D', 'ONE]\n\n']), {
      provider: 'p',
      mapError,
      hooks: { onChunk: (c) => got.push(dec.decode(c)) },
    });
    expect(await readAll(relay)).toEqual(got);
  });
});

describe('relaySse: cancel and laziness', () => {
  it('cancel() during a pending read() resolves it with undefined and destroys the source once', async () => {
    const src = heldSource();
    const relay = relaySse(src, { provider: 'p', first: enc.encode('data: {}\n\n'), mapError });
    await relay.read();
    const pending = relay.read();
    relay.cancel('client left');
    relay.cancel('again');
    src.answer({ done: false, value: enc.encode('data: late\n\n') });
    expect(await pending).toBeUndefined();
    expect(await relay.read()).toBeUndefined();
    expect(src.destroyed).toBe(1);
    const s = await relay.summary;
    expect(s.completed).toBe(false);
    expect(s.error).toBeInstanceOf(AbortedError);
    expect((s.error as AbortedError).cause).toBe('client left');
    expect(s.bytes).toBe(10);
  });

  it('a cancel before the hook started skips it', async () => {
    let ran = false;
    const relay = relaySse(source(['data: {}\n\ndata: [DONE]\n\n']), {
      provider: 'p',
      mapError,
      hooks: {
        beforeEnd: () => {
          ran = true;
          return Promise.resolve();
        },
      },
    });
    expect(dec.decode(await relay.read())).toBe('data: {}\n\n');
    relay.cancel();
    expect(await relay.read()).toBeUndefined();
    expect(ran).toBe(false);
    expect(await relay.summary).toMatchObject({ completed: false });
  });

  it('never enqueues after a cancel that lands while a web-stream read is pending', async () => {
    const src = heldSource();
    const { stream, summary } = relaySse(src, { provider: 'p', first: enc.encode('data: {}\n\n'), mapError });
    const reader = stream.getReader();
    await reader.read();
    const pending = reader.read();
    await new Promise((r) => setTimeout(r, 5));
    await reader.cancel('client left');
    src.answer({ done: false, value: enc.encode('data: late\n\n') });
    await new Promise((r) => setTimeout(r, 5));
    expect((await pending).done).toBe(true);
    expect((await summary).error).toBeInstanceOf(AbortedError);
    expect(src.destroyed).toBe(1);
  });

  it('pulls lazily: nothing is read from the source before the consumer asks', async () => {
    let reads = 0;
    const { stream } = relaySse(
      {
        next: () => {
          reads++;
          return Promise.resolve({ done: false, value: enc.encode('data: {}\n\n') });
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

  it('serves the web stream the same bytes', async () => {
    const { stream } = relaySse(source(['data: {}\n\n', 'data: [DONE]\n\n']), { provider: 'p', mapError });
    expect(await readText(stream)).toBe('data: {}\n\ndata: [DONE]\n\n');
  });
});

describe('relaySse: the usage event withheld for beforeEnd, the terminal dropped, keep-alives', () => {
  const usage = (n: number): string =>
    `data: {"id":"c","choices":[],"usage":{"prompt_tokens":${n},"completion_tokens":2,"total_tokens":${n + 2}}}\n\n`;

  it('withholds the last usage event, split anywhere, and hands it to beforeEnd parsed', async () => {
    const whole = `data: {"choices":[{"delta":{"content":"hi"}}]}\n\n${usage(5)}data: [DONE]\n\n`;
    for (let at = 1; at < whole.length; at++) {
      let seen: StreamSummary | undefined;
      const relay = relaySse(source([whole.slice(0, at), whole.slice(at)]), {
        provider: 'p',
        mapError,
        hooks: {
          holdUsageEvent: true,
          beforeEnd: async (summary) => {
            seen = summary;
            return enc.encode('data: {"rewritten":true}\n\n');
          },
        },
      });
      const out = (await readAll(relay)).join('');
      expect(out).toBe(
        'data: {"choices":[{"delta":{"content":"hi"}}]}\n\ndata: {"rewritten":true}\n\ndata: [DONE]\n\n',
      );
      expect(seen?.usageEvent?.json).toMatchObject({ usage: { prompt_tokens: 5 } });
      expect(dec.decode(seen?.usageEvent?.raw)).toBe(usage(5));
    }
  });

  it('releases a withheld usage event (through the rewriter) when more events follow it, in order', async () => {
    const relay = relaySse(source([usage(1), 'data: {"x":1}\n\n', usage(2), 'data: [DONE]\n\n']), {
      provider: 'p',
      mapError,
      hooks: {
        holdUsageEvent: true,
        rewrite: { probe: 'prompt_tokens', event: (e) => enc.encode(`data: R${e.data.length}\n\n`) },
        beforeEnd: async (summary) => enc.encode(`: held ${(summary.usage?.prompt_tokens ?? 0).toString()}\n\n`),
      },
    });
    const out = (await readAll(relay)).join('');
    expect(out).toBe(`data: R${usage(1).length - 8}\n\ndata: {"x":1}\n\n: held 2\n\ndata: [DONE]\n\n`);
    // A usage event with events after it in the same read is not withheld at all.
    let held: unknown = 'unset';
    const again = relaySse(source([`${usage(1)}data: {"x":1}\n\ndata: [DONE]\n\n`]), {
      provider: 'p',
      mapError,
      hooks: { holdUsageEvent: true, beforeEnd: async (summary) => void (held = summary.usageEvent) },
    });
    expect((await readAll(again)).join('')).toBe(`${usage(1)}data: {"x":1}\n\ndata: [DONE]\n\n`);
    expect(held).toBeUndefined();
  });

  it('without beforeEnd nothing is withheld', async () => {
    const relay = relaySse(source([usage(3), 'data: [DONE]\n\n']), {
      provider: 'p',
      mapError,
      hooks: { holdUsageEvent: true },
    });
    expect((await readAll(relay)).join('')).toBe(`${usage(3)}data: [DONE]\n\n`);
  });

  it('dropTerminal ends the stream with the hook bytes, and still completes', async () => {
    const relay = relaySse(source(['data: {"a":1}\n\ndata: [DONE]\n\n']), {
      provider: 'p',
      mapError,
      hooks: { dropTerminal: true, beforeEnd: async () => enc.encode('event: end\ndata: {}\n\n') },
    });
    expect((await readAll(relay)).join('')).toBe('data: {"a":1}\n\nevent: end\ndata: {}\n\n');
    expect((await relay.summary).completed).toBe(true);
  });

  it('sends a keep-alive comment after each silent gap, then the late chunk itself', async () => {
    const src = heldSource();
    const relay = relaySse(src, { provider: 'p', mapError, hooks: { keepAliveMs: 20 } });
    expect(dec.decode(await relay.read())).toBe(': SAFEROUTER PROCESSING\n\n');
    expect(dec.decode(await relay.read())).toBe(': SAFEROUTER PROCESSING\n\n');
    // The read in flight is the same one: the source was asked once.
    expect(src.pulls).toBe(1);
    const next = relay.read();
    src.answer({ done: false, value: enc.encode('data: {"late":1}\n\n') });
    expect(dec.decode(await next)).toBe('data: {"late":1}\n\n');
    relay.cancel();
  });

  it('onSource sees the upstream bytes before the rewriter drops them', async () => {
    const seen: string[] = [];
    const relay = relaySse(source(['data: {"drop":1}\n\n', 'data: [DONE]\n\n']), {
      provider: 'p',
      mapError,
      hooks: { onSource: (c) => seen.push(dec.decode(c)), rewrite: { probe: 'drop', event: () => null } },
    });
    expect((await readAll(relay)).join('')).toBe('data: [DONE]\n\n');
    expect(seen.join('')).toBe('data: {"drop":1}\n\ndata: [DONE]\n\n');
  });
});
