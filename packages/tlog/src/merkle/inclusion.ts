/**
 * Inclusion proofs (RFC 9162 §2.1.3): which hashes prove that a leaf sits at an index of a tree,
 * generated from a `HashReader` in one batched read of O(log n) nodes, and verified with the
 * RFC's §2.1.3.2 algorithm. `verifyInclusion` reports, `assertInclusion` throws.
 */
import { bytesEqual } from '../encoding/bytes.js';
import { TlogError } from '../errors.js';
import { assertBytes, assertCount, assertFunction, checkObject } from '../validate.js';
import { CheckList, errorMessage, type Verification } from '../verification.js';
import { HASH_SIZE, hashChildren } from './hash.js';
import { readRangeHashes, type HashReader } from './hash-reader.js';
import { assertProof } from './proof-args.js';
import { rangeNodes, splitPoint, type TreeNode } from './tree-math.js';

export interface InclusionProofInput {
  /** Zero-based index of the leaf. */
  readonly index: number;
  /** Number of leaves in the tree the proof is for. */
  readonly size: number;
  /** The leaf's hash, `leafHash(entry)`. */
  readonly leafHash: Uint8Array;
  /** Sibling hashes from the leaf up (RFC 9162 `inclusion_path`). */
  readonly proof: readonly Uint8Array[];
  /** The root hash of the tree of `size` leaves. */
  readonly rootHash: Uint8Array;
}

function assertIndexInTree(index: number, size: number): void {
  assertCount(index, 'index');
  assertCount(size, 'size');
  if (index >= size) throw new RangeError('index must be less than size');
}

/**
 * The subtrees whose hashes form the proof, bottom-up; each proof element is the fold of one
 * inner list (RFC 9162 PATH, unrolled).
 *
 * @throws {RangeError} when `index` ≥ `size` or either is not a non-negative safe integer.
 */
export function inclusionProofNodes(index: number, size: number): TreeNode[][] {
  assertIndexInTree(index, size);
  const ranges: TreeNode[][] = [];
  let lo = 0;
  let hi = size;
  while (hi - lo > 1) {
    const k = splitPoint(hi - lo);
    if (index - lo < k) {
      ranges.push(rangeNodes(lo + k, hi));
      hi = lo + k;
    } else {
      ranges.push(rangeNodes(lo, lo + k));
      lo += k;
    }
  }
  return ranges.reverse();
}

/**
 * @example
 * const proof = await generateInclusionProof(5, checkpoint.size, reader);
 * @throws {TypeError} when an argument has the wrong type.
 * @throws {RangeError} when `index` ≥ `size`.
 * @throws {TlogError} whatever the reader throws (`missing`, `corrupt`).
 */
export async function generateInclusionProof(index: number, size: number, reader: HashReader): Promise<Uint8Array[]> {
  assertFunction(reader, 'reader');
  return readRangeHashes(reader, inclusionProofNodes(index, size));
}

/**
 * The root hash a proof leads to (RFC 9162 §2.1.3.2, steps 1–4), for callers that compare it
 * themselves.
 *
 * @throws {TypeError} when an argument has the wrong type.
 * @throws {RangeError} when `index` ≥ `size` or a hash is not 32 bytes long.
 * @throws {TlogError} `proof` when the proof has the wrong length for `index` and `size`.
 */
export function rootFromInclusionProof(
  index: number,
  size: number,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
): Uint8Array {
  assertIndexInTree(index, size);
  assertBytes(leafHash, 'leafHash', HASH_SIZE);
  assertProof(proof);
  let fn = index;
  let sn = size - 1;
  let r = leafHash;
  for (const p of proof) {
    if (sn === 0) throw new TlogError('proof', 'inclusion proof has more hashes than the tree has levels');
    if (fn % 2 === 1 || fn === sn) {
      r = hashChildren(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn /= 2;
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = hashChildren(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) throw new TlogError('proof', 'inclusion proof has fewer hashes than the tree has levels');
  return r;
}

/**
 * @example
 * assertInclusion({ index, size, leafHash: leafHash(entry), proof, rootHash: checkpoint.rootHash });
 * @throws {TypeError} when an argument has the wrong type.
 * @throws {RangeError} when `index` ≥ `size` or a hash is not 32 bytes long.
 * @throws {TlogError} `proof` when the proof does not lead to `rootHash`.
 */
export function assertInclusion(input: InclusionProofInput): void {
  checkObject(input, 'input');
  assertBytes(input.rootHash, 'rootHash', HASH_SIZE);
  const root = rootFromInclusionProof(input.index, input.size, input.leafHash, input.proof);
  if (!bytesEqual(root, input.rootHash)) throw new TlogError('proof', 'inclusion proof does not lead to the root hash');
}

/**
 * Never throws: bad arguments and failed proofs both come back as a failed `inclusion` check.
 *
 * @example
 * const { ok, issues } = verifyInclusion({ index, size, leafHash, proof, rootHash });
 */
export function verifyInclusion(input: InclusionProofInput): Verification {
  const checks = new CheckList();
  try {
    assertInclusion(input);
    checks.pass('inclusion', `leaf ${input.index} is in the tree of size ${input.size}`);
  } catch (error) {
    checks.fail('inclusion', errorMessage(error));
  }
  return checks.result();
}
