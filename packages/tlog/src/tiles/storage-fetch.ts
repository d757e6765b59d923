/**
 * Serves a `TileStorage` by tlog-tiles path, as a fetch function `(path) => bytes | null`: what
 * an HTTP route hands out, and what `verifyTileLog` reads, so tests can verify a log straight
 * from its storage. Unknown or malformed paths answer null (a 404), never an error.
 */
import { TlogError } from '../errors.js';
import { assertFunction, checkObject } from '../validate.js';
import { parseTilePath } from './tile-path.js';
import type { TileStorage } from './tile-storage.js';

/** Fetches one tlog-tiles resource by its path relative to the log prefix; null when absent. */
export type TileFetch = (path: string) => Promise<Uint8Array | null>;

/**
 * @example
 * app.get('/log/*', async (c) => { const body = await fetchFromStorage(c.req.path.slice(5)); … });
 * @throws {TypeError} when `storage` does not look like a TileStorage.
 */
export function createStorageFetch(storage: TileStorage): TileFetch {
  checkObject(storage, 'storage');
  assertFunction(storage.readTile, 'storage.readTile');
  assertFunction(storage.readEntryBundle, 'storage.readEntryBundle');
  assertFunction(storage.readCheckpoint, 'storage.readCheckpoint');
  return async (path) => {
    let resource;
    try {
      resource = parseTilePath(path);
    } catch (error) {
      if (TlogError.isInstance(error)) return null;
      throw error;
    }
    switch (resource.kind) {
      case 'checkpoint':
        return storage.readCheckpoint();
      case 'tile':
        return storage.readTile(resource.tile);
      case 'entries':
        return storage.readEntryBundle(resource.bundle);
    }
  };
}
