/**
 * What the Postgres domain files share: the connection type, how BIGINT comes back, and how
 * driver errors are recognised. Callers branch on `StoreError` codes and standard JS errors,
 * never on SQLSTATEs, so this file is where Postgres error codes stop.
 */

import postgres from 'postgres';

/**
 * BIGINT (int8) arrives as text by default, because it can exceed 2^53. Money and timestamps
 * stay far below that, so they are parsed to numbers here and every read is then checked with
 * `safeInt` (rows.ts): a value too large for a double fails loudly instead of being rounded.
 * `Number()` cannot throw, which matters because a throwing parser would break the connection.
 */
export const PG_TYPES = {
  int8: {
    to: 20,
    from: [20],
    serialize: (value: number): string => String(value),
    parse: (text: string): number => Number(text),
  },
};

/** A connection pool configured with {@link PG_TYPES}. */
export type PgSql = postgres.Sql<{ int8: number }>;

/** A transaction on such a pool, as `sql.begin` hands it to its callback. */
export type PgTx = postgres.TransactionSql<{ int8: number }>;

/** SQLSTATEs the store translates. */
const UNIQUE_VIOLATION = '23505';
const FOREIGN_KEY_VIOLATION = '23503';
const CHECK_VIOLATION = '23514';

function pgError(err: unknown): postgres.PostgresError | undefined {
  return err instanceof postgres.PostgresError ? err : undefined;
}

/** A duplicate primary key or unique value. */
export function isPgUniqueViolation(err: unknown): boolean {
  return pgError(err)?.code === UNIQUE_VIOLATION;
}

/** A row referring to a key that does not exist. */
export function isPgForeignKeyViolation(err: unknown): boolean {
  return pgError(err)?.code === FOREIGN_KEY_VIOLATION;
}

/** A CHECK constraint, by name (the migrations name the ones the store relies on). */
export function isPgCheckViolation(err: unknown, constraint: string): boolean {
  const e = pgError(err);
  return e?.code === CHECK_VIOLATION && e.constraint_name === constraint;
}

/**
 * The single row a statement must return.
 *
 * @throws {Error} when there is none, which means the SQL and the code disagree.
 */
export function onlyRow<T>(rows: readonly T[], what: string): T {
  const row = rows[0];
  if (row === undefined) throw new Error(`${what} returned no row`);
  return row;
}
