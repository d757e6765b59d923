/**
 * The store's typed error, a member of SafeRouter's one error family (`@saferouter/errors`).
 * Callers branch on `code`, never on a driver's message or error code, so the gateway behaves
 * the same whether SQLite or Postgres sits underneath. Use `StoreError.isInstance()` rather than
 * `instanceof`, so errors from duplicated package copies are still recognised. Bad arguments are
 * `InvalidArgumentError`s (400) from the same family, thrown by the boundary checks.
 */
import { SafeRouterError, type OpenAIErrorType } from '@saferouter/errors';

const marker = Symbol.for('saferouter.store.error');

/**
 * - `conflict`: a unique constraint would be violated (duplicate key id or key hash).
 * - `closed`: the store was used after `close()`.
 * - `schema`: the database's schema is unusable by this build (e.g. migrated by a newer one).
 */
export type StoreErrorCode = 'conflict' | 'closed' | 'schema';

/** How each store failure answers a client: a conflict is the caller's, the others are ours. */
const HTTP: Record<StoreErrorCode, { statusCode: number; type: OpenAIErrorType; isRetryable: boolean }> = {
  conflict: { statusCode: 409, type: 'invalid_request_error', isRetryable: false },
  closed: { statusCode: 503, type: 'service_unavailable', isRetryable: true },
  schema: { statusCode: 500, type: 'api_error', isRetryable: false },
};

export class StoreError extends SafeRouterError {
  readonly [marker] = true;
  /** What went wrong; also the OpenAI error `code` a client sees. */
  declare readonly code: StoreErrorCode;

  /**
   * @example
   * throw new StoreError('conflict', 'An API key with this id or hash already exists', { cause: err });
   */
  constructor(code: StoreErrorCode, message: string, options?: { cause?: unknown }) {
    super({ message, code, ...HTTP[code], cause: options?.cause });
    this.name = 'StoreError';
  }

  /**
   * @example
   * if (StoreError.isInstance(err) && err.code === 'conflict') retryWithNewKey();
   */
  static override isInstance(error: unknown): error is StoreError {
    return typeof error === 'object' && error !== null && (error as { [marker]?: unknown })[marker] === true;
  }
}
