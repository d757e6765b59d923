/**
 * Validation and byte helpers shared by the SQLite and Postgres transparency-log stores, so both
 * refuse exactly the same input with the same errors.
 */
import { InvalidArgumentError } from '@saferouter/errors';
import { entryBundlePrefixLength } from '@saferouter/tlog';
import type { TlogBundleRef, TlogCommit, TlogTileRef } from './tlog-types.js';
import { assertCount, assertInteger, assertObject, assertString } from './validate.js';

const LOG_NAME = /^[a-z0-9_-]{1,64}$/;
const HASH_SIZE = 32;
/** Tiles are 8 levels tall: 256 hashes or entries at most. */
export const TILE_WIDTH = 256;
/** Tree sizes stay below 2^53; level 63 is far above anything a size can reach. */
const MAX_LEVEL = 63;

export function assertLogName(name: unknown): asserts name is string {
  assertString(name, 'name', { min: 1, max: 64 });
  if (!LOG_NAME.test(name))
    throw new InvalidArgumentError('name', 'name must be 1-64 characters of a-z, 0-9, _ and -', 'range');
}

function assertBytes(value: unknown, name: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw new InvalidArgumentError(name, `${name} must be a Uint8Array`, 'type');
}

function assertWidth(value: unknown, name: string): asserts value is number {
  assertInteger(value, name, { min: 1, max: TILE_WIDTH });
}

export function assertTileRef(ref: unknown, name: string): asserts ref is TlogTileRef {
  assertObject(ref, name);
  assertInteger(ref['level'], `${name}.level`, { min: 0, max: MAX_LEVEL });
  assertCount(ref['index'], `${name}.index`);
  assertWidth(ref['width'], `${name}.width`);
}

export function assertBundleRef(ref: unknown, name: string): asserts ref is TlogBundleRef {
  assertObject(ref, name);
  assertCount(ref['index'], `${name}.index`);
  assertWidth(ref['width'], `${name}.width`);
}

/** Checks shapes and sizes: tile data is width × 32 bytes, bundle data holds exactly width entries. */
export function assertTlogCommit(commit: unknown): asserts commit is TlogCommit {
  assertObject(commit, 'commit');
  assertCount(commit['previousSize'], 'commit.previousSize');
  assertCount(commit['size'], 'commit.size');
  if ((commit['size'] as number) < (commit['previousSize'] as number))
    throw new InvalidArgumentError('commit.size', 'commit.size must not be below commit.previousSize', 'range');
  assertBytes(commit['checkpoint'], 'commit.checkpoint');
  const tiles = commit['tiles'];
  const bundles = commit['entryBundles'];
  if (!Array.isArray(tiles)) throw new InvalidArgumentError('commit.tiles', 'commit.tiles must be an array', 'type');
  if (!Array.isArray(bundles))
    throw new InvalidArgumentError('commit.entryBundles', 'commit.entryBundles must be an array', 'type');
  tiles.forEach((w: unknown, i) => {
    assertObject(w, `commit.tiles[${i}]`);
    assertTileRef(w['tile'], `commit.tiles[${i}].tile`);
    assertBytes(w['data'], `commit.tiles[${i}].data`);
    if (w['data'].length !== w['tile'].width * HASH_SIZE)
      throw new InvalidArgumentError(
        `commit.tiles[${i}].data`,
        `commit.tiles[${i}].data must be width × 32 bytes`,
        'range',
      );
  });
  bundles.forEach((w: unknown, i) => {
    assertObject(w, `commit.entryBundles[${i}]`);
    assertBundleRef(w['bundle'], `commit.entryBundles[${i}].bundle`);
    assertBytes(w['data'], `commit.entryBundles[${i}].data`);
    if (bundlePrefixLength(w['data'], w['bundle'].width) !== w['data'].length) {
      throw new InvalidArgumentError(
        `commit.entryBundles[${i}].data`,
        `commit.entryBundles[${i}].data must hold exactly width entries`,
        'range',
      );
    }
  });
}

/**
 * Bytes taken by the first `width` entries of a bundle (each a 2-byte big-endian length and that
 * many bytes), or -1 when the bundle holds fewer.
 */
function bundlePrefixLength(data: Uint8Array, width: number): number {
  try {
    return entryBundlePrefixLength(data, width);
  } catch {
    return -1;
  }
}

/** A tile's first `width` hashes from its widest stored version, or null when it is narrower. */
export function tilePrefix(stored: Uint8Array | undefined, width: number): Uint8Array | null {
  if (stored === undefined || stored.length < width * HASH_SIZE) return null;
  return stored.slice(0, width * HASH_SIZE);
}

/** A bundle's first `width` entries from its widest stored version, or null when it has fewer. */
export function bundlePrefix(
  stored: { width: number; data: Uint8Array } | undefined,
  width: number,
): Uint8Array | null {
  if (stored === undefined || stored.width < width) return null;
  const length = bundlePrefixLength(stored.data, width);
  return length < 0 ? null : stored.data.slice(0, length);
}

/** A promise-chain mutex: `run(fn)` starts `fn` after every earlier `run` has settled. */
export function createMutex(): <T>(fn: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(fn: () => Promise<T>): Promise<T> => {
    const result = tail.then(fn, fn);
    tail = result.catch(() => undefined);
    return result;
  };
}
