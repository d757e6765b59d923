/**
 * The activity lookups are cheap: SQLite's plans for `generation()` and `endpointSamples()` use
 * the indexes migrations 2 and 5 made, never a scan of the whole table. (Postgres's plan for
 * `generation()` is checked in `postgres.test.ts`.)
 */

import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { activityEndpointSamplesSql, activityGenerationSql } from './activity-sql.js';
import { applySqliteMigrations } from './sqlite-migrate.js';

const open: Database.Database[] = [];
afterEach(() => {
  for (const db of open.splice(0)) db.close();
});

function plan(text: string, values: readonly (string | number)[]): string[] {
  const db = new Database(':memory:');
  open.push(db);
  applySqliteMigrations(db);
  return db
    .prepare<unknown[], { detail: string }>(`EXPLAIN QUERY PLAN ${text}`)
    .all(...values)
    .map((r) => r.detail);
}

describe('activity lookups on SQLite', () => {
  it.each([['without a key'], ['with a key']])('finds a generation through indexes only, %s', (label) => {
    const keyId = label === 'with a key' ? 'key_a' : undefined;
    const { text, values } = activityGenerationSql('sqlite', 'chatcmpl-1', keyId);
    const details = plan(text, values);
    expect(details.some((d) => d.includes('USING INDEX activity_generation_id'))).toBe(true);
    expect(details.some((d) => d.includes('USING INDEX activity_request_id'))).toBe(true);
    expect(details.filter((d) => /^SCAN activity\b/.test(d))).toEqual([]);
  });

  it('walks the newest-first index for endpoint samples instead of sorting', () => {
    const { text, values } = activityEndpointSamplesSql('sqlite', 0, 100);
    const details = plan(text, values);
    expect(details.some((d) => d.includes('activity_ts_id'))).toBe(true);
    expect(details.filter((d) => d.includes('TEMP B-TREE'))).toEqual([]);
  });
});
