/**
 * The shape of one schema migration. A leaf module: the numbered migration files and the list in
 * `migrations.ts` both import it, so neither has to import the other (no import cycle).
 */

/** One schema step. `version`s start at 1 and increase by exactly 1. */
export interface Migration {
  readonly version: number;
  /** Short snake_case description, recorded in `schema_migrations`. */
  readonly name: string;
  /** SQL for SQLite; may hold several statements. */
  readonly sqlite: string;
  /**
   * SQL for Postgres. Optional only so tests can build SQLite-only lists; the Postgres runner
   * refuses a list where it is missing.
   */
  readonly postgres?: string;
}
