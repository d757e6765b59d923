/**
 * The audit domain: the signed receipt of every chat completion (kept for later lookup, then
 * expired), and the sampled requests committed to the audit transparency log.
 *
 * Nothing here holds plaintext. A receipt is a JWS whose payload carries only hashes, model
 * names, usage and cost. A sample holds its log entry (commitments and the receipt's hash) and the
 * two 32-byte salts that let the request's holder open the commitments with their own bytes.
 *
 * Life of a sample: `addSample` stores it durably, without a log index, before the response
 * completes (on SQLite it joins the money operations' group commit). An integrator later appends
 * pending samples to the log and, with `integrate`, commits the log's tiles and checkpoint and
 * the samples' indexes in ONE transaction, so a crash can neither lose a sequenced sample nor
 * append it twice.
 */

import type { TileCommit } from '@saferouter/tlog';

/** A receipt as stored: the JWS, whose it is, and when it was made. */
export interface ReceiptRecord {
  /** The request id (`X-Request-Id`), 1–128 characters. Unique. */
  requestId: string;
  /** The key that made the request (1–64 characters). */
  keyId: string;
  /** Milliseconds since the Unix epoch. */
  ts: number;
  /** The receipt, a compact JWS (ASCII, at most 16 KiB). */
  jws: string;
}

/** A sampled request. */
export interface AuditSample {
  /** The request id (`X-Request-Id`), 1–128 characters. Unique: a request is sampled once. */
  requestId: string;
  /** The key that made the request (1–64 characters). */
  keyId: string;
  /** Milliseconds since the Unix epoch. */
  ts: number;
  /** The log entry (leaf) bytes, 1 to 4096 of them. */
  entry: Uint8Array;
  /** 32 random bytes each. */
  requestSalt: Uint8Array;
  responseSalt: Uint8Array;
  /** The entry's index in the audit log, or null while it waits to be integrated. */
  index: number | null;
}

/** What `addSample` takes: a sample before it has a log index. */
export type NewAuditSample = Omit<AuditSample, 'index'>;

/** Where `integrate` places one sample: its entry's index in the log. */
export interface AuditSampleIndex {
  requestId: string;
  index: number;
}

export interface AuditSamplePage {
  /** Newest first. */
  samples: AuditSample[];
  /** Opaque; pass back as `cursor` for the next (older) page. Absent on the last page. */
  nextCursor?: string | undefined;
}

export interface AuditStore {
  /**
   * Stores receipts in one transaction, batched off the request path. A request id already
   * stored is kept as it is (the call is idempotent; within one batch the first record wins). An
   * empty list is a no-op.
   *
   * @example
   * await store.audit.putReceipts([{ requestId, keyId, ts: Date.now(), jws }]);
   * @throws {InvalidArgumentError} on a malformed record (nothing of the batch is stored): a
   *   request id not 1–128 characters, a key id not 1–64, a bad `ts`, a `jws` that is not 1 to
   *   16,384 characters of printable ASCII without spaces.
   */
  putReceipts(receipts: readonly ReceiptRecord[]): Promise<void>;
  /**
   * The receipt of a request, or undefined. The caller decides who may see it (`keyId`).
   *
   * @throws {InvalidArgumentError} on a malformed request id.
   */
  getReceipt(requestId: string): Promise<ReceiptRecord | undefined>;
  /**
   * Deletes receipts made strictly before `before` (ms); returns how many. On SQLite the delete
   * runs in bounded chunks, yielding between them, so a large backlog never holds the one write
   * lock for long.
   *
   * @throws {InvalidArgumentError} when `before` is not a timestamp.
   */
  expireReceipts(before: number): Promise<number>;

  /**
   * Durably records a sampled request (index null) before its response completes: the promise
   * resolves only after the commit. On SQLite it joins the group commit of the money operations,
   * so it shares a transaction with a charge issued in the same event-loop turn; on Postgres it
   * is one statement.
   *
   * @throws {StoreError} `conflict` when the request id was sampled already.
   * @throws {InvalidArgumentError} on malformed fields: ids and `ts` as for receipts, an `entry`
   *   of 0 or more than 4096 bytes, a salt that is not exactly 32 bytes.
   */
  addSample(sample: NewAuditSample): Promise<void>;
  /**
   * Up to `limit` samples without an index, in the order they were added.
   *
   * @throws {InvalidArgumentError} when `limit` is not an integer from 1 to 1000.
   */
  pendingSamples(limit: number): Promise<AuditSample[]>;
  /**
   * In one transaction: commits `commit` to the tiled log `log` (exactly as `TlogStore.commit`,
   * conditional on the stored size being `commit.previousSize`, under the same lock) and sets the
   * index of each named sample. Either all of it is stored or none. Call it as the `commit` of
   * the appender's storage, inside the log's `withAppendLock`.
   *
   * @example
   * const storage = { ...store.tlog.log('audit'), commit: (c) => store.audit.integrate('audit', c, indexes) };
   * @throws {TlogError} `conflict` when the log moved on (nothing stored).
   * @throws {StoreError} `conflict` when a named sample is missing or already has an index
   *   (nothing stored).
   * @throws {InvalidArgumentError} on a malformed log name or commit (as `TlogStore.commit`), or
   *   `indexes` naming a request id twice, or an index outside [previousSize, size).
   */
  integrate(log: string, commit: TileCommit, indexes: readonly AuditSampleIndex[]): Promise<void>;
  /**
   * A sample by request id, or undefined.
   *
   * @throws {InvalidArgumentError} on a malformed request id.
   */
  getSample(requestId: string): Promise<AuditSample | undefined>;
  /**
   * Samples of one key (or of all keys when `keyId` is undefined), newest first (by `ts`, then
   * latest added), `limit` 1–500 (default 50) per page.
   *
   * @throws {InvalidArgumentError} on a malformed key id, limit or cursor.
   */
  listSamples(
    filter: { keyId?: string | undefined },
    page?: { limit?: number | undefined; cursor?: string | undefined },
  ): Promise<AuditSamplePage>;
}
