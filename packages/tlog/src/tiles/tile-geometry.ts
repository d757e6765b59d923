/**
 * Where hashes live in a tiled log (c2sp.org/tlog-tiles, tile height 8): the tile at level L and
 * index N holds the hashes of tree level 8L with indexes N·256 … N·256+255; a tree of size s
 * holds ⌊s / 256^L⌋ hashes at tile level L, so only the last tile of each level can be partial.
 * Subtrees between tile levels are recomputed from a tile's hashes, never stored.
 */
import type { TreeNode } from '../merkle/tree-math.js';

/** Tree levels per tile. */
export const TILE_HEIGHT = 8;
/** Hashes in a full tile (2^TILE_HEIGHT). */
export const TILE_WIDTH = 256;
/** Highest tile level the path format allows. */
export const MAX_TILE_LEVEL = 63;

/** A hash tile: `width` is 256 for a full tile, 1–255 for a partial one. */
export interface TileRef {
  readonly level: number;
  readonly index: number;
  readonly width: number;
}

/** An entry bundle: the entries of level-0 tile `index`, `width` of them. */
export interface EntryBundleRef {
  readonly index: number;
  readonly width: number;
}

/**
 * How many hashes tile level `level` holds in a tree of `size` entries.
 *
 * @example
 * hashCountAtLevel(70_000, 1); // 273
 */
export function hashCountAtLevel(size: number, level: number): number {
  return Math.floor(size / TILE_WIDTH ** level);
}

/**
 * The width of tile (level, index) in a tree of `size` entries; 0 when the tile does not exist yet.
 *
 * @example
 * tileWidth(70_000, 0, 273); // 112
 */
export function tileWidth(size: number, level: number, index: number): number {
  const count = hashCountAtLevel(size, level);
  return Math.max(0, Math.min(TILE_WIDTH, count - index * TILE_WIDTH));
}

/**
 * The partial tiles a tree of `size` entries has, lowest level first (the right edge).
 *
 * @example
 * partialTiles(256); // [{ level: 1, index: 0, width: 1 }]
 */
export function partialTiles(size: number): TileRef[] {
  const tiles: TileRef[] = [];
  for (let level = 0; level <= MAX_TILE_LEVEL; level++) {
    const count = hashCountAtLevel(size, level);
    if (count === 0) break;
    if (count % TILE_WIDTH !== 0)
      tiles.push({ level, index: Math.floor(count / TILE_WIDTH), width: count % TILE_WIDTH });
  }
  return tiles;
}

/** Where a complete subtree's hash comes from: `count` hashes at `offset` in a tile, folded. */
export interface NodeLocation {
  readonly tile: TileRef;
  readonly offset: number;
  /** Tree levels above the tile level (0–7); the node spans 2^subLevel tile hashes. */
  readonly subLevel: number;
}

/**
 * The tile (as it stands at tree size `size`) holding the hashes a complete subtree is made of.
 * The caller guarantees the node is complete inside `size`.
 *
 * @example
 * locateNode({ level: 12, index: 16 }, 70_000); // tile 1/1 (width 17), offset 0, subLevel 4
 */
export function locateNode(node: TreeNode, size: number): NodeLocation {
  const tileLevel = Math.floor(node.level / TILE_HEIGHT);
  const subLevel = node.level % TILE_HEIGHT;
  const first = node.index * 2 ** subLevel;
  const index = Math.floor(first / TILE_WIDTH);
  return {
    tile: { level: tileLevel, index, width: tileWidth(size, tileLevel, index) },
    offset: first % TILE_WIDTH,
    subLevel,
  };
}
