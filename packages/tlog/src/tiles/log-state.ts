/**
 * What an appender keeps in memory between appends: the tree's right edge as a compact range,
 * the last (partial) tile of every tile level and the entries of the last entry bundle. Loaded
 * from storage once, checked against the stored checkpoint's root hash, then advanced by appends
 * in O(log n) hashing per entry without rereading storage.
 */
import { bytesEqual, utf8Decode } from '../encoding/bytes.js';
import { TlogError } from '../errors.js';
import { parseCheckpoint } from '../checkpoint/checkpoint.js';
import { CompactRange } from '../merkle/compact-range.js';
import { HASH_SIZE, leafHash } from '../merkle/hash.js';
import { rangeNodes } from '../merkle/tree-math.js';
import { parseNote } from '../note/note.js';
import { decodeEntryBundle } from './entry-bundle.js';
import { createTileHashReader, readTileChecked, type TileCache } from './tile-hash-reader.js';
import { hashCountAtLevel, MAX_TILE_LEVEL, TILE_WIDTH } from './tile-geometry.js';
import type { TileStorage } from './tile-storage.js';

/** The last tile of one tile level: `width` hashes of tile `index` are filled in `data`. */
export interface LevelBuffer {
  readonly index: number;
  readonly width: number;
  /** Always TILE_WIDTH × 32 bytes. Never mutated once a state holds it (copy on write). */
  readonly data: Uint8Array;
}

export interface LogState {
  readonly range: CompactRange;
  readonly levels: readonly LevelBuffer[];
  /** Index of the last entry bundle and its entries so far. */
  readonly bundleIndex: number;
  readonly bundleEntries: readonly Uint8Array[];
  /** The stored signed checkpoint, null for a log never committed to. */
  readonly checkpoint: string | null;
  readonly rootHash: Uint8Array;
}

export function emptyLevel(index: number): LevelBuffer {
  return { index, width: 0, data: new Uint8Array(TILE_WIDTH * HASH_SIZE) };
}

/**
 * Reads the stored checkpoint and the right edge of the tree from storage.
 *
 * @throws {TlogError} `malformed` for an unparsable checkpoint or another origin, `missing` for
 *   an absent tile or bundle, `corrupt` when the tiles do not hash to the checkpoint's root.
 */
export async function loadLogState(storage: TileStorage, origin: string, cache: TileCache): Promise<LogState> {
  const stored = await storage.readCheckpoint();
  if (stored === null) {
    const range = new CompactRange();
    return { range, levels: [], bundleIndex: 0, bundleEntries: [], checkpoint: null, rootHash: range.root() };
  }
  const note = utf8Decode(stored);
  const checkpoint = parseCheckpoint(parseNote(note).text);
  if (checkpoint.origin !== origin)
    throw new TlogError('malformed', `stored checkpoint is for origin ${checkpoint.origin}, not ${origin}`);
  const size = checkpoint.size;
  const readTile = storage.readTile.bind(storage);
  const reader = createTileHashReader({ readTile, size, cache });
  const range = new CompactRange(size, size === 0 ? [] : await reader(rangeNodes(0, size)));
  if (!bytesEqual(range.root(), checkpoint.rootHash))
    throw new TlogError('corrupt', 'stored tiles do not hash to the stored checkpoint root');

  const levels: LevelBuffer[] = [];
  for (let level = 0; level <= MAX_TILE_LEVEL; level++) {
    const count = hashCountAtLevel(size, level);
    if (count === 0) break;
    const buffer = emptyLevel(Math.floor(count / TILE_WIDTH));
    const width = count % TILE_WIDTH;
    if (width > 0) buffer.data.set(await readTileChecked(readTile, { level, index: buffer.index, width }));
    levels.push({ ...buffer, width });
  }

  const bundleIndex = Math.floor(size / TILE_WIDTH);
  const bundleWidth = size % TILE_WIDTH;
  let bundleEntries: Uint8Array[] = [];
  if (bundleWidth > 0) {
    const bundle = await storage.readEntryBundle({ index: bundleIndex, width: bundleWidth });
    if (bundle === null)
      throw new TlogError('missing', `entry bundle ${bundleIndex} (width ${bundleWidth}) is missing`);
    bundleEntries = decodeEntryBundle(bundle, bundleWidth);
    const tile = levels[0]!.data;
    bundleEntries.forEach((entry, i) => {
      if (!bytesEqual(leafHash(entry), tile.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE))) {
        throw new TlogError('corrupt', `entry ${bundleIndex * TILE_WIDTH + i} does not hash to its level-0 tile hash`);
      }
    });
  }
  return { range, levels, bundleIndex, bundleEntries, checkpoint: note, rootHash: checkpoint.rootHash };
}
