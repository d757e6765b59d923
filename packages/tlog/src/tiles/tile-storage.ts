/**
 * The storage a tiled log's appender writes to, small enough to put on a key-value store, a
 * directory, SQLite or Postgres. Reads are by tile, entry bundle or checkpoint; the only write is
 * one atomic `commit` of the tiles and bundles an append touched together with the new signed
 * checkpoint, conditional on the stored checkpoint still having `previousSize`. So storage never
 * holds a signed checkpoint its tiles disagree with, and two appenders cannot both extend the
 * same tree (the loser gets `TlogError` `conflict`).
 *
 * Tiles only grow: a tile of width w is the first w hashes of every wider version of the same
 * tile (likewise for entry bundles, by entries). A backend may therefore keep only the widest
 * version of each tile and serve narrower widths as prefixes; it must be able to serve every
 * width a committed checkpoint implied, as c2sp.org/tlog-tiles requires. `assertTileCommit` is
 * the argument check every backend should run first.
 */
import { HASH_SIZE } from '../merkle/hash.js';
import { assertArray, assertBytes, assertCount, checkObject } from '../validate.js';
import { MAX_TILE_LEVEL, TILE_WIDTH, type EntryBundleRef, type TileRef } from './tile-geometry.js';

export interface TileWrite {
  readonly tile: TileRef;
  /** `tile.width` × 32 bytes. */
  readonly data: Uint8Array;
}

export interface EntryBundleWrite {
  readonly bundle: EntryBundleRef;
  /** `bundle.width` length-prefixed entries. */
  readonly data: Uint8Array;
}

export interface TileCommit {
  /** Tree size of the checkpoint this commit extends (0 when storage holds none). */
  readonly previousSize: number;
  /** Tree size of `checkpoint`. */
  readonly size: number;
  /** Every hash tile the append changed, at its new width (full tiles have width 256). */
  readonly tiles: readonly TileWrite[];
  /** Every entry bundle the append changed, at its new width. */
  readonly entryBundles: readonly EntryBundleWrite[];
  /** The new signed checkpoint note, UTF-8. */
  readonly checkpoint: Uint8Array;
}

export interface TileStorage {
  /** The latest committed signed checkpoint, or null for a log never committed to. */
  readCheckpoint(): Promise<Uint8Array | null>;
  /** The tile at exactly `tile.width` hashes (`width` × 32 bytes), or null when absent. */
  readTile(tile: TileRef): Promise<Uint8Array | null>;
  /** The entry bundle with exactly `bundle.width` entries, or null when absent. */
  readEntryBundle(bundle: EntryBundleRef): Promise<Uint8Array | null>;
  /**
   * Atomically stores every tile and bundle and replaces the checkpoint, or changes nothing.
   *
   * @throws {TlogError} `conflict` when the stored checkpoint's size is not `previousSize`.
   */
  commit(commit: TileCommit): Promise<void>;
}

/**
 * @example
 * assertTileRef(tile, 'tile');
 * @throws {TypeError} / {RangeError} when the index or width is malformed (width must be 1–256).
 */
export function assertTileRef(ref: TileRef | EntryBundleRef, name: string): void {
  checkObject(ref, name);
  assertCount(ref.index, `${name}.index`);
  assertCount(ref.width, `${name}.width`);
  if (ref.width < 1 || ref.width > TILE_WIDTH) throw new RangeError(`${name}.width must be 1 to ${TILE_WIDTH}`);
}

/**
 * The checks every backend runs on a commit before storing anything: field types, widths and
 * tile data lengths (width × 32 bytes).
 *
 * @example
 * async commit(commit) { assertTileCommit(commit); … }
 * @throws {TypeError} / {RangeError} naming the malformed field.
 */
export function assertTileCommit(commit: TileCommit): void {
  checkObject(commit, 'commit');
  assertCount(commit.previousSize, 'commit.previousSize');
  assertCount(commit.size, 'commit.size');
  assertBytes(commit.checkpoint, 'commit.checkpoint');
  assertArray(commit.tiles, 'commit.tiles');
  assertArray(commit.entryBundles, 'commit.entryBundles');
  commit.tiles.forEach((w, i) => {
    assertTileRef(w.tile, `commit.tiles[${i}].tile`);
    if (w.tile.level > MAX_TILE_LEVEL)
      throw new RangeError(`commit.tiles[${i}].tile.level must be at most ${MAX_TILE_LEVEL}`);
    assertBytes(w.data, `commit.tiles[${i}].data`, w.tile.width * HASH_SIZE);
  });
  commit.entryBundles.forEach((w, i) => {
    assertTileRef(w.bundle, `commit.entryBundles[${i}].bundle`);
    assertBytes(w.data, `commit.entryBundles[${i}].data`);
  });
}
