/** Tile paths, entry bundles and tile geometry, against the examples in c2sp.org/tlog-tiles. */
import { describe, expect, it } from 'vitest';
import { TlogError } from '../errors.js';
import { decodeEntryBundle, encodeEntryBundle, entryBundlePrefixLength } from './entry-bundle.js';
import { locateNode, partialTiles, tileWidth } from './tile-geometry.js';
import { entryBundlePath, formatTileIndex, parseTilePath, tilePath } from './tile-path.js';

describe('tile paths', () => {
  it('encodes indexes in x-prefixed 3-digit groups', () => {
    expect(formatTileIndex(1234067)).toBe('x001/x234/067');
    expect(formatTileIndex(0)).toBe('000');
    expect(formatTileIndex(5)).toBe('005');
    expect(formatTileIndex(1000)).toBe('x001/000');
    expect(formatTileIndex(999999)).toBe('x999/999');
  });

  it('formats tiles and bundles, full and partial, and parses them back', () => {
    const cases = [
      ['tile/0/x001/x234/067', { kind: 'tile', tile: { level: 0, index: 1234067, width: 256 } }],
      ['tile/1/002.p/17', { kind: 'tile', tile: { level: 1, index: 2, width: 17 } }],
      ['tile/63/000.p/1', { kind: 'tile', tile: { level: 63, index: 0, width: 1 } }],
      ['tile/entries/x001/234.p/255', { kind: 'entries', bundle: { index: 1234, width: 255 } }],
      ['tile/entries/000', { kind: 'entries', bundle: { index: 0, width: 256 } }],
      ['checkpoint', { kind: 'checkpoint' }],
    ] as const;
    for (const [path, resource] of cases) {
      expect(parseTilePath(path)).toEqual(resource);
      if (resource.kind === 'tile') expect(tilePath(resource.tile)).toBe(path);
      if (resource.kind === 'entries') expect(entryBundlePath(resource.bundle)).toBe(path);
    }
  });

  it.each([
    'tile/0/5',
    'tile/0/x000/005',
    'tile/00/000',
    'tile/64/000',
    'tile/0/000.p/0',
    'tile/0/000.p/256',
    'tile/0/000.p/05',
    'tile/entries/001.p/',
    'tile/0/001/002',
    '/checkpoint',
    'tile/-1/000',
    '',
  ])('rejects the non-canonical path %j', (path) => {
    expect(() => parseTilePath(path)).toThrow(TlogError);
  });

  it('rejects out-of-range arguments', () => {
    expect(() => tilePath({ level: 64, index: 0, width: 1 })).toThrow(RangeError);
    expect(() => tilePath({ level: 0, index: 0, width: 0 })).toThrow(RangeError);
    expect(() => entryBundlePath({ index: -1, width: 3 })).toThrow(RangeError);
  });
});

describe('tile geometry', () => {
  it('matches the spec example for a tree of 70,000 entries', () => {
    expect(partialTiles(70000)).toEqual([
      { level: 0, index: 273, width: 112 },
      { level: 1, index: 1, width: 17 },
      { level: 2, index: 0, width: 1 },
    ]);
    expect(tileWidth(70000, 0, 272)).toBe(256);
    expect(tileWidth(70000, 1, 0)).toBe(256);
    expect(partialTiles(256)).toEqual([{ level: 1, index: 0, width: 1 }]);
    expect(partialTiles(0)).toEqual([]);
  });

  it('locates subtrees inside tiles', () => {
    expect(locateNode({ level: 12, index: 16 }, 70000)).toEqual({
      tile: { level: 1, index: 1, width: 17 },
      offset: 0,
      subLevel: 4,
    });
    expect(locateNode({ level: 3, index: 40 }, 70000)).toEqual({
      tile: { level: 0, index: 1, width: 256 },
      offset: 64,
      subLevel: 3,
    });
  });
});

describe('entry bundles', () => {
  const entries = [new Uint8Array([1]), new Uint8Array(0), new Uint8Array(300).fill(7)];

  it('length-prefixes entries with a big-endian uint16', () => {
    const bundle = encodeEntryBundle(entries);
    expect([...bundle.subarray(0, 5)]).toEqual([0, 1, 1, 0, 0]);
    expect([...bundle.subarray(5, 7)]).toEqual([1, 44]);
    expect(decodeEntryBundle(bundle, 3).map((e) => e.length)).toEqual([1, 0, 300]);
    expect(entryBundlePrefixLength(bundle, 2)).toBe(5);
  });

  it('rejects truncated, padded or miscounted bundles and oversized entries', () => {
    const bundle = encodeEntryBundle(entries);
    expect(() => decodeEntryBundle(bundle.subarray(0, bundle.length - 1), 3)).toThrow(TlogError);
    expect(() => decodeEntryBundle(new Uint8Array([...bundle, 0]), 3)).toThrow(TlogError);
    expect(() => decodeEntryBundle(bundle, 2)).toThrow(/more than 2/);
    expect(() => decodeEntryBundle(bundle, 4)).toThrow(/expected 4/);
    expect(() => encodeEntryBundle([new Uint8Array(65536)])).toThrow(/entries\[0\] must be at most 65535 bytes/);
    expect(() => encodeEntryBundle(Array.from({ length: 257 }, () => new Uint8Array(0)))).toThrow(RangeError);
  });
});
