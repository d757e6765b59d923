/**
 * The writer of a tiled log. An appender loads the right edge of the tree from a `TileStorage`
 * once, then appends batches: it hashes each entry, extends the compact range (one merge per
 * entry on average), writes the changed right-edge tiles and entry bundles, signs a checkpoint
 * for the new root and hands all of it to storage in one conditional commit. O(log n) work per
 * entry; the signature is one per batch. Appends on one appender are serialised; a commit lost to
 * another writer (`conflict`) makes the next append reload from storage.
 */
import { assertOrigin } from '../checkpoint/checkpoint.js';
import { signCheckpoint } from '../checkpoint/signed-checkpoint.js';
import { utf8Encode } from '../encoding/bytes.js';
import { TlogError } from '../errors.js';
import { generateConsistencyProof } from '../merkle/consistency.js';
import { HASH_SIZE, leafHash } from '../merkle/hash.js';
import type { HashReader } from '../merkle/hash-reader.js';
import { generateInclusionProof } from '../merkle/inclusion.js';
import type { NoteSigner } from '../note/signer.js';
import { assertArray, assertBytes, assertCount, checkObject } from '../validate.js';
import { encodeEntryBundle, MAX_ENTRY_SIZE } from './entry-bundle.js';
import { emptyLevel, loadLogState, type LevelBuffer, type LogState } from './log-state.js';
import { TILE_HEIGHT, TILE_WIDTH } from './tile-geometry.js';
import { createTileHashReader, TileCache } from './tile-hash-reader.js';
import type { EntryBundleWrite, TileStorage, TileWrite } from './tile-storage.js';

export interface AppenderOptions {
  readonly storage: TileStorage;
  /** The log key; signs every checkpoint. */
  readonly signer: NoteSigner;
  /** Checkpoint origin line; defaults to the signer's name (as c2sp.org/tlog-checkpoint recommends). */
  readonly origin?: string;
  /** Expanded tiles kept for proofs and loading (default 256, about 4 MB). */
  readonly cacheTiles?: number;
}

export interface AppendResult {
  /** Index of the first appended entry (the others follow in order). */
  readonly firstIndex: number;
  /** Tree size after the append. */
  readonly size: number;
  readonly rootHash: Uint8Array;
  /** The committed signed checkpoint. */
  readonly checkpoint: string;
}

export interface Appender {
  readonly origin: string;
  /** Tree size of the last committed checkpoint this appender knows. */
  readonly size: number;
  readonly rootHash: Uint8Array;
  /** The last committed signed checkpoint, null before the first commit. */
  readonly checkpoint: string | null;
  /**
   * Appends a batch (at most 65,535 bytes per entry) and commits a new signed checkpoint. An
   * empty batch commits only when the log has no checkpoint yet (the size-0 checkpoint).
   *
   * @throws {TypeError} / {RangeError} for malformed entries.
   * @throws {TlogError} `conflict` when another writer committed first; retry after it.
   */
  append(entries: readonly Uint8Array[]): Promise<AppendResult>;
  /** Rereads storage (after a conflict, or to follow another writer). */
  reload(): Promise<void>;
  /** A hash reader over the stored tiles at the current size. */
  hashReader(): HashReader;
  /** Inclusion proof for `index` in the tree of `size` (default: current) entries. */
  inclusionProof(index: number, size?: number): Promise<Uint8Array[]>;
  /** Consistency proof from `size1` to `size2` (default: current). */
  consistencyProof(size1: number, size2?: number): Promise<Uint8Array[]>;
}

function assertEntries(entries: readonly Uint8Array[]): void {
  assertArray(entries, 'entries');
  entries.forEach((e, i) => {
    assertBytes(e, `entries[${i}]`);
    if (e.length > MAX_ENTRY_SIZE) throw new RangeError(`entries[${i}] must be at most ${MAX_ENTRY_SIZE} bytes`);
  });
}

/** Applies a batch to a copy of `state`, collecting the tile and bundle writes. */
interface Advanced {
  readonly range: LogState['range'];
  readonly levels: LevelBuffer[];
  readonly bundleIndex: number;
  readonly bundleEntries: Uint8Array[];
  readonly tiles: TileWrite[];
  readonly entryBundles: EntryBundleWrite[];
}

