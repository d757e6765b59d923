/**
 * Where the SQLite database lives and who may read it. The database holds key hashes and (later)
 * billing data, so the data directory is created owner-only (0700) and the database file, with
 * its -wal/-shm companions, is kept owner-only (0600) before SQLite ever opens it.
 */

import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';

/** File name of the database inside a data directory. */
export const SQLITE_FILE_NAME = 'saferouter.db';

/** SQLite's in-memory database name; no file, so no permissions to manage. */
export const SQLITE_MEMORY = ':memory:';

/** SQLite creates these next to the database in WAL mode, with the database file's mode. */
const COMPANION_SUFFIXES = ['-wal', '-shm', '-journal'] as const;

/**
 * Resolves `dataDir` to the database path, creating the directory (0700) when missing. An
 * existing directory's mode is left alone: it belongs to whoever created it.
 *
 * @example
 * prepareDataDir('/var/lib/saferouter'); // '/var/lib/saferouter/saferouter.db'
 * @throws {Error} from node:fs when the directory cannot be created.
 */
export function prepareDataDir(dataDir: string): string {
  const created = mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  // mkdir's mode is filtered by the umask; chmod makes 0700 exact for the directory we made.
  if (created !== undefined) chmodSync(dataDir, 0o700);
  return join(dataDir, SQLITE_FILE_NAME);
}

/**
 * Makes sure the database file exists with mode 0600 before SQLite opens it. SQLite would create
 * it 0644 (minus umask), and it derives the -wal and -shm modes from the main file, so fixing
 * the main file first keeps every companion private too. Leftover companions from an earlier
 * run are tightened as well.
 *
 * @example
 * securePath('/var/lib/saferouter/saferouter.db');
 * @throws {Error} from node:fs when the file cannot be created or its mode changed.
 */
export function securePath(path: string): void {
  if (path === SQLITE_MEMORY) return;
  // 'a' creates without truncating an existing database; the 0600 applies only on creation.
  closeSync(openSync(path, 'a', 0o600));
  chmodSync(path, 0o600);
  for (const suffix of COMPANION_SUFFIXES) {
    const companion = path + suffix;
    if (existsSync(companion)) chmodSync(companion, 0o600);
  }
}
