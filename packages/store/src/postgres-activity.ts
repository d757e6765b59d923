/**
 * The activity domain on Postgres. Queries come from `activity-sql.ts`, shared with SQLite, and
 * run as prepared statements (postgres.js caches each distinct text per connection). Batches
 * become multi-row INSERTs; a batch larger than one statement can carry is split, inside one
 * transaction so the batch is still all-or-nothing.
 */

import {
  assertActivityEntries,
  assertActivityFilter,
  assertGenerationLookup,
  assertSamplesQuery,
  resolveActivityBuckets,
  resolveActivityPage,
} from './activity-inputs.js';
import {
  activityEndpointSamplesSql,
  activityGenerationSql,
  activityListSql,
  activityStatsSql,
  toActivityPage,
  toActivityStats,
  type StatsRow,
} from './activity-sql.js';
import type { ActivityEntry, ActivityStore } from './activity-types.js';
import type { PgSql } from './postgres-sql.js';
import {
  ACTIVITY_COLUMNS,
  activityValues,
  toActivityEntry,
  toEndpointSample,
  type ActivityRow,
  type EndpointSampleRow,
} from './rows.js';

/** Rows per INSERT: 24 columns × 1000 stays well under the protocol's 65,535 parameters. */
const ROWS_PER_STATEMENT = 1000;

type Value = string | number | boolean | null;

function insertStatement(entries: readonly ActivityEntry[]): { text: string; values: Value[] } {
  const values: Value[] = [];
  const tuples = entries.map((e) => {
    const row = activityValues(e, (b) => b);
    const slots = row.map((v) => {
      values.push(v);
      return `$${values.length}`;
    });
    return `(${slots.join(', ')})`;
  });
  return {
    text: `INSERT INTO activity (${ACTIVITY_COLUMNS}) VALUES ${tuples.join(', ')} ON CONFLICT (id) DO NOTHING`,
    values,
  };
}

/**
 * @example
 * const activity = createPostgresActivityStore(sql, ensureOpen);
 */
export function createPostgresActivityStore(sql: PgSql, ensureOpen: () => void): ActivityStore {
  return {
    async insertMany(entries) {
      ensureOpen();
      assertActivityEntries(entries);
      if (entries.length === 0) return;
      if (entries.length <= ROWS_PER_STATEMENT) {
        const { text, values } = insertStatement(entries);
        await sql.unsafe(text, values);
        return;
      }
      await sql.begin(async (tx) => {
        for (let i = 0; i < entries.length; i += ROWS_PER_STATEMENT) {
          const { text, values } = insertStatement(entries.slice(i, i + ROWS_PER_STATEMENT));
          await tx.unsafe(text, values);
        }
      });
    },

    async list(filter, page) {
      ensureOpen();
      assertActivityFilter(filter);
      const { limit, cursor } = resolveActivityPage(page);
      const { text, values } = activityListSql('postgres', filter, limit, cursor);
      const rows = await sql.unsafe<ActivityRow[]>(text, values, { prepare: true });
      return toActivityPage(rows, limit);
    },

    async stats(filter, options) {
      ensureOpen();
      assertActivityFilter(filter);
      const buckets = resolveActivityBuckets(filter, options);
      // One statement: the buckets and the totals come from one snapshot.
      const { text, values } = activityStatsSql('postgres', filter, buckets);
      const rows = await sql.unsafe<StatsRow[]>(text, values, { prepare: true });
      const all = rows.find((r) => r.dim === 'all');
      return toActivityStats(rows, all?.p50 ?? 0, all?.p95 ?? 0, buckets);
    },

    async generation(id, keyId) {
      ensureOpen();
      assertGenerationLookup(id, keyId);
      const { text, values } = activityGenerationSql('postgres', id, keyId);
      const rows = await sql.unsafe<ActivityRow[]>(text, values, { prepare: true });
      return rows.map(toActivityEntry);
    },

    async endpointSamples(since, limit) {
      ensureOpen();
      assertSamplesQuery(since, limit);
      const { text, values } = activityEndpointSamplesSql('postgres', since, limit);
      const rows = await sql.unsafe<EndpointSampleRow[]>(text, values, { prepare: true });
      return rows.map(toEndpointSample);
    },
  };
}
