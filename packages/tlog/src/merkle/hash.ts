/**
 * RFC 6962 / RFC 9162 Merkle tree hashing with SHA-256: a leaf hashes as SHA-256(0x00 ‖ entry),
 * an interior node as SHA-256(0x01 ‖ left ‖ right), the empty tree as SHA-256(""). The prefixes
 * keep a leaf from ever being mistaken for a node (second-preimage resistance).
 *
 * Hashing is the whole cost of tiles and proofs, so the hot path reuses one noble SHA-256
 * instance: each digest clones the pristine initial state into a scratch hasher
 * (`_cloneInto`, part of noble's typed Hash API) instead of allocating a hasher per call, which
 * roughly halves the cost of a node hash. Safe because hashing here is synchronous.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { assertBytes } from '../validate.js';

/** Every hash in the tree is a SHA-256 digest. */
export const HASH_SIZE = 32;

type Hasher = ReturnType<typeof sha256.create>;
const pristine: Hasher = sha256.create();
let scratch: Hasher | undefined;
const LEAF_PREFIX = new Uint8Array([0]);
const nodeInput = new Uint8Array(1 + 2 * 32);
nodeInput[0] = 1;

/** A SHA-256 hasher in its initial state, reusing the scratch instance. */
function fresh(): Hasher {
  scratch = pristine._cloneInto(scratch);
  return scratch;
}

/** The root hash of the empty tree, SHA-256 of the empty string. */
export const EMPTY_ROOT: Uint8Array = sha256(new Uint8Array(0));

/**
 * @example
 * leafHash(new TextEncoder().encode('hello'));
 * @throws {TypeError} when `entry` is not a Uint8Array.
 */
export function leafHash(entry: Uint8Array): Uint8Array {
  assertBytes(entry, 'entry');
  const hasher = fresh();
  hasher.update(LEAF_PREFIX);
  hasher.update(entry);
  const out = new Uint8Array(HASH_SIZE);
  hasher.digestInto(out);
  return out;
}

/**
 * @example
 * nodeHash(leafHash(a), leafHash(b)); // root of the two-entry tree [a, b]
 * @throws {TypeError} when either argument is not a Uint8Array.
 * @throws {RangeError} when either is not 32 bytes long.
 */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  assertBytes(left, 'left', HASH_SIZE);
  assertBytes(right, 'right', HASH_SIZE);
  return hashChildren(left, right);
}

/** `nodeHash` without the argument checks, for loops over hashes already validated. */
export function hashChildren(left: Uint8Array, right: Uint8Array): Uint8Array {
  const out = new Uint8Array(HASH_SIZE);
  hashChildrenInto(left, right, out);
  return out;
}

/** `hashChildren` writing into `out` (32 bytes, may be a subarray), for tile expansion. */
export function hashChildrenInto(left: Uint8Array, right: Uint8Array, out: Uint8Array): void {
  nodeInput.set(left, 1);
  nodeInput.set(right, 1 + HASH_SIZE);
  const hasher = fresh();
  hasher.update(nodeInput);
  hasher.digestInto(out);
}
