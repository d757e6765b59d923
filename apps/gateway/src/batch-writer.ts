/**
 * Batches activity entries off the request path: entries queue in memory and are written in one
 * transaction every `flushIntervalMs` or whenever `maxBatch` are waiting. Money never waits on
 * this: charges are written to the ledger synchronously at settle time; activity is the log.
 * A failed batch is retried on the next flush (bounded, so a dead database cannot eat memory).
 */
import type { ActivityEntry, ActivityStore } from '@saferouter/store';

export interface ActivityWriter {
  push(entry: ActivityEntry): void;
  /** Writes everything queued now. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export interface ActivityWriterOptions {
  flushIntervalMs?: number;
  maxBatch?: number;
  /** Most entries kept while the database is failing; older ones are dropped past it. */
  maxQueued?: number;
}

export function createActivityWriter(store: ActivityStore, options: ActivityWriterOptions = {}): ActivityWriter {
  const maxBatch = options.maxBatch ?? 500;
  const maxQueued = options.maxQueued ?? 100_000;
  let queue: ActivityEntry[] = [];
  let running: Promise<void> | undefined;

  async function writeAll(): Promise<void> {
    while (queue.length > 0) {
      const batch = queue.slice(0, maxBatch);
      try {
        await store.insertMany(batch);
      } catch (err) {
        console.error(
          `activity: writing ${batch.length} entries failed, will retry:`,
          err instanceof Error ? err.message : err,
        );
        if (queue.length > maxQueued) queue = queue.slice(queue.length - maxQueued);
        return;
      }
      queue = queue.slice(batch.length);
    }
  }

  function flush(): Promise<void> {
    running ??= writeAll().finally(() => {
      running = undefined;
    });
    return running;
  }

  const timer = setInterval(() => void flush(), options.flushIntervalMs ?? 200);
  timer.unref();

  return {
    push(entry) {
      queue.push(entry);
      if (queue.length >= maxBatch) void flush();
    },
    async flush() {
      await flush();
      // A flush that was already running may have missed entries queued meanwhile.
      if (queue.length > 0) await flush();
    },
    async close() {
      clearInterval(timer);
      await this.flush();
    },
  };
}
