/**
 * Node-only: a `TileStorage` on a directory, in the tlog-tiles layout, so the directory can be
 * served as-is by any static file server. Every file is written to a temporary name and renamed,
 * and the checkpoint is renamed last, so a reader (or a crash) never sees a checkpoint whose
 * tiles are not all in place. Commits from handles in one process are serialised; the directory
 * must have a single writing process. Old partial tiles are kept, as the spec requires.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { parseCheckpoint } from '../checkpoint/checkpoint.js';
import { utf8Decode } from '../encoding/bytes.js';
import { TlogError } from '../errors.js';
import { parseNote } from '../note/note.js';
import { decodeEntryBundle } from '../tiles/entry-bundle.js';
import { CHECKPOINT_PATH, entryBundlePath, tilePath } from '../tiles/tile-path.js';
import { assertTileCommit, assertTileRef, type TileStorage } from '../tiles/tile-storage.js';
import { assertString } from '../validate.js';
import { readFileOrNull } from './directory-fetch.js';

/** One commit at a time per directory within this process. */
const locks = new Map<string, Promise<unknown>>();

async function withLock<T>(key: string, run: () => Promise<T>): Promise<T> {
  const previous = locks.get(key) ?? Promise.resolve();
  const next = previous.then(run, run);
  const settled = next.catch(() => undefined);
  locks.set(key, settled);
  try {
    return await next;
  } finally {
    if (locks.get(key) === settled) locks.delete(key);
  }
}

async function writeAtomically(path: string, data: Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(temporary, data);
  await rename(temporary, path);
}

/**
 * @example
 * const storage = createDirectoryTileStorage('./log');
 * const appender = await createAppender({ storage, signer });
 * @throws {TypeError} when `directory` is not a string.
 */
export function createDirectoryTileStorage(directory: string): TileStorage {
  assertString(directory, 'directory', 1);
  const root = resolve(directory);
  const file = (path: string): string => join(root, ...path.split('/'));

  const storedSize = async (): Promise<number> => {
    const note = await readFileOrNull(file(CHECKPOINT_PATH));
    if (note === null) return 0;
    try {
      return parseCheckpoint(parseNote(utf8Decode(note)).text).size;
    } catch (error) {
      throw new TlogError('corrupt', 'the stored checkpoint cannot be parsed', { cause: error });
    }
  };

  return {
    readCheckpoint: () => readFileOrNull(file(CHECKPOINT_PATH)),

    async readTile(tile) {
      assertTileRef(tile, 'tile');
      return readFileOrNull(file(tilePath(tile)));
    },

    async readEntryBundle(bundle) {
      assertTileRef(bundle, 'bundle');
      return readFileOrNull(file(entryBundlePath(bundle)));
    },

    async commit(commit) {
      assertTileCommit(commit);
      for (const { bundle, data } of commit.entryBundles) decodeEntryBundle(data, bundle.width);
      await withLock(root, async () => {
        const size = await storedSize();
        if (size !== commit.previousSize)
          throw new TlogError('conflict', `storage is at size ${size}, not ${commit.previousSize}`);
        await Promise.all([
          ...commit.tiles.map(({ tile, data }) => writeAtomically(file(tilePath(tile)), data)),
          ...commit.entryBundles.map(({ bundle, data }) => writeAtomically(file(entryBundlePath(bundle)), data)),
        ]);
        await writeAtomically(file(CHECKPOINT_PATH), commit.checkpoint);
      });
    },
  };
}
