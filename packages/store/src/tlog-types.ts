/**
 * The transparency-log domain: the tiles, entry bundles and signed checkpoint of each C2SP
 * tlog-tiles log the gateway keeps (startup records, later the audit log), by log name.
 *
 * The shape is `TileStorage` from `@saferouter/tlog`, so a `TlogStore` can be handed to its
 * appender and tile reader as is. What the store guarantees:
 * - `commit` is one transaction: the tiles, the bundles and the new checkpoint are stored
 *   together or not at all, and only if the stored checkpoint still has `previousSize`. A crash
 *   at any point therefore never leaves a checkpoint that disagrees with the stored tiles.
 * - Only the widest version of a tile or bundle is kept; narrower widths are served as prefixes
 *   (tiles only grow, so every width a committed checkpoint implied stays readable).
 * - `withAppendLock` serialises appenders: per database file in-process on SQLite (one process
 *   owns the file), a session advisory lock on Postgres, so any number of replicas can append
 *   in turn.
 */

import type { EntryBundleRef, TileCommit, TileRef, TileStorage } from '@saferouter/tlog';

/** A hash tile: level, index and width (number of 32-byte hashes, 1–256). */
export type TlogTileRef = TileRef;
/** An entry bundle: the entries of level-0 tile `index`, `width` of them (1–256). */
export type TlogBundleRef = EntryBundleRef;
export type TlogCommit = TileCommit;

/**
 * A log's storage: `TileStorage` from `@saferouter/tlog` (hand it to `createAppender` and
 * `createStorageFetch` as is), plus the append lock. `commit` throws `TlogError` `conflict` when
 * the stored checkpoint's size is not `previousSize`.
 */
export interface TlogStore extends TileStorage {
  /** The log's name, e.g. `startup`. */
  readonly name: string;
  /** Runs `fn` while holding this log's append lock (see the file comment). */
  withAppendLock<T>(fn: () => Promise<T>): Promise<T>;
}

/** Every log, by name. */
export interface TlogStores {
  /**
   * The log called `name` (1–64 of `a-z 0-9 _ -`). Logs are created by their first commit.
   *
   * @throws {TypeError | RangeError} on a malformed name.
   */
  log(name: string): TlogStore;
}
