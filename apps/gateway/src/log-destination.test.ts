// The batched log destination: order, one write per turn, short writes, a full pipe, a broken
// output, and a real file descriptor.
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { batchedDestination } from './log-destination.js';

const decoder = new TextDecoder();

function recorder(behaviour: (call: number, data: Uint8Array) => number | Error = (_c, d) => d.length, flushMs = 0) {
  const calls: string[] = [];
  const written: string[] = [];
  const errors: Error[] = [];
  const out = batchedDestination({
    fd: 99,
    flushMs,
    onError: (e) => errors.push(e),
    writeSync: (_fd, data) => {
      const result = behaviour(calls.length, data);
      calls.push(decoder.decode(data));
      if (result instanceof Error) throw result;
      written.push(decoder.decode(data.subarray(0, result)));
      return result;
    },
  });
  return { out, calls, errors, text: () => written.join('') };
}

const errno = (code: string): Error => Object.assign(new Error(`${code}: test`), { code });
const ends: (() => void)[] = [];
afterEach(() => {
  for (const end of ends.splice(0)) end();
});

describe('batchedDestination', () => {
  it('writes the lines of one turn with one write, at the next turn, in order', async () => {
    const { out, calls, text } = recorder();
    ends.push(() => out.end());
    for (let i = 0; i < 50; i++) out.write(`line ${i}\n`);
    expect(calls).toHaveLength(0);
    await nextTurn();
    expect(calls).toHaveLength(1);
    out.write('later\n');
    await nextTurn();
    expect(calls).toHaveLength(2);
    expect(text()).toBe(`${Array.from({ length: 50 }, (_, i) => `line ${i}\n`).join('')}later\n`);
  });

  it('by default, holds lines for flushMs and writes them with one write; 64 KiB pending goes at the next turn', async () => {
    const { out, calls, text } = recorder(undefined, 40);
    ends.push(() => out.end());
    out.write('a\n');
    await nextTurn();
    out.write('b\n');
    await nextTurn();
    expect(calls).toHaveLength(0);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(calls).toEqual(['a\nb\n']);
    const big = `${'x'.repeat(64 * 1024)}\n`;
    out.write(big);
    await nextTurn();
    expect(calls).toHaveLength(2);
    expect(text()).toBe(`a\nb\n${big}`);
  });

  it('keeps the rest of a short write in front of later lines', async () => {
    const { out, text } = recorder((call, data) => (call === 0 ? 3 : data.length));
    ends.push(() => out.end());
    out.write('abcdef\n');
    await nextTurn();
    expect(text()).toBe('abcdef\n');
    out.write('ghi\n');
    await nextTurn();
    expect(text()).toBe('abcdef\nghi\n');
  });

  it('retries a full pipe (EAGAIN) later, still in order, and flush(cb) waits for it', async () => {
    let full = 3;
    const { out, text, errors } = recorder((_c, data) => (full-- > 0 ? errno('EAGAIN') : data.length));
    ends.push(() => out.end());
    out.write('one\n');
    await nextTurn();
    out.write('two\n');
    expect(text()).toBe('');
    await new Promise<void>((resolve, reject) => out.flush((e) => (e === undefined ? resolve() : reject(e))));
    expect(text()).toBe('one\ntwo\n');
    expect(errors).toEqual([]);
  });

  it('stops on a broken output (EPIPE): one notice, later lines dropped, nothing thrown', async () => {
    const { out, calls, errors } = recorder(() => errno('EPIPE'));
    ends.push(() => out.end());
    out.write('one\n');
    await nextTurn();
    out.write('two\n');
    await nextTurn();
    expect(errors.map((e) => e.message)).toEqual(['EPIPE: test']);
    expect(calls).toHaveLength(1);
  });

  it('flushSync writes what is pending at once; end() removes the exit listener', () => {
    const before = process.listenerCount('exit');
    const { out, text } = recorder();
    expect(process.listenerCount('exit')).toBe(before + 1);
    out.write('last words\n');
    out.flushSync();
    expect(text()).toBe('last words\n');
    out.end();
    expect(process.listenerCount('exit')).toBe(before);
  });

  it('writes to a real file descriptor', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sr-logdest-'));
    const path = join(dir, 'out.log');
    const fd = openSync(path, 'w');
    try {
      const out = batchedDestination({ fd, flushMs: 0 });
      out.write('{"a":1}\n');
      out.write('{"é":"✓"}\n');
      await nextTurn();
      out.end();
      expect(readFileSync(path, 'utf8')).toBe('{"a":1}\n{"é":"✓"}\n');
    } finally {
      closeSync(fd);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
