/**
 * The transparency-dev RFC 6962 inclusion and consistency vectors from ../shared/vectors/merkle:
 * every happy path verifies through both APIs and every `wantErr` case is rejected by both.
 */
import { describe, expect, it } from 'vitest';
import { decodeBase64 } from '../encoding/base64.js';
import { readJsonVectors } from '../testing/vectors.js';
import { assertConsistency, verifyConsistency } from './consistency.js';
import { assertInclusion, verifyInclusion } from './inclusion.js';

interface InclusionVector {
  leafIdx: number;
  treeSize: number;
  root: string;
  leafHash: string;
  proof: string[] | null;
  desc: string;
  wantErr: boolean;
}

interface ConsistencyVector {
  size1: number;
  size2: number;
  root1: string;
  root2: string;
  proof: string[] | null;
  desc: string;
  wantErr: boolean;
}

const inclusion = readJsonVectors('merkle/inclusion') as [string, InclusionVector][];
const consistency = readJsonVectors('merkle/consistency') as [string, ConsistencyVector][];

describe('merkle vectors', () => {
  it('finds the vector files (both kinds, with happy paths and wantErr cases)', () => {
    expect(inclusion.length).toBeGreaterThan(50);
    expect(consistency.length).toBeGreaterThan(80);
    expect(inclusion.some(([, v]) => !v.wantErr)).toBe(true);
    expect(inclusion.some(([, v]) => v.wantErr)).toBe(true);
    expect(consistency.some(([, v]) => !v.wantErr)).toBe(true);
    expect(consistency.some(([, v]) => v.wantErr)).toBe(true);
  });

  it.each(inclusion)('inclusion %s', (_name, v) => {
    const input = {
      index: v.leafIdx,
      size: v.treeSize,
      leafHash: decodeBase64(v.leafHash),
      proof: (v.proof ?? []).map(decodeBase64),
      rootHash: decodeBase64(v.root),
    };
    const result = verifyInclusion(input);
    expect(result.ok, `${v.desc}: ${result.issues.join('; ')}`).toBe(!v.wantErr);
    if (v.wantErr) expect(() => assertInclusion(input)).toThrow();
    else expect(() => assertInclusion(input)).not.toThrow();
  });

  it.each(consistency)('consistency %s', (_name, v) => {
    const input = {
      size1: v.size1,
      size2: v.size2,
      proof: (v.proof ?? []).map(decodeBase64),
      rootHash1: decodeBase64(v.root1),
      rootHash2: decodeBase64(v.root2),
    };
    const result = verifyConsistency(input);
    expect(result.ok, `${v.desc}: ${result.issues.join('; ')}`).toBe(!v.wantErr);
    if (v.wantErr) expect(() => assertConsistency(input)).toThrow();
    else expect(() => assertConsistency(input)).not.toThrow();
  });
});
