/**
 * Versioned schema migrations. Migrations are append-only: never edit one that has shipped, add
 * the next version instead. Each entry carries its SQL per dialect; the SQLite runner
 * (`sqlite-migrate.ts`) and the Postgres runner (`postgres-migrate.ts`) read the same list, so
 * both backends share version numbers and the `schema_migrations` bookkeeping table. Driver-free,
 * so the package's main entry can export it.
 */

import { migration1 } from './migration-1-keys-meta.js';
import { migration2 } from './migration-2-billing-activity.js';
import { migration3 } from './migration-3-tlog.js';
import { migration4 } from './migration-4-audit.js';
import { migration5 } from './migration-5-activity-generation.js';
import { migration6 } from './migration-6-byok.js';
import { migration7 } from './migration-7-key-release.js';
import type { Migration } from './migration-types.js';

export type { Migration } from './migration-types.js';

/** The schema, in order. Each version lives in its own file, SQL for both dialects side by side. */
export const migrations: readonly Migration[] = [
  migration1,
  migration2,
  migration3,
  migration4,
  migration5,
  migration6,
  migration7,
];

/**
 * Checks that versions run 1, 2, 3, … with no gap or repeat, so "applied up to N" is well
 * defined and two branches cannot both ship a version 2 unnoticed.
 *
 * @throws {RangeError} naming the first offending entry.
 */
export function assertMigrationList(list: readonly Migration[]): void {
  list.forEach((m, i) => {
    if (m.version !== i + 1) {
      throw new RangeError(`migrations[${i}].version must be ${i + 1}, got ${m.version}`);
    }
  });
}
