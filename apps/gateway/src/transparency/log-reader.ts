/**
 * Reads a stored tiled log for the HTTP API: the latest checkpoint (its signature checked with
 * the log's key, so a corrupted store is reported rather than served), pages of entries, and
 * inclusion and consistency proofs computed from the stored tiles in O(log n) reads.
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
  type NoteVerifier,
  type OpenedCheckpoint,
} from '@saferouter/tlog';
import type { TlogStore } from '@saferouter/store';

export interface LatestCheckpoint {
  note: string;
  opened: OpenedCheckpoint;
  size: number;
}

export interface LogReader {
  readonly storage: TlogStore;
  /** null while the log has no checkpoint. */
  latest(): Promise<LatestCheckpoint | null>;
  /** Entries [from, from + count) of a tree of `size`, each with its leaf hash. */
  entries(
    from: number,
    count: number,
    size: number,
  ): Promise<{ index: number; entry: Uint8Array; leafHash: Uint8Array }[]>;
  inclusionProof(index: number, size: number): Promise<Uint8Array[]>;
  consistencyProof(from: number, to: number): Promise<Uint8Array[]>;
}

const decoder = new TextDecoder();

export function createLogReader(storage: TlogStore, verifier: NoteVerifier): LogReader {
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
      const out: { index: number; entry: Uint8Array; leafHash: Uint8Array }[] = [];
      const end = Math.min(size, from + count);
      for (let index = from; index < end;) {
        const bundleIndex = Math.floor(index / TILE_WIDTH);
        const width = Math.min(TILE_WIDTH, size - bundleIndex * TILE_WIDTH);
        const data = await storage.readEntryBundle({ index: bundleIndex, width });
        if (data === null) throw new Error(`entry bundle ${bundleIndex} (width ${width}) is missing from storage`);
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
