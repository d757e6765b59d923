/**
 * Transparency logs on SQLite (see tlog-types.ts). A commit is one `BEGIN IMMEDIATE`
 * transaction: the size check, every tile and bundle, and the checkpoint, or nothing. Tiles and
 * bundles are only ever widened (`ON CONFLICT … WHERE` the new version is wider). The commit's
 * body is exported apart from its transaction, so the audit store can run it together with
 * other writes (`prepareSqliteTlogCommit`).
 */
import { resolve } from 'node:path';
import type Database from 'better-sqlite3';
import { TlogError } from '@saferouter/tlog';
import {
  assertBundleRef,
  assertLogName,
  assertTileRef,
  assertTlogCommit,
  bundlePrefix,
  createMutex,
  tilePrefix,
} from './tlog-inputs.js';
import type { TlogCommit, TlogStore, TlogStores } from './tlog-types.js';

const bytes = (b: Buffer | Uint8Array): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

/**
 * The body of a tlog commit, without a transaction of its own: the size check, every tile and
 * bundle, and the checkpoint. Whoever calls it must already be inside a `BEGIN IMMEDIATE`
 * transaction (the write lock taken before the size is read); `TlogStore.commit` runs it alone,
 * `AuditStore.integrate` together with the samples' indexes.
 *
 * @throws {TlogError} `conflict` when the stored size is not `previousSize`.
 */
export type SqliteTlogCommit = (log: string, c: TlogCommit) => void;

/**
 * @example
 * const commitTlog = prepareSqliteTlogCommit(db);
 * db.transaction(() => { commitTlog('audit', commit); … }).immediate();
 */
export function prepareSqliteTlogCommit(db: Database.Database): SqliteTlogCommit {
  const stmt = {
    size: db.prepare<[string], { size: number }>('SELECT size FROM tlog_checkpoints WHERE log = ?'),
    putTile: db.prepare<[string, number, number, Uint8Array]>(
      `INSERT INTO tlog_tiles (log, level, idx, data) VALUES (?, ?, ?, ?)
       ON CONFLICT (log, level, idx) DO UPDATE SET data = excluded.data WHERE length(excluded.data) > length(tlog_tiles.data)`,
    ),
    putBundle: db.prepare<[string, number, number, Uint8Array]>(
      `INSERT INTO tlog_bundles (log, idx, width, data) VALUES (?, ?, ?, ?)
       ON CONFLICT (log, idx) DO UPDATE SET width = excluded.width, data = excluded.data WHERE excluded.width > tlog_bundles.width`,
    ),
    putCheckpoint: db.prepare<[string, number, Uint8Array]>(
      `INSERT INTO tlog_checkpoints (log, size, note) VALUES (?, ?, ?)
       ON CONFLICT (log) DO UPDATE SET size = excluded.size, note = excluded.note`,
    ),
  };
  return (log, c) => {
    const stored = stmt.size.get(log)?.size ?? 0;
    if (stored !== c.previousSize) {
      throw new TlogError('conflict', `log ${log} is at size ${stored}, not ${c.previousSize}`);
    }
    for (const { tile, data } of c.tiles) stmt.putTile.run(log, tile.level, tile.index, data);
    for (const { bundle, data } of c.entryBundles) stmt.putBundle.run(log, bundle.index, bundle.width, data);
    stmt.putCheckpoint.run(log, c.size, c.checkpoint);
  };
}

export function createSqliteTlogStores(db: Database.Database, ensureOpen: () => void): TlogStores {
  const stmt = {
    checkpoint: db.prepare<[string], { size: number; note: Buffer }>(
      'SELECT size, note FROM tlog_checkpoints WHERE log = ?',
    ),
    tile: db.prepare<[string, number, number], { data: Buffer }>(
      'SELECT data FROM tlog_tiles WHERE log = ? AND level = ? AND idx = ?',
    ),
    bundle: db.prepare<[string, number], { width: number; data: Buffer }>(
      'SELECT width, data FROM tlog_bundles WHERE log = ? AND idx = ?',
    ),
  };
  const commit = db.transaction(prepareSqliteTlogCommit(db));

  // :memory: databases are private to one connection: their locks live with this store.
  const file = db.memory ? undefined : resolve(db.name);
  const own = new Map<string, Lock>();

  return {
    log(name) {
      assertLogName(name);
      const withLock = appendLock(file === undefined ? own : fileLocks, `${file ?? ''}\0${name}`);
      const store: TlogStore = {
        name,
        async readCheckpoint() {
          ensureOpen();
          const row = stmt.checkpoint.get(name);
          return row === undefined ? null : bytes(row.note).slice();
        },
        async readTile(tile) {
          ensureOpen();
          assertTileRef(tile, 'tile');
          const row = stmt.tile.get(name, tile.level, tile.index);
          return tilePrefix(row === undefined ? undefined : bytes(row.data), tile.width);
        },
        async readEntryBundle(bundle) {
          ensureOpen();
          assertBundleRef(bundle, 'bundle');
          const row = stmt.bundle.get(name, bundle.index);
          return bundlePrefix(
            row === undefined ? undefined : { width: row.width, data: bytes(row.data) },
            bundle.width,
          );
        },
        async commit(c) {
          ensureOpen();
          assertTlogCommit(c);
          commit.immediate(name, c);
        },
        withAppendLock: (fn) => withLock(fn),
      };
      return store;
    },
  };
}

type Lock = <T>(fn: () => Promise<T>) => Promise<T>;
/** One lock per database file and log, shared by every store on that file in this process. */
const fileLocks = new Map<string, Lock>();

function appendLock(locks: Map<string, Lock>, key: string): Lock {
  let lock = locks.get(key);
  if (lock === undefined) {
    lock = createMutex();
    locks.set(key, lock);
  }
  return lock;
}