function advance(state: LogState, entries: readonly Uint8Array[]): Advanced {
  const range = state.range.clone();
  const levels: LevelBuffer[] = [...state.levels];
  const copied = new Set<number>();
  const tiles = new Map<string, TileWrite>();
  const touched = new Set<number>();

  const sink = (level: number, index: number, hash: Uint8Array): void => {
    if (level % TILE_HEIGHT !== 0) return;
    const tileLevel = level / TILE_HEIGHT;
    let buffer = levels[tileLevel] ?? emptyLevel(0);
    if (!copied.has(tileLevel)) {
      buffer = { ...buffer, data: buffer.data.slice() };
      copied.add(tileLevel);
    }
    if (Math.floor(index / TILE_WIDTH) !== buffer.index || index % TILE_WIDTH !== buffer.width) {
      throw new TlogError('corrupt', `appender state is out of step at tile level ${tileLevel}`);
    }
    buffer.data.set(hash, buffer.width * HASH_SIZE);
    buffer = { ...buffer, width: buffer.width + 1 };
    touched.add(tileLevel);
    if (buffer.width === TILE_WIDTH) {
      tiles.set(`${tileLevel}/${buffer.index}`, {
        tile: { level: tileLevel, index: buffer.index, width: TILE_WIDTH },
        data: buffer.data,
      });
      buffer = emptyLevel(buffer.index + 1);
    }
    levels[tileLevel] = buffer;
  };

  let bundleIndex = state.bundleIndex;
  let bundleEntries = [...state.bundleEntries];
  const entryBundles: EntryBundleWrite[] = [];
  for (const entry of entries) {
    const copy = entry.slice();
    range.append(leafHash(copy), sink);
    bundleEntries.push(copy);
    if (bundleEntries.length === TILE_WIDTH) {
      entryBundles.push({ bundle: { index: bundleIndex, width: TILE_WIDTH }, data: encodeEntryBundle(bundleEntries) });
      bundleIndex++;
      bundleEntries = [];
    }
  }
  if (bundleEntries.length > 0) {
    entryBundles.push({
      bundle: { index: bundleIndex, width: bundleEntries.length },
      data: encodeEntryBundle(bundleEntries),
    });
  }
  for (const tileLevel of touched) {
    const buffer = levels[tileLevel]!;
    if (buffer.width === 0) continue;
    tiles.set(`${tileLevel}/${buffer.index}`, {
      tile: { level: tileLevel, index: buffer.index, width: buffer.width },
      data: buffer.data.slice(0, buffer.width * HASH_SIZE),
    });
  }
  return { range, levels, bundleIndex, bundleEntries, tiles: [...tiles.values()], entryBundles };
}

/**
 * @example
 * const appender = await createAppender({ storage: createMemoryTileStorage(), signer });
 * const { firstIndex, checkpoint } = await appender.append([utf8Encode('hello')]);
 * @throws {TypeError} when an option has the wrong type.
 * @throws {RangeError} when the origin is not a valid single line.
 * @throws {TlogError} when the stored log cannot be loaded (`malformed`, `missing`, `corrupt`).
 */
export async function createAppender(options: AppenderOptions): Promise<Appender> {
  checkObject(options, 'options');
  checkObject(options.storage, 'options.storage');
  checkObject(options.signer, 'options.signer');
  if (typeof options.signer.sign !== 'function') throw new TypeError('options.signer.sign must be a function');
  const origin = options.origin ?? options.signer.name;
  assertOrigin(origin, 'options.origin');
  const { storage, signer } = options;
  const cache = new TileCache(options.cacheTiles ?? 256);
  let state = await loadLogState(storage, origin, cache);
  let stale = false;
  let tail: Promise<unknown> = Promise.resolve();

  const exclusive = <T>(run: () => Promise<T>): Promise<T> => {
    const next = tail.then(run, run);
    tail = next.catch(() => undefined);
    return next;
  };

  const reloadNow = async (): Promise<void> => {
    state = await loadLogState(storage, origin, cache);
    stale = false;
  };

  const appendNow = async (entries: readonly Uint8Array[]): Promise<AppendResult> => {
    if (stale) await reloadNow();
    const previousSize = state.range.size;
    if (entries.length === 0 && state.checkpoint !== null) {
      return {
        firstIndex: previousSize,
        size: previousSize,
        rootHash: state.rootHash.slice(),
        checkpoint: state.checkpoint,
      };
    }
    if (previousSize + entries.length > Number.MAX_SAFE_INTEGER)
      throw new RangeError('entries would grow the log past 2^53 - 1');
    const next = advance(state, entries);
    const rootHash = next.range.root();
    const checkpoint = await signCheckpoint({ origin, size: next.range.size, rootHash, extensions: [] }, [signer]);
    try {
      await storage.commit({
        previousSize,
        size: next.range.size,
        tiles: next.tiles,
        entryBundles: next.entryBundles,
        checkpoint: utf8Encode(checkpoint),
      });
    } catch (error) {
      // Whether or not anything was stored, the next append starts from storage's truth.
      stale = true;
      throw error;
    }
    state = {
      range: next.range,
      levels: next.levels,
      bundleIndex: next.bundleIndex,
      bundleEntries: next.bundleEntries,
      checkpoint,
      rootHash,
    };
    return { firstIndex: previousSize, size: next.range.size, rootHash: rootHash.slice(), checkpoint };
  };

  const hashReader = (): HashReader =>
    createTileHashReader({ readTile: storage.readTile.bind(storage), size: state.range.size, cache });

  return {
    origin,
    get size() {
      return state.range.size;
    },
    get rootHash() {
      return state.rootHash.slice();
    },
    get checkpoint() {
      return state.checkpoint;
    },
    async append(entries) {
      assertEntries(entries);
      return exclusive(() => appendNow(entries));
    },
    reload() {
      return exclusive(reloadNow);
    },
    hashReader,
    async inclusionProof(index, size = state.range.size) {
      assertCount(size, 'size');
      if (size > state.range.size) throw new RangeError('size must not exceed the log size');
      return generateInclusionProof(index, size, hashReader());
    },
    async consistencyProof(size1, size2 = state.range.size) {
      assertCount(size2, 'size2');
      if (size2 > state.range.size) throw new RangeError('size2 must not exceed the log size');
      return generateConsistencyProof(size1, size2, hashReader());
    },
  };
}
