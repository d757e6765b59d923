/**
 * The integrator of the audit log. Requests store their samples durably but unsequenced
 * (`addSample`, index null); this moves them into the log in the order they were added: under
 * the log's append lock it reads the pending samples, appends their entries with a tlog appender
 * and commits, in ONE store transaction (`AuditStore.integrate`), the new tiles and checkpoint
 * together with each sample's index. So a crash between append and commit leaves the samples
 * pending and a later run appends them exactly once, and replicas sharing the store never
 * append one twice (they take turns on the lock; a commit lost to another writer anyway is a
 * `conflict`, after which the pending list is read again).
 */
import type { AuditSample, AuditStore } from '@saferouter/store';
import {
  createAppender,
  type Appender,
  type KeyedSigner,
  type NoteSigner,
  type NoteVerifier,
  type TileStorage,
} from '@saferouter/tlog';
import { createLogReader, type LogReader } from '../log-reader.js';
import type { AppendableLog } from './appendable-log.js';

/** Samples read and appended per batch (the store's `pendingSamples` limit). */
export const INTEGRATE_BATCH = 1000;
const MAX_CONFLICT_RETRIES = 5;

export interface AuditLogOptions {
  /** The audit domain of the store (only these two calls are used). */
  readonly store: Pick<AuditStore, 'pendingSamples' | 'integrate'>;
  /** The audit log's tile storage with its append lock (`store.tlog.log('audit')`). */
  readonly storage: AppendableLog;
  /** The log key (the startup log's key). */
  readonly signer: NoteSigner;
  /** Its verifier, for the reader; default `signer.verifier` when the signer has one. */
  readonly verifier?: NoteVerifier;
  /** `<audience>/saferouter/audit` (see `logOrigin`, and `storedOrigin` for an existing log). */
  readonly origin: string;
  /** How often `start()` integrates, in ms (default 500). */
  readonly intervalMs?: number;
  /** Where a failed background run is reported (default console.error). */
  readonly log?: (message: string, error: unknown) => void;
}

export interface AuditLog {
  readonly origin: string;
  readonly reader: LogReader;
  /** Integrates every pending sample now; returns how many. */
  integrate(): Promise<number>;
  /** Integrates every `intervalMs` on an unref'd timer. */
  start(): void;
  /** Stops the timer and runs a last integrate. */
  close(): Promise<void>;
}

const isConflict = (error: unknown): boolean =>
  typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'conflict';

/**
 * Creates the integrator and, when the log has no checkpoint yet, commits the size-0 one, so
 * `/attestation/audit/head` answers from the start.
 *
 * @example
 * const audit = await createAuditLog({ store: store.audit, storage: store.tlog.log('audit'), signer: key.signer, verifier: key.verifier, origin });
 * audit.start();
 * @throws {TypeError} / {RangeError} naming a malformed option.
 * @throws {TlogError} when the stored log cannot be loaded.
 */
export async function createAuditLog(options: AuditLogOptions): Promise<AuditLog> {
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
  const { store, storage, signer, origin } = options;
  const verifier = options.verifier ?? (signer as Partial<KeyedSigner>).verifier;
  if (verifier === undefined) throw new TypeError('options.verifier is required when the signer has no verifier');
  const intervalMs = options.intervalMs ?? 500;
  if (!Number.isSafeInteger(intervalMs) || intervalMs < 1) throw new RangeError('options.intervalMs must be ≥ 1');
  const log = options.log ?? ((message, error) => console.error(message, error));

  // The batch being committed: the wrapper's commit names its samples' indexes.
  let batch: readonly AuditSample[] = [];
  const wrapped: TileStorage = {
    readCheckpoint: () => storage.readCheckpoint(),
    readTile: (tile) => storage.readTile(tile),
    readEntryBundle: (bundle) => storage.readEntryBundle(bundle),
    commit: (commit) =>
      batch.length === 0
        ? storage.commit(commit)
        : store.integrate(
            storage.name,
            commit,
            batch.map((s, i) => ({ requestId: s.requestId, index: commit.previousSize + i })),
          ),
  };

  const appender: Appender = await storage.withAppendLock(async () => {
    const a = await createAppender({ storage: wrapped, signer, origin });
    try {
      await a.append([]); // the size-0 checkpoint; a no-op once the log has one
    } catch (error) {
      // A writer without the lock created the log first: follow it.
      if (!isConflict(error)) throw error;
      await a.reload();
    }
    return a;
  });

  /** Brings the appender to storage's state when another writer moved the log. */
  const follow = async (): Promise<void> => {
    const stored = await storage.readCheckpoint();
    const current = stored === null ? null : new TextDecoder().decode(stored);
    if (current !== appender.checkpoint) await appender.reload();
  };

  const appendBatch = async (samples: AuditSample[]): Promise<void> => {
    batch = samples;
    try {
      await appender.append(samples.map((s) => s.entry));
    } finally {
      batch = [];
    }
  };

  const integrateLocked = async (): Promise<number> => {
    let total = 0;
    let conflicts = 0;
    for (;;) {
      await follow();
      const samples = await store.pendingSamples(INTEGRATE_BATCH);
      if (samples.length === 0) return total;
      try {
        await appendBatch(samples);
      } catch (error) {
        // Another writer committed first (the log or a sample moved on): reread and retry.
        if (!isConflict(error) || ++conflicts > MAX_CONFLICT_RETRIES) throw error;
        continue;
      }
      total += samples.length;
      if (samples.length < INTEGRATE_BATCH) return total;
    }
  };

  let running: Promise<number> | undefined;
  /** One run at a time per integrator; a call during a run waits for it, then runs again. */
  const integrate = async (): Promise<number> => {
    while (running !== undefined) await running.catch(() => undefined);
    running = storage.withAppendLock(integrateLocked);
    try {
      return await running;
    } finally {
      running = undefined;
    }
  };

  let timer: ReturnType<typeof setInterval> | undefined;
  let closed = false;
  return {
    origin,
    reader: createLogReader(storage, verifier),
    integrate,
    start() {
      if (timer !== undefined || closed) return;
      timer = setInterval(() => {
        if (running !== undefined) return; // the previous run is still going
        integrate().catch((error: unknown) => log('audit log: integrating samples failed:', error));
      }, intervalMs);
      timer.unref();
    },
    async close() {
      closed = true;
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
      await integrate();
    },
  };
}
