/**
 * The startup log: each start appends one record under the append lock and the reader serves
 * it back with proofs; the origin is fixed by the first start; the log key is the identity's
 * unless SAFEROUTER_LOG_KEY names another, and a bad one is reported without echoing it.
 */
import type { Attestor } from '@saferouter/attest/node';
import { generateSignerKey, leafHash, verifyInclusion, verifyConsistency } from '@saferouter/tlog';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseStartupRecord } from '../startup/startup-record.js';
import { memoAttestor } from '../testing/attestor.js';
import { createMemoryAppendableLog } from '../testing/fake-audit-store.js';
import { resolveLogKey } from './log-key.js';
import { appendStartupRecord } from './startup-log.js';

let attestor: Attestor;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ attestor, cleanup } = await memoAttestor());
});
afterAll(() => cleanup());

describe('appendStartupRecord', () => {
  it('appends one record per start; the reader proves them', async () => {
    const storage = createMemoryAppendableLog('startup');
    const common = { storage, attestor, buildId: 'ee'.repeat(32), logSignerKey: undefined };
    const first = await appendStartupRecord({ ...common, audience: 'gw one', now: new Date('2025-06-01T00:00:00Z') });
    const second = await appendStartupRecord({ ...common, audience: 'renamed', now: new Date('2025-06-02T00:00:00Z') });
    expect([first.index, second.index]).toEqual([0, 1]);
    expect(first.origin).toBe('gw-one/saferouter/startup');
    expect(second.origin).toBe(first.origin); // fixed by the first start
    expect(second.record.audience).toBe('renamed');
    expect(first.key.verifier.publicKey).toEqual(attestor.signingPublicKey);

    const head = await second.reader.latest();
    expect(head?.size).toBe(2);
    expect(head?.opened.checkpoint.origin).toBe(first.origin);
    const entries = await second.reader.entries(0, 10, 2);
    expect(entries.map((e) => parseStartupRecord(e.entry).time)).toEqual([
      '2025-06-01T00:00:00.000Z',
      '2025-06-02T00:00:00.000Z',
    ]);
    const proof = await second.reader.inclusionProof(1, 2);
    expect(
      verifyInclusion({
        index: 1,
        size: 2,
        leafHash: leafHash(entries[1]!.entry),
        proof,
        rootHash: head!.opened.checkpoint.rootHash,
      }).ok,
    ).toBe(true);
    const consistency = await second.reader.consistencyProof(1, 2);
    const rootHash1 = leafHash(entries[0]!.entry); // a tree of one leaf has the leaf's hash as root
    expect(
      verifyConsistency({
        size1: 1,
        size2: 2,
        proof: consistency,
        rootHash1,
        rootHash2: head!.opened.checkpoint.rootHash,
      }).ok,
    ).toBe(true);
  });

  it('signs with SAFEROUTER_LOG_KEY when given, and rejects a bad one without echoing it', async () => {
    const { skey, vkey } = await generateSignerKey('shared/saferouter/startup');
    const key = await resolveLogKey('ignored', attestor.identity, skey);
    expect(key.verifier.vkey).toBe(vkey);
    const secret = 'PRIVATE+KEY+not-a-key';
    const error = await resolveLogKey('x', attestor.identity, secret).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/SAFEROUTER_LOG_KEY is not a valid/);
    expect((error as Error).message).not.toContain(secret);
  });
});
