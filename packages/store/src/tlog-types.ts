/**
 * The transparency-log domain: the tiles, entry bundles and signed checkpoint of each C2SP
 * tlog-tiles log the gateway keeps (startup records, later the audit log), by log name.
 *
 * The shape is `TileStorage` from `@saferouter/tlog`, so a `TlogStore` can be handed to its
 * appender and tile reader as is, without this package depending on the log's crypto. What the
 * store guarantees:
 * - `commit` is one transaction: the tiles, the bundles and the new checkpoint are stored
 *   together or not at all, and only if the stored checkpoint still has `previousSize`. A crash
 *   at any point therefore never leaves a checkpoint that disagrees with the stored tiles.
 * - Only the widest version of a tile or bundle is kept; narrower widths are served as prefixes
 *   (tiles only grow, so every width a committed checkpoint implied stays readable).
 * - `withAppendLock` serialises appenders: per database file in-process on SQLite (one process
 *   owns the file), a session advisory lock on Postgres, so any number of replicas can append
 *   in turn.
 */

/** A hash tile: level, index and width (number of 32-byte hashes, 1–256). */
export interface TlogTileRef {
  readonly level: number;
  readonly index: number;
  readonly width: number;
}

/** An entry bundle: the entries of level-0 tile `index`, `width` of them (1–256). */
export interface TlogBundleRef {
  readonly index: number;
  readonly width: number;
}

export interface TlogCommit {
  /** Tree size of the checkpoint this commit extends (0 for a log never committed to). */
  readonly previousSize: number;
  /** Tree size of `checkpoint`. */
  readonly size: number;
  readonly tiles: readonly { readonly tile: TlogTileRef; readonly data: Uint8Array }[];
  readonly entryBundles: readonly { readonly bundle: TlogBundleRef; readonly data: Uint8Array }[];
  /** The new signed checkpoint note. */
  readonly checkpoint: Uint8Array;
}

export interface TlogStore {
  /** The log's name, e.g. `startup`. */
  readonly name: string;
  /** The latest committed signed checkpoint, or null for a log never committed to. */
  readCheckpoint(): Promise<Uint8Array | null>;
  /** The tile at exactly `tile.width` hashes, or null when the stored tile is narrower or absent. */
  readTile(tile: TlogTileRef): Promise<Uint8Array | null>;
  /** The bundle's first `bundle.width` entries (length-prefixed), or null when there are fewer. */
  readEntryBundle(bundle: TlogBundleRef): Promise<Uint8Array | null>;
  /**
   * Stores every tile and bundle and replaces the checkpoint, atomically, or changes nothing.
   *
   * @throws {StoreError} `conflict` when the stored checkpoint's size is not `previousSize`.
   * @throws {TypeError | RangeError} on malformed input.
   */
  commit(commit: TlogCommit): Promise<void>;
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
