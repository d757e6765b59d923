/**
 * Consistency proofs (RFC 9162 §2.1.4): which hashes prove that the tree of size1 is a prefix of
 * the tree of size2, generated from a `HashReader` in one batched read, and verified with the
 * RFC's §2.1.4.2 algorithm. A proof from the empty tree proves nothing and is always rejected.
 */
import { bytesEqual } from '../encoding/bytes.js';
import { TlogError } from '../errors.js';
import { assertBytes, assertCount, assertFunction, checkObject } from '../validate.js';
import { CheckList, errorMessage, type Verification } from '../verification.js';
import { HASH_SIZE, hashChildren } from './hash.js';
import { readRangeHashes, type HashReader } from './hash-reader.js';
import { assertProof } from './proof-args.js';
import { isPowerOfTwo, rangeNodes, splitPoint, type TreeNode } from './tree-math.js';

export interface ConsistencyProofInput {
  readonly size1: number;
  readonly size2: number;
  /** RFC 9162 `consistency_path`. */
  readonly proof: readonly Uint8Array[];
  readonly rootHash1: Uint8Array;
  readonly rootHash2: Uint8Array;
}

function assertSizes(size1: number, size2: number): void {
  assertCount(size1, 'size1');
  assertCount(size2, 'size2');
  if (size1 > size2) throw new RangeError('size1 must not exceed size2');
  if (size1 === 0)
    throw new RangeError('size1 must be positive: a consistency proof from the empty tree proves nothing');
}

/**
 * The subtrees whose hashes form the proof, bottom-up (RFC 9162 SUBPROOF, unrolled). Empty when
 * the sizes are equal.
 *
 * @throws {RangeError} when `size1` is 0 or exceeds `size2`.
 */
export function consistencyProofNodes(size1: number, size2: number): TreeNode[][] {
  assertSizes(size1, size2);
  const ranges: TreeNode[][] = [];
  let lo = 0;
  let hi = size2;
  let m = size1;
  let complete = true;
  for (;;) {
    if (m === hi - lo) {
      if (!complete) ranges.push(rangeNodes(lo, hi));
      break;
    }
    const k = splitPoint(hi - lo);
    if (m <= k) {
      ranges.push(rangeNodes(lo + k, hi));
      hi = lo + k;
    } else {
      ranges.push(rangeNodes(lo, lo + k));
      lo += k;
      m -= k;
      complete = false;
    }
  }
  return ranges.reverse();
}

/**
 * @example
 * const proof = await generateConsistencyProof(old.size, current.size, reader);
 * @throws {TypeError} when `reader` is not a function.
 * @throws {RangeError} when `size1` is 0 or exceeds `size2`.
 * @throws {TlogError} whatever the reader throws (`missing`, `corrupt`).
 */
export async function generateConsistencyProof(
  size1: number,
  size2: number,
  reader: HashReader,
): Promise<Uint8Array[]> {
  assertFunction(reader, 'reader');
  return readRangeHashes(reader, consistencyProofNodes(size1, size2));
}

function shiftWhileOdd(fn: number, sn: number): [number, number] {
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return [fn, sn];
}

/**
 * When the sizes are equal nothing is hashed: the proof must be empty and the roots identical
 * (compared byte for byte, as the transparency-dev vectors expect).
 *
 * @example
 * assertConsistency({ size1: old.size, size2: cur.size, proof, rootHash1: old.rootHash, rootHash2: cur.rootHash });
 * @throws {TypeError} when an argument has the wrong type.
 * @throws {RangeError} when `size1` is 0 or exceeds `size2`, or a hash is not 32 bytes long.
 * @throws {TlogError} `proof` when the proof does not link the two roots.
 */
export function assertConsistency(input: ConsistencyProofInput): void {
  checkObject(input, 'input');
  const { size1, size2, proof, rootHash1, rootHash2 } = input;
  assertSizes(size1, size2);
  assertBytes(rootHash1, 'rootHash1');
  assertBytes(rootHash2, 'rootHash2');
  assertProof(proof);
  if (size1 === size2) {
    if (proof.length > 0) throw new TlogError('proof', 'consistency proof must be empty when size1 equals size2');
    if (!bytesEqual(rootHash1, rootHash2))
      throw new TlogError('proof', 'trees of equal size have different root hashes');
    return;
  }
  assertBytes(rootHash1, 'rootHash1', HASH_SIZE);
  assertBytes(rootHash2, 'rootHash2', HASH_SIZE);
  if (proof.length === 0) throw new TlogError('proof', 'consistency proof is empty');

  // RFC 9162 §2.1.4.2.
  const path = isPowerOfTwo(size1) ? [rootHash1, ...proof] : [...proof];
  let [fn, sn] = shiftWhileOdd(size1 - 1, size2 - 1);
  let fr = path[0]!;
  let sr = path[0]!;
  for (let i = 1; i < path.length; i++) {
    const c = path[i]!;
    if (sn === 0) throw new TlogError('proof', 'consistency proof has more hashes than the trees need');
    if (fn % 2 === 1 || fn === sn) {
      fr = hashChildren(c, fr);
      sr = hashChildren(c, sr);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn /= 2;
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      sr = hashChildren(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) throw new TlogError('proof', 'consistency proof has fewer hashes than the trees need');
  if (!bytesEqual(fr, rootHash1))
    throw new TlogError('proof', 'consistency proof does not lead to the first root hash');
  if (!bytesEqual(sr, rootHash2))
    throw new TlogError('proof', 'consistency proof does not lead to the second root hash');
}

/**
 * Never throws: bad arguments and failed proofs both come back as a failed `consistency` check.
 *
 * @example
 * const { ok } = verifyConsistency({ size1, size2, proof, rootHash1, rootHash2 });
 */
export function verifyConsistency(input: ConsistencyProofInput): Verification {
  const checks = new CheckList();
  try {
    assertConsistency(input);
    checks.pass('consistency', `the tree of size ${input.size1} is a prefix of the tree of size ${input.size2}`);
  } catch (error) {
    checks.fail('consistency', errorMessage(error));
  }
  return checks.result();
}
