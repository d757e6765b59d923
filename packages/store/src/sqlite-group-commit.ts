/**
 * Group commit for SQLite: money operations that arrive in the same event-loop turn run in ONE
 * `BEGIN IMMEDIATE` transaction, each inside its own savepoint, and every caller's promise
 * settles only after that transaction committed.
 *
 * Why: under load every request makes two money writes (hold, settle). As separate transactions
 * each pays its own WAL frames, lock round trips and commit — measured at ~25 pwrite and ~12
 * fcntl calls per request (strace -c), which cut the gateway's throughput by two thirds. Grouped,
 * concurrent requests share those costs. Semantics are unchanged: each operation is still atomic
 * (a failing one rolls back to its savepoint and rejects alone), operations still apply in call
 * order, and nothing is acknowledged before it is durable.
 */
import type { Database } from 'better-sqlite3';

interface Pending {
  op: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * Runs `op` in the next group transaction; resolves with its result after the commit. `op` must
 * do its writes through better-sqlite3 transaction functions (`db.transaction(fn)`), which nest
 * as SAVEPOINTs inside the group: that is what makes a failing operation undo only itself.
 */
export type GroupCommit = <T>(op: () => T) => Promise<T>;

export function createGroupCommit(db: Database): GroupCommit {
  let queue: Pending[] = [];
  let scheduled = false;
  const outcomes: { ok: boolean; value: unknown }[] = [];

  const runBatch = db.transaction((batch: Pending[]) => {
    outcomes.length = 0;
    for (const item of batch) {
      try {
        outcomes.push({ ok: true, value: item.op() });
      } catch (error) {
        outcomes.push({ ok: false, value: error });
      }
    }
  });

  const flush = (): void => {
    const batch = queue;
    queue = [];
    scheduled = false;
    try {
      runBatch.immediate(batch);
    } catch (error) {
      // The group itself failed (busy, disk full): nothing in it was committed.
      for (const item of batch) item.reject(error);
      return;
    }
    batch.forEach((item, i) => {
      const outcome = outcomes[i] as { ok: boolean; value: unknown };
      if (outcome.ok) item.resolve(outcome.value);
      else item.reject(outcome.value);
    });
  };

  return <T>(op: () => T): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      queue.push({ op, resolve: resolve as (value: unknown) => void, reject });
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    });
}
