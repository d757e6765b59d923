/**
 * The Merkle tree hash (RFC 9162 §2.1.1) of a list of leaf hashes, computed in one pass with a
 * stack of complete subtrees, and the root of a tree of a given size from a `HashReader`
 * (O(log n) node reads: the complete subtrees along the right edge).
 */
import { assertBytes, assertCount, assertFunction } from '../validate.js';
import { EMPTY_ROOT, HASH_SIZE, hashChildren } from './hash.js';
import { readRangeHashes, type HashReader } from './hash-reader.js';
import { rangeNodes } from './tree-math.js';

/**
 * @example
 * rootFromLeafHashes(entries.map(leafHash));
 * @throws {TypeError} when `leafHashes` is not an array of Uint8Array.
 * @throws {RangeError} when a leaf hash is not 32 bytes long.
 */
export function rootFromLeafHashes(leafHashes: readonly Uint8Array[]): Uint8Array {
  if (!Array.isArray(leafHashes)) throw new TypeError('leafHashes must be an array');
  if (leafHashes.length === 0) return EMPTY_ROOT.slice();
  // stack[i] is a complete subtree of 2^levels[i] leaves; equal neighbours merge as leaves arrive.
  const stack: Uint8Array[] = [];
  const levels: number[] = [];
  leafHashes.forEach((hash, i) => {
    assertBytes(hash, `leafHashes[${i}]`, HASH_SIZE);
    let h = hash;
    let level = 0;
    while (levels.length > 0 && levels[levels.length - 1] === level) {
      h = hashChildren(stack.pop()!, h);
      levels.pop();
      level++;
    }
    stack.push(h);
    levels.push(level);
  });
  let root = stack[stack.length - 1]!;
  for (let i = stack.length - 2; i >= 0; i--) root = hashChildren(stack[i]!, root);
  return root;
}

/**
 * The root hash of the tree of `size` leaves that `reader` serves.
 *
 * @example
 * const root = await rootFromReader(checkpoint.size, createTileHashReader({ readTile, size }));
 * @throws {TypeError} when `size` is not a number or `reader` not a function.
 * @throws {RangeError} when `size` is not a non-negative safe integer.
 * @throws {TlogError} whatever the reader throws (`missing`, `corrupt`).
 */
export async function rootFromReader(size: number, reader: HashReader): Promise<Uint8Array> {
  assertCount(size, 'size');
  assertFunction(reader, 'reader');
  if (size === 0) return EMPTY_ROOT.slice();
  const [root] = await readRangeHashes(reader, [rangeNodes(0, size)]);
  return root!;
}
