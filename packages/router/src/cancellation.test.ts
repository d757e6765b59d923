// The cheap cancellation: AbortSignal's semantics for what the router reads.
import { describe, expect, it } from 'vitest';
import { Cancellation, type AbortSignalLike } from './cancellation.js';

describe('Cancellation', () => {
  it('runs each listener once, in order, on the first abort, with the reason kept', () => {
    const c = new Cancellation();
    const seen: string[] = [];
    c.addEventListener('abort', () => seen.push('a'));
    c.addEventListener('abort', () => seen.push('b'));
    expect(c.aborted).toBe(false);
    const reason = new Error('client left');
    c.abort(reason);
    c.abort(new Error('again'));
    expect(seen).toEqual(['a', 'b']);
    expect(c.aborted).toBe(true);
    expect(c.reason).toBe(reason);
  });

  it('forgets removed listeners, ignores ones added after the abort, and has a default reason', () => {
    const c = new Cancellation();
    let calls = 0;
    const listener = (): void => {
      calls++;
    };
    c.addEventListener('abort', listener);
    c.removeEventListener('abort', listener);
    c.abort();
    c.addEventListener('abort', listener);
    expect(calls).toBe(0);
    expect(c.reason).toBeInstanceOf(Error);
  });

  it('a throwing listener does not stop the others', async () => {
    const c = new Cancellation();
    let after = false;
    const thrown = new Promise<unknown>((resolve) => process.once('uncaughtException', resolve));
    c.addEventListener('abort', () => {
      throw new Error('listener bug');
    });
    c.addEventListener('abort', () => {
      after = true;
    });
    c.abort();
    expect(after).toBe(true);
    expect(await thrown).toMatchObject({ message: 'listener bug' });
  });

  it('is what an AbortSignal is, for the router', () => {
    const standard: AbortSignalLike = new AbortController().signal;
    expect(standard.aborted).toBe(false);
  });
});
