/**
 * Node-only: reads a tiled log laid out as files under a directory (`checkpoint`,
 * `tile/0/000`, `tile/entries/000.p/5`, …), as a `TileFetch`. Only canonical tlog-tiles paths
 * are read, so a path can never escape the directory.
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { TlogError } from '../errors.js';
import type { TileFetch } from '../tiles/storage-fetch.js';
import { parseTilePath } from '../tiles/tile-path.js';
import { assertString } from '../validate.js';

function isNotFound(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** Reads a file, or null when it does not exist. */
export async function readFileOrNull(path: string): Promise<Uint8Array | null> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (error) {
    if (isNotFound(error)) return null;
    throw error;
  }
}

/**
 * @example
 * await verifyTileLog({ fetch: createDirectoryTileFetch('./log'), verifier });
 * @throws {TypeError} when `directory` is not a string.
 */
export function createDirectoryTileFetch(directory: string): TileFetch {
  assertString(directory, 'directory', 1);
  const root = resolve(directory);
  return async (path) => {
    try {
      parseTilePath(path);
    } catch (error) {
      if (TlogError.isInstance(error)) return null;
      throw error;
    }
    return readFileOrNull(join(root, ...path.split('/')));
  };
}
