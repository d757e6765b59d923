/**
 * Where proof generation gets its hashes: a `HashReader` answers "what is the hash of this
 * complete subtree?" for a batch of nodes, so a proof costs one batched read of O(log n) nodes
 * and never needs the whole tree in memory. Tiles back it in production
 * (`createTileHashReader`); `createMemoryHashReader` backs it with a leaf-hash array for tests.
 */
import { assertBytes } from '../validate.js';
import { TlogError } from '../errors.js';
import { HASH_SIZE, hashChildren } from './hash.js';
import type { TreeNode } from './tree-math.js';

/**
 * Returns the hash of each complete subtree asked for, in order. Every node asked for is complete
 * inside the tree the reader serves; a reader that cannot produce one must throw (a `TlogError`
 * with code `missing` or `corrupt` is the convention).
 */
export type HashReader = (nodes: readonly TreeNode[]) => Promise<readonly Uint8Array[]>;

/**
 * The hash of each range given as its complete subtrees (see `rangeNodes`), with a single read
 * for all of them. Each range's subtrees are folded from the right, as RFC 6962's MTH does.
 *
 * @throws {TlogError} `corrupt` when the reader answers with the wrong number or size of hashes.
 */
export async function readRangeHashes(
  reader: HashReader,
  ranges: readonly (readonly TreeNode[])[],
): Promise<Uint8Array[]> {
  const keys = new Map<string, number>();
  const nodes: TreeNode[] = [];
  for (const range of ranges) {
    for (const node of range) {
      const key = `${node.level}/${node.index}`;
      if (!keys.has(key)) {
        keys.set(key, nodes.length);
        nodes.push(node);
      }
    }
  }
  const hashes = nodes.length === 0 ? [] : await reader(nodes);
  if (hashes.length !== nodes.length)
    throw new TlogError('corrupt', `hash reader returned ${hashes.length} hashes for ${nodes.length} nodes`);
  for (const h of hashes) {
    if (!(h instanceof Uint8Array) || h.length !== HASH_SIZE)
      throw new TlogError('corrupt', 'hash reader returned a hash that is not 32 bytes');
  }
  return ranges.map((range) => {
    let hash: Uint8Array | undefined;
    for (let i = range.length - 1; i >= 0; i--) {
      const node = range[i]!;
      const h = hashes[keys.get(`${node.level}/${node.index}`)!]!;
      hash = hash === undefined ? h : hashChildren(h, hash);
    }
    if (hash === undefined) throw new TlogError('corrupt', 'empty range has no hash');
    return hash;
  });
}

/**
 * A reader over leaf hashes held in memory. Each subtree is hashed from its leaves on demand, so
 * it suits tests and small trees; large logs read tiles instead.
 *
 * @example
 * const reader = createMemoryHashReader(entries.map(leafHash));
 * const proof = await generateInclusionProof(3, entries.length, reader);
 * @throws {TypeError} when `leafHashes` is not an array of Uint8Array.
 * @throws {RangeError} when a leaf hash is not 32 bytes long.
 */
export function createMemoryHashReader(leafHashes: readonly Uint8Array[]): HashReader {
  if (!Array.isArray(leafHashes)) throw new TypeError('leafHashes must be an array');
  leafHashes.forEach((h, i) => assertBytes(h, `leafHashes[${i}]`, HASH_SIZE));
  const leaves = [...leafHashes];
  return (nodes) => {
    const out = nodes.map(({ level, index }) => {
      const width = 2 ** level;
      const start = index * width;
      if (start + width > leaves.length)
        throw new TlogError(
          'missing',
          `subtree ${level}/${index} is not complete in a tree of ${leaves.length} leaves`,
        );
      let row = leaves.slice(start, start + width);
      while (row.length > 1) {
        const next: Uint8Array[] = [];
        for (let i = 0; i < row.length; i += 2) next.push(hashChildren(row[i]!, row[i + 1]!));
        row = next;
      }
      return row[0]!;
    });
    return Promise.resolve(out);
  };
}
