/**
 * The activity domain on SQLite. Filtered queries are built by `activity-sql.ts`; since each
 * combination of filters is a different SQL text, prepared statements are cached by text (at
 * most a few hundred combinations exist).
 */

import type Database from 'better-sqlite3';
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
  toActivityPage,
  activityPercentileSql,
  activityStatsSql,
  nearestRank,
  toActivityStats,
  type StatsRow,
} from './activity-sql.js';
import type { ActivityStore } from './activity-types.js';
import {
  ACTIVITY_COLUMNS,
  activityValues,
  toActivityEntry,
  toEndpointSample,
  type ActivityRow,
  type EndpointSampleRow,
} from './rows.js';

/**
 * @example
 * const activity = createSqliteActivityStore(db, ensureOpen);
 */
export function createSqliteActivityStore(db: Database.Database, ensureOpen: () => void): ActivityStore {
  const placeholders = ACTIVITY_COLUMNS.split(',')
    .map(() => '?')
    .join(', ');
  const insert = db.prepare(
    `INSERT INTO activity (${ACTIVITY_COLUMNS}) VALUES (${placeholders}) ON CONFLICT (id) DO NOTHING`,
  );
  const insertAll = db.transaction((rows: (string | number | null)[][]) => {
    for (const row of rows) insert.run(row);
  });

  const cache = new Map<string, Database.Statement>();
  const prepared = (text: string): Database.Statement => {
    let s = cache.get(text);
    if (s === undefined) {
      s = db.prepare(text);
      cache.set(text, s);
    }
    return s;
  };

  return {
    async insertMany(entries) {
      ensureOpen();
      assertActivityEntries(entries);
      if (entries.length === 0) return;
      insertAll.immediate(entries.map((e) => activityValues(e, (b) => (b ? 1 : 0))));
    },
    async list(filter, page) {
      ensureOpen();
      assertActivityFilter(filter);
      const { limit, cursor } = resolveActivityPage(page);
      const { text, values } = activityListSql('sqlite', filter, limit, cursor);
      const rows = prepared(text).all(values) as ActivityRow[];
      return toActivityPage(rows, limit);
    },
    async stats(filter, options) {
      ensureOpen();
      assertActivityFilter(filter);
      const buckets = resolveActivityBuckets(filter, options);
      // One read transaction, so the totals and the percentiles describe the same rows.
      const read = db.transaction(() => {
        const { text, values } = activityStatsSql('sqlite', filter, buckets);
        const rows = prepared(text).all(values) as StatsRow[];
        const total = rows.find((r) => r.dim === 'all')?.requests ?? 0;
        const at = (p: number): number => {
          if (total === 0) return 0;
          const q = activityPercentileSql(filter, nearestRank(p, total));
          return (prepared(q.text).get(q.values) as { latency_ms: number } | undefined)?.latency_ms ?? 0;
        };
        return toActivityStats(rows, at(0.5), at(0.95), buckets);
      });
      return read.deferred();
    },
    async generation(id, keyId) {
      ensureOpen();
      assertGenerationLookup(id, keyId);
      const { text, values } = activityGenerationSql('sqlite', id, keyId);
      return (prepared(text).all(values) as ActivityRow[]).map(toActivityEntry);
    },
    async endpointSamples(since, limit) {
      ensureOpen();
      assertSamplesQuery(since, limit);
      const { text, values } = activityEndpointSamplesSql('sqlite', since, limit);
      return (prepared(text).all(values) as EndpointSampleRow[]).map(toEndpointSample);
    },
  };
}
