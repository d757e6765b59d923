/**
 * Proof generation against a direct transcription of RFC 9162's recursive definitions (MTH, PATH,
 * PROOF), for every index and size pair of small trees; verification of what is generated; and
 * tampering (bit flips, wrong indexes, wrong sizes, extra or missing hashes) being rejected.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { toHex } from '../encoding/bytes.js';
import {
  assertConsistency,
  consistencyProofNodes,
  generateConsistencyProof,
  verifyConsistency,
} from './consistency.js';
import { EMPTY_ROOT, leafHash, nodeHash } from './hash.js';
import { createMemoryHashReader } from './hash-reader.js';
import {
  assertInclusion,
  generateInclusionProof,
  inclusionProofNodes,
  rootFromInclusionProof,
  verifyInclusion,
} from './inclusion.js';
import { rootFromLeafHashes, rootFromReader } from './root.js';
import { splitPoint } from './tree-math.js';

const entries = Array.from({ length: 70 }, (_, i) => new TextEncoder().encode(`entry ${i}`));
const leaves = entries.map(leafHash);
const reader = createMemoryHashReader(leaves);

function mth(d: Uint8Array[]): Uint8Array {
  if (d.length === 0) return sha256(new Uint8Array(0));
  if (d.length === 1) return d[0]!;
  const k = splitPoint(d.length);
  return nodeHash(mth(d.slice(0, k)), mth(d.slice(k)));
}
function path(m: number, d: Uint8Array[]): Uint8Array[] {
  if (d.length === 1) return [];
  const k = splitPoint(d.length);
  return m < k ? [...path(m, d.slice(0, k)), mth(d.slice(k))] : [...path(m - k, d.slice(k)), mth(d.slice(0, k))];
}
function subproof(m: number, d: Uint8Array[], b: boolean): Uint8Array[] {
  if (m === d.length) return b ? [] : [mth(d)];
  const k = splitPoint(d.length);
  return m <= k
    ? [...subproof(m, d.slice(0, k), b), mth(d.slice(k))]
    : [...subproof(m - k, d.slice(k), false), mth(d.slice(0, k))];
}
const hex = (list: Uint8Array[]): string[] => list.map(toHex);
const flip = (h: Uint8Array): Uint8Array => {
  const c = h.slice();
  c[0]! ^= 1;
  return c;
};

describe('Merkle hashing', () => {
  it('uses the RFC 6962 prefixes and the empty-tree root', () => {
    expect(toHex(EMPTY_ROOT)).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(toHex(leafHash(new Uint8Array(0)))).toBe('6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d');
    expect(toHex(nodeHash(leaves[0]!, leaves[1]!))).toBe(
      toHex(sha256(new Uint8Array([1, ...leaves[0]!, ...leaves[1]!]))),
    );
  });

  it('matches one-shot SHA-256 for every entry length, interleaved (the scratch hasher leaks no state)', () => {
    let previous = leaves[0]!;
    for (let n = 0; n < 300; n++) {
      const e = Uint8Array.from({ length: n }, (_, i) => (i * 31 + n) & 0xff);
      expect(toHex(leafHash(e)), `length ${n}`).toBe(toHex(sha256(new Uint8Array([0, ...e]))));
      const node = nodeHash(previous, leafHash(e));
      expect(toHex(node)).toBe(toHex(sha256(new Uint8Array([1, ...previous, ...leafHash(e)]))));
      previous = node;
    }
  });

  it('computes roots like the recursive MTH, from leaves and from a reader', async () => {
    expect(toHex(rootFromLeafHashes([]))).toBe(toHex(EMPTY_ROOT));
    for (let n = 1; n <= leaves.length; n++) {
      const want = toHex(mth(leaves.slice(0, n)));
      expect(toHex(rootFromLeafHashes(leaves.slice(0, n))), `size ${n}`).toBe(want);
      expect(toHex(await rootFromReader(n, reader)), `size ${n}`).toBe(want);
    }
  });

  it('rejects malformed arguments with TypeError / RangeError naming them', () => {
    expect(() => leafHash('x' as unknown as Uint8Array)).toThrow(TypeError);
    expect(() => nodeHash(new Uint8Array(31), leaves[0]!)).toThrow(/left must be 32 bytes/);
    expect(() => rootFromLeafHashes([leaves[0]!, new Uint8Array(3)])).toThrow(/leafHashes\[1\]/);
    expect(() => inclusionProofNodes(3, 3)).toThrow(RangeError);
    expect(() => consistencyProofNodes(0, 3)).toThrow(/size1 must be positive/);
    expect(() => consistencyProofNodes(4, 3)).toThrow(/size1 must not exceed size2/);
  });
});

describe('inclusion proofs', () => {
  it('generates RFC 9162 PATH for every index of every size up to 70, and verifies them', async () => {
    for (let n = 1; n <= leaves.length; n++) {
      const root = mth(leaves.slice(0, n));
      for (let i = 0; i < n; i++) {
        const proof = await generateInclusionProof(i, n, reader);
        expect(hex(proof), `index ${i} size ${n}`).toEqual(hex(path(i, leaves.slice(0, n))));
        expect(verifyInclusion({ index: i, size: n, leafHash: leaves[i]!, proof, rootHash: root }).ok).toBe(true);
      }
    }
  });

  it('rejects tampered proofs, leaves, indexes and sizes', async () => {
    const n = 45;
    const root = mth(leaves.slice(0, n));
    for (const i of [0, 7, 31, 32, 44]) {
      const proof = await generateInclusionProof(i, n, reader);
      const base = { index: i, size: n, leafHash: leaves[i]!, proof, rootHash: root };
      proof.forEach((_, j) => {
        const bad = proof.map((p, k) => (k === j ? flip(p) : p));
        expect(verifyInclusion({ ...base, proof: bad }).ok, `flip ${j}`).toBe(false);
      });
      expect(verifyInclusion({ ...base, leafHash: flip(leaves[i]!) }).ok).toBe(false);
      expect(verifyInclusion({ ...base, index: (i + 1) % n }).ok).toBe(false);
      expect(verifyInclusion({ ...base, size: n * 2 }).ok).toBe(false);
      expect(verifyInclusion({ ...base, proof: proof.slice(1) }).ok).toBe(false);
      expect(verifyInclusion({ ...base, proof: [...proof, root] }).ok).toBe(false);
      expect(verifyInclusion({ ...base, rootHash: flip(root) }).ok).toBe(false);
    }
  });

  it('reports through verify and throws through assert', () => {
    const bad = { index: 5, size: 3, leafHash: leaves[0]!, proof: [], rootHash: EMPTY_ROOT };
    expect(verifyInclusion(bad)).toMatchObject({
      ok: false,
      checks: [{ id: 'inclusion', ok: false }],
      issues: ['index must be less than size'],
    });
    expect(() => assertInclusion(bad)).toThrow(RangeError);
    expect(() => assertInclusion({ ...bad, index: 0, size: 2, proof: [leaves[1]!] })).toThrow(
      /does not lead to the root/,
    );
    expect(() => rootFromInclusionProof(0, 2, leaves[0]!, [new Uint8Array(5)])).toThrow(/proof\[0\] must be 32 bytes/);
  });
});

describe('consistency proofs', () => {
  it('generates RFC 9162 PROOF for every size pair up to 40, and verifies them', async () => {
    for (let n = 1; n <= 40; n++) {
      const root2 = mth(leaves.slice(0, n));
      for (let m = 1; m <= n; m++) {
        const proof = await generateConsistencyProof(m, n, reader);
        expect(hex(proof), `${m} → ${n}`).toEqual(m === n ? [] : hex(subproof(m, leaves.slice(0, n), true)));
        const root1 = mth(leaves.slice(0, m));
        expect(
          verifyConsistency({ size1: m, size2: n, proof, rootHash1: root1, rootHash2: root2 }).ok,
          `${m} → ${n}`,
        ).toBe(true);
      }
    }
  });

  it('rejects tampered proofs, roots and sizes', async () => {
    for (const [m, n] of [
      [3, 7],
      [4, 8],
      [6, 13],
      [16, 33],
      [31, 64],
    ] as const) {
      const proof = await generateConsistencyProof(m, n, reader);
      const base = {
        size1: m,
        size2: n,
        proof,
        rootHash1: mth(leaves.slice(0, m)),
        rootHash2: mth(leaves.slice(0, n)),
      };
      proof.forEach((_, j) => {
        const bad = proof.map((p, k) => (k === j ? flip(p) : p));
        expect(verifyConsistency({ ...base, proof: bad }).ok, `${m}→${n} flip ${j}`).toBe(false);
      });
      expect(verifyConsistency({ ...base, rootHash1: flip(base.rootHash1) }).ok).toBe(false);
      expect(verifyConsistency({ ...base, rootHash2: flip(base.rootHash2) }).ok).toBe(false);
      expect(verifyConsistency({ ...base, size1: m + 1 }).ok).toBe(false);
      expect(verifyConsistency({ ...base, size2: n * 2 }).ok).toBe(false);
      expect(verifyConsistency({ ...base, proof: proof.slice(0, -1) }).ok).toBe(false);
      expect(verifyConsistency({ ...base, proof: [...proof, base.rootHash1] }).ok).toBe(false);
    }
  });

  it('rejects proofs from the empty tree and between equal sizes with a proof', () => {
    const root = mth(leaves.slice(0, 1));
    expect(verifyConsistency({ size1: 0, size2: 1, proof: [], rootHash1: EMPTY_ROOT, rootHash2: root }).ok).toBe(false);
    expect(verifyConsistency({ size1: 1, size2: 1, proof: [root], rootHash1: root, rootHash2: root }).ok).toBe(false);
    expect(verifyConsistency({ size1: 1, size2: 1, proof: [], rootHash1: root, rootHash2: root }).ok).toBe(true);
    expect(() => assertConsistency({ size1: 2, size2: 1, proof: [], rootHash1: root, rootHash2: root })).toThrow(
      RangeError,
    );
  });

  it('reads each node once per proof, O(log n) of them', async () => {
    let reads = 0;
    const counting = async (nodes: Parameters<typeof reader>[0]) => {
      reads += nodes.length;
      return reader(nodes);
    };
    await generateInclusionProof(37, 70, counting);
    expect(reads).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(70)));
    expect(inclusionProofNodes(37, 70).flat().length).toBe(reads);
  });
});
