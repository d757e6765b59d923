/** The in-memory storage: the shared conformance suite plus its own commit validation. */
import { describe, expect, it } from 'vitest';
import { TlogError } from '../errors.js';
import { createMemoryTileStorage } from './memory-storage.js';
import { describeTileStorageConformance } from './storage-conformance.js';

describe('memory tile storage', () => {
  // One store per fixture; every open() is a handle on the same store.
  describeTileStorageConformance('memory', async () => {
    const storage = createMemoryTileStorage();
    return { open: async () => storage };
  });

  it('refuses commits that rewrite stored hashes or carry malformed data', async () => {
    const storage = createMemoryTileStorage();
    const tile = (fill: number, width: number) => ({
      tile: { level: 0, index: 0, width },
      data: new Uint8Array(width * 32).fill(fill),
    });
    await storage.commit({
      previousSize: 0,
      size: 1,
      tiles: [tile(1, 1)],
      entryBundles: [],
      checkpoint: new Uint8Array(1),
    });
    await expect(
      storage.commit({
        previousSize: 1,
        size: 2,
        tiles: [tile(2, 2)],
        entryBundles: [],
        checkpoint: new Uint8Array(1),
      }),
    ).rejects.toSatisfy((e: unknown) => TlogError.isInstance(e) && e.code === 'corrupt');
    await expect(
      storage.commit({
        previousSize: 1,
        size: 2,
        tiles: [{ tile: { level: 0, index: 0, width: 2 }, data: new Uint8Array(5) }],
        entryBundles: [],
        checkpoint: new Uint8Array(1),
      }),
    ).rejects.toThrow(/commit.tiles\[0\].data must be 64 bytes/);
    await expect(
      storage.commit({
        previousSize: 1,
        size: 2,
        tiles: [],
        entryBundles: [{ bundle: { index: 0, width: 2 }, data: new Uint8Array([0, 5]) }],
        checkpoint: new Uint8Array(1),
      }),
    ).rejects.toThrow(TlogError);
    expect(storage.size).toBe(1);
    expect(storage.stats()).toMatchObject({ tiles: 1, tileBytes: 32 });
  });
});
