/**
 * Transparency logs on Postgres (see tlog-types.ts), shared by any number of gateway replicas.
 *
 * - A commit is one transaction that first locks the log's checkpoint row (`FOR UPDATE`, or the
 *   insert of the first one), so two replicas can never both extend the same size. Its body is
 *   `commitTlog`, which the audit store runs in a transaction of its own with other writes.
 * - `withAppendLock` holds a session-level advisory lock on a reserved connection for the whole
 *   read-compute-commit of an append, so replicas take turns instead of failing with conflicts.
 *   A replica that dies mid-append drops its connection, and with it the lock.
 */
import { TlogError } from '@saferouter/tlog';
import type { PgSql, PgTx } from './postgres-sql.js';
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

const bytes = (b: Uint8Array): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

/**
 * The body of a tlog commit inside the caller's transaction `tx`: first lock the log's
 * checkpoint row (inserting the first one), so from there on no other transaction can move this
 * log until `tx` ends; then the size check, every tile and bundle, and the checkpoint.
 * `TlogStore.commit` runs it alone, `AuditStore.integrate` together with the samples' indexes.
 *
 * @example
 * await sql.begin(async (tx) => { await commitTlog(tx, 'audit', commit); … });
 * @throws {TlogError} `conflict` when the stored size is not `previousSize` (`tx` must roll back).
 */
export async function commitTlog(tx: PgTx, log: string, c: TlogCommit): Promise<void> {
  // The first commit inserts the row; later ones lock it. Either way, from here on no other
  // transaction can move this log until we commit or roll back.
  await tx`INSERT INTO tlog_checkpoints (log, size, note) VALUES (${log}, 0, ${Buffer.alloc(0)}) ON CONFLICT (log) DO NOTHING`;
  const [row] = await tx<{ size: number }[]>`SELECT size FROM tlog_checkpoints WHERE log = ${log} FOR UPDATE`;
  const stored = row?.size ?? 0;
  if (stored !== c.previousSize) {
    throw new TlogError('conflict', `log ${log} is at size ${stored}, not ${c.previousSize}`);
  }
  for (const { tile, data } of c.tiles) {
    await tx`
      INSERT INTO tlog_tiles (log, level, idx, data) VALUES (${log}, ${tile.level}, ${tile.index}::bigint, ${Buffer.from(data)})
      ON CONFLICT (log, level, idx) DO UPDATE SET data = excluded.data
      WHERE length(excluded.data) > length(tlog_tiles.data)`;
  }
  for (const { bundle, data } of c.entryBundles) {
    await tx`
      INSERT INTO tlog_bundles (log, idx, width, data) VALUES (${log}, ${bundle.index}::bigint, ${bundle.width}, ${Buffer.from(data)})
      ON CONFLICT (log, idx) DO UPDATE SET width = excluded.width, data = excluded.data
      WHERE excluded.width > tlog_bundles.width`;
  }
  await tx`UPDATE tlog_checkpoints SET size = ${c.size}::bigint, note = ${Buffer.from(c.checkpoint)} WHERE log = ${log}`;
}

export function createPostgresTlogStores(sql: PgSql, ensureOpen: () => void): TlogStores {
  const locks = new Map<string, <T>(fn: () => Promise<T>) => Promise<T>>();

  return {
    log(name) {
      assertLogName(name);
      let local = locks.get(name);
      if (local === undefined) {
        local = createMutex();
        locks.set(name, local);
      }
      const inProcess = local;
      const store: TlogStore = {
        name,
        async readCheckpoint() {
          ensureOpen();
          const rows = await sql<{ note: Uint8Array }[]>`SELECT note FROM tlog_checkpoints WHERE log = ${name}`;
          const row = rows[0];
          return row === undefined ? null : bytes(row.note).slice();
        },
        async readTile(tile) {
          ensureOpen();
          assertTileRef(tile, 'tile');
          const rows = await sql<{ data: Uint8Array }[]>`
            SELECT data FROM tlog_tiles WHERE log = ${name} AND level = ${tile.level} AND idx = ${tile.index}::bigint`;
          const row = rows[0];
          return tilePrefix(row === undefined ? undefined : bytes(row.data), tile.width);
        },
        async readEntryBundle(bundle) {
          ensureOpen();
          assertBundleRef(bundle, 'bundle');
          const rows = await sql<{ width: number; data: Uint8Array }[]>`
            SELECT width, data FROM tlog_bundles WHERE log = ${name} AND idx = ${bundle.index}::bigint`;
          const row = rows[0];
          return bundlePrefix(
            row === undefined ? undefined : { width: row.width, data: bytes(row.data) },
            bundle.width,
          );
        },
        async commit(c) {
          ensureOpen();
          assertTlogCommit(c);
          await sql.begin((tx) => commitTlog(tx, name, c));
        },
        // In-process first (one reserved connection per waiting appender would drain the pool),
        // then across processes.
        withAppendLock: (fn) =>
          inProcess(async () => {
            ensureOpen();
            const conn = await sql.reserve();
            try {
              await conn`SELECT pg_advisory_lock(hashtextextended(${`saferouter.tlog:${name}`}, 0))`;
              try {
                return await fn();
              } finally {
                await conn`SELECT pg_advisory_unlock(hashtextextended(${`saferouter.tlog:${name}`}, 0))`;
              }
            } finally {
              conn.release();
            }
          }),
      };
      return store;
    },
  };
}
