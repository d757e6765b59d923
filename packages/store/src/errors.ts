/**
 * The store's typed error. Callers branch on `code`, never on a driver's message or error code,
 * so the gateway behaves the same whether SQLite or Postgres sits underneath. Use
 * `StoreError.isInstance()` rather than `instanceof`, so errors from duplicated package copies
 * are still recognised.
 */

const marker = Symbol.for('saferouter.store.error');

/**
 * - `conflict`: a unique constraint would be violated (duplicate key id or key hash).
 * - `closed`: the store was used after `close()`.
 * - `schema`: the database's schema is unusable by this build (e.g. migrated by a newer one).
 */
export type StoreErrorCode = 'conflict' | 'closed' | 'schema';

export class StoreError extends Error {
  readonly [marker] = true;
  readonly code: StoreErrorCode;

  /**
   * @example
   * throw new StoreError('conflict', 'An API key with this id or hash already exists', { cause: err });
   */
  constructor(code: StoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'StoreError';
    this.code = code;
  }

  /**
   * @example
   * if (StoreError.isInstance(err) && err.code === 'conflict') retryWithNewKey();
   */
  static isInstance(error: unknown): error is StoreError {
    return typeof error === 'object' && error !== null && (error as { [marker]?: unknown })[marker] === true;
  }
}
