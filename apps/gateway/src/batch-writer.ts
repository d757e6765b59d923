/**
 * Batches records off the request path: they queue in memory and are written in one call every
 * `flushIntervalMs` or whenever `maxBatch` are waiting. The activity log and the receipts kept for
 * later lookup go through it. Money never waits on this: charges and audit samples are written
 * synchronously before a response completes; what is batched here is the log and the lookup
 * copies (a client already holds its receipt). A failed batch is retried on the next flush
 * (bounded, so a dead database cannot eat memory).
 */
import type { Logger } from './logger.js';

export interface BatchWriter<T> {
  push(record: T): void;
  /** Writes everything queued now. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export interface BatchWriterOptions {
  /** What the records are, for the log line of a failed write. */
  what: string;
  /** Where a failed write is reported. */
  logger: Pick<Logger, 'error'>;
  flushIntervalMs?: number;
  maxBatch?: number;
  /** Most records kept while the database is failing; older ones are dropped past it. */
  maxQueued?: number;
}

/**
 * @example
 * const activity = createBatchWriter((batch) => store.activity.insertMany(batch), { what: 'activity entries', logger });
 */
export function createBatchWriter<T>(
  write: (batch: readonly T[]) => Promise<void>,
  options: BatchWriterOptions,
): BatchWriter<T> {
  const maxBatch = options.maxBatch ?? 500;
  const maxQueued = options.maxQueued ?? 100_000;
  let queue: T[] = [];
  let running: Promise<void> | undefined;

  async function writeAll(): Promise<void> {
    while (queue.length > 0) {
      const batch = queue.slice(0, maxBatch);
      try {
        await write(batch);
      } catch (err) {
        // The message only: a driver's error object may quote the rows it could not write.
        const error = err instanceof Error ? err.message : String(err);
        options.logger.error({ error, records: batch.length }, `${options.what}: writing failed, will retry`);
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
    push(record) {
      queue.push(record);
      if (queue.length >= maxBatch) void flush();
    },
    async flush() {
      await flush();
      // A flush that was already running may have missed records queued meanwhile.
      if (queue.length > 0) await flush();
    },
    async close() {
      clearInterval(timer);
      await this.flush();
    },
  };
}
