/**
 * An in-memory `TileStorage` for tests, benchmarks and demos. It keeps one byte array per tile
 * and per entry bundle (the widest version) and serves narrower widths as prefixes, so a million
 * entries cost about 32 MB of level-0 tiles plus the entries themselves, never a node object per
 * hash. Commits are checked (sizes, widths, prefix agreement) before anything changes.
 */
import { bytesEqual } from '../encoding/bytes.js';
import { TlogError } from '../errors.js';
import { HASH_SIZE } from '../merkle/hash.js';
import { entryBundlePrefixLength } from './entry-bundle.js';
import { assertTileCommit, assertTileRef, type TileStorage } from './tile-storage.js';

export interface MemoryTileStorage extends TileStorage {
  /** Tree size of the stored checkpoint. */
  readonly size: number;
  /** Bytes held, for benchmarks. */
  stats(): { tiles: number; tileBytes: number; bundles: number; bundleBytes: number };
}

/**
 * @example
 * const storage = createMemoryTileStorage();
 * const appender = await createAppender({ storage, signer });
 */
export function createMemoryTileStorage(): MemoryTileStorage {
  let checkpoint: Uint8Array | null = null;
  let size = 0;
  const tiles: Uint8Array[][] = [];
  const bundles: Uint8Array[] = [];
  const bundleWidths: number[] = [];

  return {
    get size() {
      return size;
    },

    stats() {
      let tileCount = 0;
      let tileBytes = 0;
      for (const level of tiles) {
        for (const t of level) {
          if (t === undefined) continue;
          tileCount++;
          tileBytes += t.length;
        }
      }
      let bundleBytes = 0;
      for (const b of bundles) bundleBytes += b?.length ?? 0;
      return { tiles: tileCount, tileBytes, bundles: bundles.length, bundleBytes };
    },

    async readCheckpoint() {
      return checkpoint === null ? null : checkpoint.slice();
    },

    async readTile(tile) {
      assertTileRef(tile, 'tile');
      const stored = tiles[tile.level]?.[tile.index];
      const length = tile.width * HASH_SIZE;
      return stored === undefined || stored.length < length ? null : stored.slice(0, length);
    },

    async readEntryBundle(bundle) {
      assertTileRef(bundle, 'bundle');
      const stored = bundles[bundle.index];
      const width = bundleWidths[bundle.index] ?? 0;
      if (stored === undefined || width < bundle.width) return null;
      return stored.slice(0, entryBundlePrefixLength(stored, bundle.width));
    },

    async commit(commit) {
      assertTileCommit(commit);
      if (commit.previousSize !== size) {
        throw new TlogError('conflict', `storage is at size ${size}, not ${commit.previousSize}`);
      }
      if (commit.size < size) throw new RangeError('commit.size must not be below the stored size');
      // Validate everything first, so a rejected commit changes nothing.
      for (const { tile, data } of commit.tiles) {
        const stored = tiles[tile.level]?.[tile.index];
        const common = Math.min(stored?.length ?? 0, data.length);
        if (stored !== undefined && !bytesEqual(stored.subarray(0, common), data.subarray(0, common))) {
          throw new TlogError('corrupt', `commit rewrites hashes of tile ${tile.level}/${tile.index}`);
        }
      }
      for (const { bundle, data } of commit.entryBundles) {
        if (entryBundlePrefixLength(data, bundle.width) !== data.length)
          throw new TlogError('malformed', `entry bundle ${bundle.index} holds more than ${bundle.width} entries`);
      }
      for (const { tile, data } of commit.tiles) {
        const level = (tiles[tile.level] ??= []);
        if ((level[tile.index]?.length ?? 0) < data.length) level[tile.index] = data.slice();
      }
      for (const { bundle, data } of commit.entryBundles) {
        if ((bundleWidths[bundle.index] ?? 0) < bundle.width) {
          bundles[bundle.index] = data.slice();
          bundleWidths[bundle.index] = bundle.width;
        }
      }
      checkpoint = commit.checkpoint.slice();
      size = commit.size;
    },
  };
}
