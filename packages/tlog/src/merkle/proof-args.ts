/**
 * Argument checks shared by the inclusion and consistency proof functions, so both reject the
 * same malformed inputs with the same messages.
 */
import { assertArray, assertBytes } from '../validate.js';
import { HASH_SIZE } from './hash.js';

/** A proof never needs more hashes than a tree of 2^64 leaves would: one per level, twice. */
export const MAX_PROOF_LENGTH = 128;

/**
 * @throws {TypeError} when `proof` is not an array of Uint8Array.
 * @throws {RangeError} when it is too long or an element is not 32 bytes long.
 */
export function assertProof(proof: unknown, name = 'proof'): asserts proof is readonly Uint8Array[] {
  assertArray(proof, name, MAX_PROOF_LENGTH);
  proof.forEach((p, i) => assertBytes(p, `${name}[${i}]`, HASH_SIZE));
}
