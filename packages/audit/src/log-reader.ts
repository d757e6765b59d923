/**
 * Reads a stored tiled log (the startup log, the audit log) for an HTTP API or a tool: the
 * latest checkpoint (its signature checked with the log's key, so a corrupted store is reported
 * rather than served), pages of entries, and inclusion and consistency proofs computed from the
 * stored tiles in O(log n) reads. Pure @saferouter/tlog, so browser-safe.
 */
import {
  createTileHashReader,
  decodeEntryBundle,
  generateConsistencyProof,
  generateInclusionProof,
  leafHash,
  openCheckpoint,
  TILE_WIDTH,
  TileCache,
  TlogError,
  type NoteVerifier,
  type OpenedCheckpoint,
  type TileStorage,
} from '@saferouter/tlog';

export interface LatestCheckpoint {
  note: string;
  opened: OpenedCheckpoint;
  size: number;
}

export interface LogEntry {
  index: number;
  entry: Uint8Array;
  leafHash: Uint8Array;
}

export interface LogReader {
  readonly storage: TileStorage;
  /** null while the log has no checkpoint. */
  latest(): Promise<LatestCheckpoint | null>;
  /** Entries [from, from + count) of a tree of `size`, each with its leaf hash. */
  entries(from: number, count: number, size: number): Promise<LogEntry[]>;
  inclusionProof(index: number, size: number): Promise<Uint8Array[]>;
  consistencyProof(from: number, to: number): Promise<Uint8Array[]>;
}

const decoder = new TextDecoder();

/**
 * @example
 * const reader = createLogReader(store.tlog.log('audit'), logKey.verifier);
 * const head = await reader.latest();
 * @throws (from `latest`) {TlogError} when the stored checkpoint is not signed by `verifier`.
 * @throws (from `entries`) {TlogError} `missing` when a bundle the size implies is not stored.
 */
export function createLogReader(storage: TileStorage, verifier: NoteVerifier): LogReader {
  const cache = new TileCache();
  let last: { note: string; value: LatestCheckpoint } | undefined;
  const reader = (size: number) => createTileHashReader({ readTile: (t) => storage.readTile(t), size, cache });

  return {
    storage,
    async latest() {
      const bytes = await storage.readCheckpoint();
      if (bytes === null) return null;
      const note = decoder.decode(bytes);
      if (last?.note !== note) {
        const opened = await openCheckpoint(note, { verifier });
        last = { note, value: { note, opened, size: opened.checkpoint.size } };
      }
      return last.value;
    },
    async entries(from, count, size) {
      const out: LogEntry[] = [];
      const end = Math.min(size, from + count);
      for (let index = from; index < end;) {
        const bundleIndex = Math.floor(index / TILE_WIDTH);
        const width = Math.min(TILE_WIDTH, size - bundleIndex * TILE_WIDTH);
        const data = await storage.readEntryBundle({ index: bundleIndex, width });
        if (data === null)
          throw new TlogError('missing', `entry bundle ${bundleIndex} (width ${width}) is missing from storage`);
        const bundle = decodeEntryBundle(data, width);
        for (; index < end && index < (bundleIndex + 1) * TILE_WIDTH; index++) {
          const entry = bundle[index - bundleIndex * TILE_WIDTH] as Uint8Array;
          out.push({ index, entry, leafHash: leafHash(entry) });
        }
      }
      return out;
    },
    inclusionProof: (index, size) => generateInclusionProof(index, size, reader(size)),
    consistencyProof: (from, to) => generateConsistencyProof(from, to, reader(to)),
  };
}
