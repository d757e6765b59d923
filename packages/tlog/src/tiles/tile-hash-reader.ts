/**
 * A `HashReader` backed by tiles: each complete subtree is found in one tile (see `locateNode`)
 * and recomputed from that tile's hashes. A proof therefore reads O(log n) tiles, fetched in
 * parallel, and never the whole tree. Expanded tiles (every interior hash a tile implies) are
 * kept in a small LRU cache, which may be shared between readers since a tile at a given width
 * never changes.
 */
import { TlogError } from '../errors.js';
import { HASH_SIZE, hashChildrenInto } from '../merkle/hash.js';
import type { HashReader } from '../merkle/hash-reader.js';
import { nodeFits } from '../merkle/tree-math.js';
import { assertCount, assertFunction, assertIntegerInRange, checkObject } from '../validate.js';
import { locateNode, TILE_HEIGHT, type TileRef } from './tile-geometry.js';
import { tilePath } from './tile-path.js';

/** Reads a tile's bytes (width × 32 of them), or null when it does not exist. */
export type ReadTile = (tile: TileRef) => Promise<Uint8Array | null>;

/** A tile with every interior level computed: `levels[r]` holds the hashes 2^r tile hashes span. */
interface ExpandedTile {
  readonly levels: readonly Uint8Array[];
}

/** An LRU cache of expanded tiles, keyed by level, index and width. */
export class TileCache {
  readonly #max: number;
  readonly #tiles = new Map<string, Promise<ExpandedTile>>();

  /**
   * @example
   * const cache = new TileCache(256);
   * @throws {RangeError} when `maxTiles` is not an integer from 1 to 1,000,000.
   */
  constructor(maxTiles = 64) {
    assertIntegerInRange(maxTiles, 'maxTiles', 1, 1_000_000);
    this.#max = maxTiles;
  }

  /** @internal */
  get(key: string, load: () => Promise<ExpandedTile>): Promise<ExpandedTile> {
    const hit = this.#tiles.get(key);
    if (hit !== undefined) {
      this.#tiles.delete(key);
      this.#tiles.set(key, hit);
      return hit;
    }
    const loading = load();
    this.#tiles.set(key, loading);
    // A failed read must not stay cached.
    loading.catch(() => this.#tiles.delete(key));
    while (this.#tiles.size > this.#max) this.#tiles.delete(this.#tiles.keys().next().value!);
    return loading;
  }
}

/** Every interior hash of a tile, level by level (≤ 255 hashes for a full tile). */
export function expandTile(data: Uint8Array): Uint8Array[] {
  const levels: Uint8Array[] = [data];
  let row = data;
  for (let r = 1; r <= TILE_HEIGHT; r++) {
    const count = Math.floor(row.length / HASH_SIZE / 2);
    if (count === 0) break;
    const next = new Uint8Array(count * HASH_SIZE);
    for (let i = 0; i < count; i++) {
      const left = row.subarray(2 * i * HASH_SIZE, (2 * i + 1) * HASH_SIZE);
      const right = row.subarray((2 * i + 1) * HASH_SIZE, (2 * i + 2) * HASH_SIZE);
      hashChildrenInto(left, right, next.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE));
    }
    levels.push(next);
    row = next;
  }
  return levels;
}

/** Reads a tile and checks its length; null and short/long tiles become `TlogError`s. */
export async function readTileChecked(readTile: ReadTile, tile: TileRef): Promise<Uint8Array> {
  const data = await readTile(tile);
  if (data === null) throw new TlogError('missing', `tile ${tilePath(tile)} is missing`);
  if (!(data instanceof Uint8Array) || data.length !== tile.width * HASH_SIZE) {
    throw new TlogError('corrupt', `tile ${tilePath(tile)} is not ${tile.width * HASH_SIZE} bytes`);
  }
  return data;
}

export interface TileHashReaderOptions {
  readonly readTile: ReadTile;
  /** The tree size whose tiles to read (any proof for a size up to this one can be served). */
  readonly size: number;
  /** Shared expanded-tile cache; a private one of 64 tiles by default. */
  readonly cache?: TileCache;
}

/**
 * @example
 * const reader = createTileHashReader({ readTile: (t) => storage.readTile(t), size: checkpoint.size });
 * const proof = await generateInclusionProof(index, checkpoint.size, reader);
 * @throws {TypeError} when an option has the wrong type.
 * @throws {RangeError} when `size` is not a non-negative safe integer.
 */
export function createTileHashReader(options: TileHashReaderOptions): HashReader {
  checkObject(options, 'options');
  assertFunction(options.readTile, 'options.readTile');
  assertCount(options.size, 'options.size');
  const { readTile, size } = options;
  const cache = options.cache ?? new TileCache();
  const expanded = (tile: TileRef): Promise<ExpandedTile> =>
    cache.get(`${tile.level}/${tile.index}/${tile.width}`, async () => ({
      levels: expandTile(await readTileChecked(readTile, tile)),
    }));

  return async (nodes) => {
    const located = nodes.map((node) => {
      if (!nodeFits(node, size))
        throw new RangeError(`subtree ${node.level}/${node.index} is not complete in a tree of size ${size}`);
      return locateNode(node, size);
    });
    const tiles = await Promise.all(located.map((l) => expanded(l.tile)));
    return located.map((l, i) => {
      const row = tiles[i]!.levels[l.subLevel];
      const at = (l.offset >> l.subLevel) * HASH_SIZE;
      if (row === undefined || at + HASH_SIZE > row.length)
        throw new TlogError('corrupt', `tile ${tilePath(l.tile)} is too short`);
      return row.slice(at, at + HASH_SIZE);
    });
  };
}
