/** The compact range (right edge) that the appender advances: roots, sink reports, and checks. */
import { describe, expect, it } from 'vitest';
import { toHex } from '../encoding/bytes.js';
import { CompactRange } from './compact-range.js';
import { leafHash } from './hash.js';
import { createMemoryHashReader } from './hash-reader.js';
import { rootFromLeafHashes } from './root.js';
import { rangeNodes } from './tree-math.js';

const leaves = Array.from({ length: 300 }, (_, i) => leafHash(new Uint8Array([i & 0xff, i >> 8])));

describe('CompactRange', () => {
  it('has the root of every prefix and can be rebuilt from its nodes', async () => {
    const range = new CompactRange();
    const reader = createMemoryHashReader(leaves);
    for (let n = 0; n < leaves.length; n++) {
      expect(toHex(range.root()), `size ${n}`).toBe(toHex(rootFromLeafHashes(leaves.slice(0, n))));
      if (n % 37 === 0) {
        const rebuilt = new CompactRange(n, n === 0 ? [] : await reader(rangeNodes(0, n)));
        expect(toHex(rebuilt.root())).toBe(toHex(range.root()));
      }
      range.append(leaves[n]!);
    }
    expect(range.size).toBe(leaves.length);
  });

  it('reports every node it creates, with the right level and index', async () => {
    const seen: string[] = [];
    const range = new CompactRange();
    for (let n = 0; n < 8; n++) range.append(leaves[n]!, (level, index) => seen.push(`${level}/${index}`));
    expect(seen).toEqual([
      '0/0',
      '0/1',
      '1/0',
      '0/2',
      '0/3',
      '1/1',
      '2/0',
      '0/4',
      '0/5',
      '1/2',
      '0/6',
      '0/7',
      '1/3',
      '2/1',
      '3/0',
    ]);
    const reader = createMemoryHashReader(leaves.slice(0, 8));
    let top: Uint8Array | undefined;
    new CompactRange(7, await reader(rangeNodes(0, 7))).append(leaves[7]!, (level, _i, hash) => {
      if (level === 3) top = hash;
    });
    expect(toHex(top!)).toBe(toHex(rootFromLeafHashes(leaves.slice(0, 8))));
  });

  it('rejects hashes that do not match the size', () => {
    expect(() => new CompactRange(3, [leaves[0]!])).toThrow(RangeError);
    expect(() => new CompactRange(1, [new Uint8Array(5)])).toThrow(/hashes\[0\] must be 32 bytes/);
    expect(() => new CompactRange(-1)).toThrow(RangeError);
  });

  it('clones independently', () => {
    const a = new CompactRange();
    a.append(leaves[0]!);
    const b = a.clone();
    b.append(leaves[1]!);
    expect(a.size).toBe(1);
    expect(b.size).toBe(2);
    expect(toHex(a.root())).toBe(toHex(leaves[0]!));
  });
});
