/**
 * The right edge of a growing tree: the hashes of the complete subtrees that cover leaves
 * [0, size), largest first (at most one per level, so O(log n) hashes). Appending a leaf merges
 * equal-sized neighbours (one hash on average) and the root folds the edge (O(log n) hashes), so
 * an appender never rereads the tree. Each node the range creates is reported to a callback,
 * which is how the tile appender learns a tile's new hashes.
 */
import { assertBytes, assertCount } from '../validate.js';
import { TlogError } from '../errors.js';
import { EMPTY_ROOT, HASH_SIZE, hashChildren } from './hash.js';
import { rangeNodes, type TreeNode } from './tree-math.js';

/** Called with each complete subtree the range creates, leaves (level 0) included. */
export type NodeSink = (level: number, index: number, hash: Uint8Array) => void;

export class CompactRange {
  #size: number;
  readonly #hashes: Uint8Array[];
  readonly #levels: number[];

  /**
   * @param size the number of leaves covered.
   * @param hashes the hashes of `rangeNodes(0, size)`, largest subtree first.
   * @example
   * const range = new CompactRange(size, await reader(rangeNodes(0, size)));
   * @throws {RangeError} when `hashes` does not match the subtrees of `size`.
   */
  constructor(size = 0, hashes: readonly Uint8Array[] = []) {
    assertCount(size, 'size');
    const nodes = rangeNodes(0, size);
    if (!Array.isArray(hashes) || hashes.length !== nodes.length)
      throw new RangeError(`hashes must hold ${nodes.length} hashes for size ${size}`);
    hashes.forEach((h, i) => assertBytes(h, `hashes[${i}]`, HASH_SIZE));
    this.#size = size;
    this.#hashes = [...hashes];
    this.#levels = nodes.map((n) => n.level);
  }

  get size(): number {
    return this.#size;
  }

  /** The subtrees on the right edge, largest first. */
  nodes(): TreeNode[] {
    return rangeNodes(0, this.#size);
  }

  /** A copy, so a caller can try appends and throw them away on failure. */
  clone(): CompactRange {
    return new CompactRange(this.#size, this.#hashes);
  }

  /**
   * Adds one leaf. `sink` sees the leaf and every subtree completed by the merge.
   *
   * @throws {TlogError} `malformed` when the tree is full (2^53 − 1 leaves).
   */
  append(leafHash: Uint8Array, sink?: NodeSink): void {
    if (this.#size >= Number.MAX_SAFE_INTEGER) throw new TlogError('malformed', 'tree is full');
    const leafIndex = this.#size;
    let hash = leafHash;
    let level = 0;
    sink?.(0, leafIndex, hash);
    while (this.#levels.length > 0 && this.#levels[this.#levels.length - 1] === level) {
      hash = hashChildren(this.#hashes.pop()!, hash);
      this.#levels.pop();
      level++;
      sink?.(level, Math.floor(leafIndex / 2 ** level), hash);
    }
    this.#hashes.push(hash);
    this.#levels.push(level);
    this.#size++;
  }

  /** The root hash of the tree of `size` leaves. */
  root(): Uint8Array {
    if (this.#hashes.length === 0) return EMPTY_ROOT.slice();
    let root = this.#hashes[this.#hashes.length - 1]!;
    for (let i = this.#hashes.length - 2; i >= 0; i--) root = hashChildren(this.#hashes[i]!, root);
    return root;
  }
}
