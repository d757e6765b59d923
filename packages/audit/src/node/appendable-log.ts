/**
 * What the log writers need from storage: a tlog `TileStorage` plus an append lock that
 * serialises appenders (across replicas, when the storage is shared). `TlogStore` from
 * @saferouter/store has exactly this shape; declaring it here keeps the store out of this
 * package's runtime dependencies.
 */
import type { TileStorage } from '@saferouter/tlog';

export interface AppendableLog extends TileStorage {
  /** The log's name in its store (e.g. `startup`, `audit`). */
  readonly name: string;
  /** Runs `fn` while holding this log's append lock. */
  withAppendLock<T>(fn: () => Promise<T>): Promise<T>;
}

const decoder = new TextDecoder();

/**
 * The origin a log has: the first line of its stored checkpoint, or `fallback` for a log never
 * committed to. The origin is fixed when a log is created; a later change of audience (or of
 * host name, which containers change on every start) must not change the log's identity.
 *
 * @example
 * const origin = await storedOrigin(storage, logOrigin(audience, 'audit'));
 */
export async function storedOrigin(storage: TileStorage, fallback: string): Promise<string> {
  const stored = await storage.readCheckpoint();
  return stored === null ? fallback : (decoder.decode(stored).split('\n', 1)[0] ?? '');
}
