/**
 * Index arithmetic for RFC 6962 trees: the largest power of two below a size, and the split of a
 * leaf range into complete subtrees. Sizes and indexes are JavaScript numbers (safe integers, up
 * to 2^53 − 1), so the code divides and multiplies instead of using 32-bit bit operators.
 */

/**
 * A complete (perfect) subtree: the `index`-th run of 2^`level` leaves, i.e. leaves
 * [index · 2^level, (index + 1) · 2^level). Level 0 nodes are leaves.
 */
export interface TreeNode {
  readonly level: number;
  readonly index: number;
}

const TWO_32 = 2 ** 32;

/** Number of bits needed to write `n` (0 → 0, 1 → 1, 255 → 8, 256 → 9). */
export function bitLength(n: number): number {
  let length = 0;
  while (n >= TWO_32) {
    n = Math.floor(n / TWO_32);
    length += 32;
  }
  return length + 32 - Math.clz32(n);
}

/** The largest power of two strictly less than `n`, for `n` ≥ 2 (the RFC's split point k). */
export function splitPoint(n: number): number {
  return 2 ** (bitLength(n - 1) - 1);
}

/** True for 1, 2, 4, 8, … */
export function isPowerOfTwo(n: number): boolean {
  return n > 0 && 2 ** (bitLength(n) - 1) === n;
}

/**
 * The complete subtrees that make up the leaf range [lo, hi), largest first, as the RFC's MTH
 * recursion sees it. `lo` must be aligned (true of every range the recursion produces): the
 * range's hash is then these subtrees' hashes folded from the right.
 *
 * @example
 * rangeNodes(0, 7); // [{ level: 2, index: 0 }, { level: 1, index: 2 }, { level: 0, index: 6 }]
 */
export function rangeNodes(lo: number, hi: number): TreeNode[] {
  const nodes: TreeNode[] = [];
  while (lo < hi) {
    let level = bitLength(hi - lo) - 1;
    while (lo % 2 ** level !== 0) level--;
    const width = 2 ** level;
    nodes.push({ level, index: lo / width });
    lo += width;
  }
  return nodes;
}

/** True when the subtree is complete inside a tree of `size` leaves. */
export function nodeFits(node: TreeNode, size: number): boolean {
  return (node.index + 1) * 2 ** node.level <= size;
}
