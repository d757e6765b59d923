/**
 * What only the SQLite audit store has: `addSample` rides the money operations' group commit
 * (counted in WAL commit frames, the thing the group exists to save), and the audit queries are
 * served by the migration's indexes, never by a scan of integrated history or a sort.
 */

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SAMPLE_COLUMNS, sampleListSql } from './audit-sql.js';
import type { NewAuditSample } from './audit-types.js';
import { StoreError } from './errors.js';
import { generateApiKey } from './keys.js';
import { openSqliteDatabase, openSqliteStore, SQLITE_FILE_NAME } from './sqlite.js';
import type { Store } from './types.js';

const T = 1_700_000_000_000;

/** Commit frames in the WAL (frames after the header whose "database size after commit" is set). */
function walCommits(path: string): number {
  const wal = readFileSync(path);
  if (wal.length < 32) return 0;
  const pageSize = wal.readUInt32BE(8);
  const salts = [wal.readUInt32BE(16), wal.readUInt32BE(20)];
  let commits = 0;
  for (let at = 32; at + 24 + pageSize <= wal.length; at += 24 + pageSize) {
    // Frames left over from before the last WAL reset carry other salts.
    if (wal.readUInt32BE(at + 8) !== salts[0] || wal.readUInt32BE(at + 12) !== salts[1]) break;
    if (wal.readUInt32BE(at + 4) !== 0) commits++;
  }
  return commits;
}

function sample(i: number, keyId: string): NewAuditSample {
  return {
    requestId: `req_${i}`,
    keyId,
    ts: T + i,
    entry: new TextEncoder().encode(`entry ${i}`),
    requestSalt: new Uint8Array(32).fill(1),
    responseSalt: new Uint8Array(32).fill(2),
  };
}

describe('sqlite audit store', () => {
  let root: string;
  let store: Store;
  let keyId: string;

  beforeEach(async () => {
    root = mkdtempSync(join(tmpdir(), 'saferouter-audit-'));
    store = await openSqliteStore({ dataDir: root });
    const k = generateApiKey();
    keyId = k.id;
    await store.keys.insert({ id: k.id, name: 'a', prefix: k.prefix, hash: k.hash, role: 'user', createdAt: T });
    await store.billing.credit({ id: 'led_seed', keyId, amountMicros: 10_000, kind: 'topup', ts: T });
  });
  afterEach(async () => {
    await store.close();
    rmSync(root, { recursive: true, force: true });
  });

  const hold = async (id: string): Promise<void> => {
    const placed = await store.billing.placeHold({
      id,
      keyId,
      amountMicros: 100,
      requestId: `req_${id}`,
      ts: T,
      expiresAt: T + 60_000,
    });
    expect(placed.ok).toBe(true);
  };

  it('a sample and a charge issued in the same turn share one transaction', async () => {
    const wal = join(root, `${SQLITE_FILE_NAME}-wal`);
    await hold('hold_1');
    const before = walCommits(wal);
    await Promise.all([
      store.billing.settle('hold_1', { costMicros: 100, ts: T }),
      store.audit.addSample(sample(1, keyId)),
    ]);
    expect(walCommits(wal) - before).toBe(1);
    expect((await store.audit.pendingSamples(10)).map((s) => s.requestId)).toEqual(['req_1']);
    expect(await store.billing.ledgerSum(keyId)).toBe(10_000 - 100);

    // Awaited one after the other, they are two commits.
    await hold('hold_2');
    const apart = walCommits(wal);
    await store.billing.settle('hold_2', { costMicros: 100, ts: T });
    await store.audit.addSample(sample(2, keyId));
    expect(walCommits(wal) - apart).toBe(2);
  });

  it('a duplicate sample fails alone; the charge beside it commits', async () => {
    await store.audit.addSample(sample(1, keyId));
    await hold('hold_1');
    const [settled, added] = await Promise.allSettled([
      store.billing.settle('hold_1', { costMicros: 250, ts: T }),
      store.audit.addSample(sample(1, keyId)),
    ]);
    expect(settled).toMatchObject({ status: 'fulfilled', value: { chargedMicros: 250 } });
    expect(added.status === 'rejected' && StoreError.isInstance(added.reason) && added.reason.code).toBe('conflict');
    expect(await store.billing.ledgerSum(keyId)).toBe(10_000 - 250);
  });

  it('serves every audit query from an index, without a sort', () => {
    const db: Database.Database = openSqliteDatabase({ path: ':memory:' });
    try {
      const plan = (text: string, values: readonly unknown[]): string =>
        db
          .prepare<unknown[], { detail: string }>(`EXPLAIN QUERY PLAN ${text}`)
          .all(...values)
          .map((r) => r.detail)
          .join(' | ');
      const cursor = { ts: T, seq: 7 };
      for (const [keyId, index] of [
        [undefined, 'audit_samples_ts'],
        ['key_a', 'audit_samples_key_ts'],
      ] as const) {
        for (const c of [undefined, cursor]) {
          const { text, values } = sampleListSql('sqlite', keyId, 50, c);
          const detail = plan(text, values);
          expect(detail).toContain(`USING INDEX ${index}`);
          expect(detail).not.toContain('TEMP B-TREE');
        }
      }
      const pending = plan(
        `SELECT ${SAMPLE_COLUMNS} FROM audit_samples WHERE log_index IS NULL ORDER BY seq LIMIT ?`,
        [10],
      );
      expect(pending).toContain('USING INDEX audit_samples_pending');
      expect(pending).not.toContain('TEMP B-TREE');
      expect(plan('SELECT request_id FROM receipts WHERE ts < ? ORDER BY ts LIMIT ?', [T, 10])).toContain(
        'INDEX receipts_ts',
      );
    } finally {
      db.close();
    }
  });
});
