/**
 * The one typed error the tlog package throws for bad data: a malformed note, a signature that
 * does not verify, a proof that does not hold, a storage conflict. Callers branch on `code`.
 * Bad arguments (wrong type or size) stay `TypeError` / `RangeError`, as everywhere in the
 * project. Use `TlogError.isInstance()` rather than `instanceof`, so errors from duplicated
 * package copies are still recognised.
 */

const marker = Symbol.for('saferouter.tlog.error');

/**
 * - `malformed`: a note, key, checkpoint, tile, bundle or path does not follow its format.
 * - `signature`: a signature by a known key does not verify.
 * - `unverified`: no signature by a known key (or not the one required) is present.
 * - `proof`: an inclusion or consistency proof does not hold.
 * - `inconsistent`: two checkpoints cannot both be views of one append-only log.
 * - `equivocation`: two different checkpoints of the same size, signed by the same key.
 * - `conflict`: storage moved on under an appender (another writer committed first).
 * - `missing`: a resource the tree size requires (tile, bundle, checkpoint) is absent.
 * - `corrupt`: stored or fetched data disagrees with the checkpoint that covers it.
 */
export type TlogErrorCode =
  | 'malformed'
  | 'signature'
  | 'unverified'
  | 'proof'
  | 'inconsistent'
  | 'equivocation'
  | 'conflict'
  | 'missing'
  | 'corrupt';

export class TlogError extends Error {
  readonly [marker] = true;
  readonly code: TlogErrorCode;

  /**
   * @example
   * throw new TlogError('proof', 'inclusion proof does not lead to the root hash');
   */
  constructor(code: TlogErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TlogError';
    this.code = code;
  }

  /**
   * @example
   * if (TlogError.isInstance(err) && err.code === 'conflict') await appender.reload();
   */
  static isInstance(error: unknown): error is TlogError {
    return typeof error === 'object' && error !== null && (error as { [marker]?: unknown })[marker] === true;
  }
}
