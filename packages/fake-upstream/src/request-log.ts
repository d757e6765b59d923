/**
 * The bounded request log and the waiters on it. Waiters are re-checked on every change instead of
 * polled, so a test's `waitFor` resolves in the same tick the awaited abort or finish happens.
 */
import type { RecordedRequest } from './types.js';

export const MAX_RECORDED = 10_000;

interface Waiter {
  predicate: (r: RecordedRequest[]) => boolean;
  resolve: () => void;
  reject: (e: unknown) => void;
  timer: NodeJS.Timeout;
}

export class RequestLog {
  /** One array for the log's lifetime, so a reference taken by a test stays live across resets. */
  readonly requests: RecordedRequest[] = [];
  private readonly waiters = new Set<Waiter>();

  add(r: RecordedRequest): void {
    if (this.requests.length >= MAX_RECORDED) this.requests.shift();
    this.requests.push(r);
    this.changed();
  }

  clear(): void {
    this.requests.length = 0;
    this.changed();
  }

  /** Call after mutating a recorded request in place (aborted, finished). */
  changed(): void {
    for (const w of this.waiters) this.check(w);
  }

  waitFor(predicate: (r: RecordedRequest[]) => boolean, timeoutMs = 2000): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(w);
        const seen = this.requests.map(
          (r) => `#${r.id} ${r.model}${r.stream ? ' stream' : ''} aborted=${r.aborted} finished=${r.finished}`,
        );
        reject(new Error(`fake upstream: waitFor timed out after ${timeoutMs} ms; requests: [${seen.join('; ')}]`));
      }, timeoutMs);
      const w: Waiter = { predicate, resolve, reject, timer };
      this.waiters.add(w);
      this.check(w);
    });
  }

  /** Reject every pending waiter, so closing the server never leaves a test hanging. */
  close(): void {
    for (const w of this.waiters) {
      clearTimeout(w.timer);
      w.reject(new Error('fake upstream closed while waiting'));
    }
    this.waiters.clear();
  }

  private check(w: Waiter): void {
    let ok: boolean;
    try {
      ok = w.predicate(this.requests);
    } catch (e) {
      this.settle(w);
      w.reject(e);
      return;
    }
    if (ok) {
      this.settle(w);
      w.resolve();
    }
  }

  private settle(w: Waiter): void {
    clearTimeout(w.timer);
    this.waiters.delete(w);
  }
}
