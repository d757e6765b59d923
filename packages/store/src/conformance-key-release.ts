/**
 * Key-release conformance: the first claim of a build's deployment key wins (also across
 * connections racing), holders are announced, refreshed and listed newest first, requests are
 * pending until refused, granted or expired, one holder at a time claims one, a grant is stored
 * once and read once, deleting a request deletes its grant, and the boundary checks.
 */

import { InvalidArgumentError } from '@saferouter/errors';
import { describe, expect, it } from 'vitest';
import { expectStoreError, T0, type ConformanceContext } from './conformance-support.js';
import type {
  DeploymentKeyRecord,
  KeyGrantRecord,
  KeyHolderRecord,
  KeyReleaseStore,
  NewKeyRequest,
} from './key-release-types.js';

const hex = (byte: number): string => byte.toString(16).padStart(2, '0').repeat(32);
const BUILD = hex(0xb1);
const OTHER_BUILD = hex(0xb2);
const MOCK = 'mock';
const SNP = `sev-snp:${'ab'.repeat(48)}:${'00'.repeat(8)}`;
const A = hex(0xa1);
const B = hex(0xa2);

function deploymentKey(overrides: Partial<DeploymentKeyRecord> = {}): DeploymentKeyRecord {
  return { measurement: BUILD, platform: MOCK, publicKey: hex(0x01), createdBy: A, createdAt: T0, ...overrides };
}

function holder(overrides: Partial<KeyHolderRecord> = {}): KeyHolderRecord {
  return { measurement: BUILD, platform: MOCK, holder: A, label: 'host-a pid 1', seenAt: T0, ...overrides };
}

function request(id: string, overrides: Partial<NewKeyRequest> = {}): NewKeyRequest {
  return {
    id,
    measurement: BUILD,
    platform: MOCK,
    requester: B,
    label: 'host-b pid 2',
    bundle: `{"version":1,"id":"${id}"}`,
    createdAt: T0,
    expiresAt: T0 + 30_000,
    ...overrides,
  };
}

function grant(requestId: string, overrides: Partial<KeyGrantRecord> = {}): KeyGrantRecord {
  return {
    requestId,
    holder: A,
    enc: 'A'.repeat(43),
    ciphertext: 'B'.repeat(64),
    bundle: '{"version":1,"holder":true}',
    createdAt: T0 + 5,
    ...overrides,
  };
}

export function describeKeyReleaseConformance(ctx: ConformanceContext): void {
  describe('key release', () => {
    const kr = (): KeyReleaseStore => ctx.store().keyRelease;

    describe('deployment keys', () => {
      it('the first claim wins: later claims get the first row back, other builds and platforms are apart', async () => {
        expect(await kr().deploymentKey(BUILD, MOCK)).toBeUndefined();
        const first = deploymentKey();
        expect(await kr().claimDeploymentKey(first)).toEqual(first);
        const late = deploymentKey({ publicKey: hex(0x02), createdBy: B, createdAt: T0 + 1 });
        expect(await kr().claimDeploymentKey(late)).toEqual(first);
        expect(await kr().deploymentKey(BUILD, MOCK)).toEqual(first);
        const snp = deploymentKey({ platform: SNP, publicKey: hex(0x03) });
        expect(await kr().claimDeploymentKey(snp)).toEqual(snp);
        const other = deploymentKey({ measurement: OTHER_BUILD, publicKey: hex(0x04) });
        expect(await kr().claimDeploymentKey(other)).toEqual(other);
        expect(await kr().deploymentKey(BUILD, MOCK)).toEqual(first);
        expect(await (await ctx.open()).keyRelease.deploymentKey(BUILD, SNP)).toEqual(snp);
      });

      it('replicas claiming at once on separate connections all get one and the same row', async () => {
        const stores = [ctx.store(), await ctx.open(), await ctx.open()];
        const claims = await Promise.all(
          stores.flatMap((s, i) =>
            [0, 1, 2].map((j) =>
              s.keyRelease.claimDeploymentKey(
                deploymentKey({ publicKey: hex(0x10 + i * 3 + j), createdBy: hex(0x40 + i) }),
              ),
            ),
          ),
        );
        const winner = claims[0];
        expect(claims.every((c) => JSON.stringify(c) === JSON.stringify(winner))).toBe(true);
        expect(await kr().deploymentKey(BUILD, MOCK)).toEqual(winner);
      });
    });

    describe('holders', () => {
      it('announces, refreshes (label and time), lists newest first per build and platform, and forgets', async () => {
        expect(await kr().holders(BUILD, MOCK)).toEqual([]);
        await kr().announceHolder(holder());
        await kr().announceHolder(holder({ holder: B, label: 'host-b', seenAt: T0 + 10 }));
        await kr().announceHolder(holder({ platform: SNP, seenAt: T0 + 99 }));
        expect(await kr().holders(BUILD, MOCK)).toEqual([
          holder({ holder: B, label: 'host-b', seenAt: T0 + 10 }),
          holder(),
        ]);
        await kr().announceHolder(holder({ label: 'host-a pid 3', seenAt: T0 + 20 }));
        expect(await kr().holders(BUILD, MOCK)).toEqual([
          holder({ label: 'host-a pid 3', seenAt: T0 + 20 }),
          holder({ holder: B, label: 'host-b', seenAt: T0 + 10 }),
        ]);
        await kr().removeHolder(BUILD, MOCK, A);
        await kr().removeHolder(BUILD, MOCK, hex(0xee));
        expect((await kr().holders(BUILD, MOCK)).map((h) => h.holder)).toEqual([B]);
        expect(await kr().holders(BUILD, SNP)).toEqual([holder({ platform: SNP, seenAt: T0 + 99 })]);
        expect(await kr().holders(OTHER_BUILD, MOCK)).toEqual([]);
      });
    });

    describe('requests', () => {
      it('stores a request with no refusal, refuses a second with the same id', async () => {
        await kr().insertRequest(request('kr_1'));
        expect(await kr().getRequest('kr_1')).toEqual({ ...request('kr_1'), refusal: null });
        expect(await kr().getRequest('kr_2')).toBeUndefined();
        await expectStoreError(kr().insertRequest(request('kr_1', { label: 'again' })), 'conflict');
        expect((await kr().getRequest('kr_1'))?.label).toBe('host-b pid 2');
      });

      it('pending: this build and platform, not refused, not granted, not expired; oldest first, bounded', async () => {
        await kr().insertRequest(request('kr_late', { createdAt: T0 + 2 }));
        await kr().insertRequest(request('kr_early', { createdAt: T0 + 1 }));
        await kr().insertRequest(request('kr_tie_b', { createdAt: T0 + 3 }));
        await kr().insertRequest(request('kr_tie_a', { createdAt: T0 + 3 }));
        await kr().insertRequest(request('kr_other_build', { measurement: OTHER_BUILD }));
        await kr().insertRequest(request('kr_other_platform', { platform: SNP }));
        await kr().insertRequest(request('kr_expired', { expiresAt: T0 + 100 }));
        await kr().insertRequest(request('kr_refused'));
        await kr().insertRequest(request('kr_granted'));
        await kr().refuseRequest('kr_refused', 'holder a: measurement differs');
        expect(await kr().insertGrant(grant('kr_granted'))).toBe(true);
        const ids = async (now: number, limit = 100) =>
          (await kr().pendingRequests(BUILD, MOCK, now, limit)).map((r) => r.id);
        expect(await ids(T0 + 99)).toEqual(['kr_expired', 'kr_early', 'kr_late', 'kr_tie_a', 'kr_tie_b']);
        expect(await ids(T0 + 100)).toEqual(['kr_early', 'kr_late', 'kr_tie_a', 'kr_tie_b']);
        expect(await ids(T0 + 100, 2)).toEqual(['kr_early', 'kr_late']);
        expect(await ids(T0 + 30_000)).toEqual([]);
        expect((await kr().pendingRequests(BUILD, SNP, T0, 10)).map((r) => r.id)).toEqual(['kr_other_platform']);
        expect((await kr().pendingRequests(BUILD, MOCK, T0, 1))[0]).toEqual({
          ...request('kr_expired', { expiresAt: T0 + 100 }),
          refusal: null,
        });
      });

      it('one holder claims a request at a time; a stale claim can be taken over; a refused one cannot', async () => {
        await kr().insertRequest(request('kr_1'));
        expect(await kr().claimRequest('kr_1', A, T0 + 10, T0)).toBe(true);
        expect(await kr().claimRequest('kr_1', B, T0 + 11, T0)).toBe(false);
        expect(await kr().claimRequest('kr_1', A, T0 + 12, T0)).toBe(true);
        // A's claim (at T0 + 12) is older than B's staleness bound: B takes over.
        expect(await kr().claimRequest('kr_1', B, T0 + 5000, T0 + 13)).toBe(true);
        expect(await kr().claimRequest('kr_1', A, T0 + 5001, T0 + 13)).toBe(false);
        expect(await kr().claimRequest('kr_missing', A, T0, T0)).toBe(false);
        await kr().refuseRequest('kr_1', 'stale request');
        expect(await kr().claimRequest('kr_1', B, T0 + 6000, T0 + 6000)).toBe(false);
      });

      it('the first refusal stays; refusing an unknown request does nothing', async () => {
        await kr().insertRequest(request('kr_1'));
        await kr().refuseRequest('kr_1', 'first reason');
        await kr().refuseRequest('kr_1', 'second reason');
        await kr().refuseRequest('kr_missing', 'nobody');
        expect((await kr().getRequest('kr_1'))?.refusal).toBe('first reason');
        expect(await kr().getRequest('kr_missing')).toBeUndefined();
      });
    });

    describe('grants', () => {
      it('one grant per request, none for a missing request; read once, on any connection', async () => {
        await kr().insertRequest(request('kr_1'));
        expect(await kr().insertGrant(grant('kr_1'))).toBe(true);
        expect(await kr().insertGrant(grant('kr_1', { holder: B, ciphertext: 'C'.repeat(64) }))).toBe(false);
        expect(await kr().insertGrant(grant('kr_missing'))).toBe(false);
        const other = await ctx.open();
        const takes = await Promise.all([kr().takeGrant('kr_1'), other.keyRelease.takeGrant('kr_1')]);
        expect(takes.filter((t) => t !== undefined)).toEqual([grant('kr_1')]);
        expect(await kr().takeGrant('kr_1')).toBeUndefined();
        expect(await kr().takeGrant('kr_missing')).toBeUndefined();
      });

      it('deleting a request deletes its grant; a request made again with that id has none', async () => {
        await kr().insertRequest(request('kr_1'));
        expect(await kr().insertGrant(grant('kr_1'))).toBe(true);
        await kr().deleteRequest('kr_1');
        await kr().deleteRequest('kr_1');
        expect(await kr().getRequest('kr_1')).toBeUndefined();
        await kr().insertRequest(request('kr_1'));
        expect(await kr().takeGrant('kr_1')).toBeUndefined();
      });

      it('deleteExpired removes requests expired at or before now, with their grants, and counts them', async () => {
        await kr().insertRequest(request('kr_1', { expiresAt: T0 + 10 }));
        await kr().insertRequest(request('kr_2', { expiresAt: T0 + 20 }));
        await kr().insertRequest(request('kr_3', { expiresAt: T0 + 30 }));
        expect(await kr().insertGrant(grant('kr_1'))).toBe(true);
        expect(await kr().deleteExpired(T0 + 20)).toBe(2);
        expect(await kr().deleteExpired(T0 + 20)).toBe(0);
        expect(await kr().getRequest('kr_2')).toBeUndefined();
        expect(await kr().getRequest('kr_3')).toBeDefined();
        await kr().insertRequest(request('kr_1'));
        expect(await kr().takeGrant('kr_1')).toBeUndefined();
      });
    });

    it('refuses malformed input, naming the field', async () => {
      const bad = async (p: Promise<unknown>, field: string) => {
        const err = await p.then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(InvalidArgumentError);
        expect((err as Error).message).toContain(field);
      };
      await bad(kr().claimDeploymentKey(deploymentKey({ measurement: 'AB'.repeat(32) })), 'rec.measurement');
      await bad(kr().claimDeploymentKey(deploymentKey({ platform: 'Mock Platform' })), 'rec.platform');
      await bad(kr().claimDeploymentKey(deploymentKey({ publicKey: hex(1).slice(2) })), 'rec.publicKey');
      await bad(kr().claimDeploymentKey(deploymentKey({ createdAt: -1 })), 'rec.createdAt');
      await bad(kr().announceHolder(holder({ label: 'x'.repeat(201) })), 'rec.label');
      await bad(kr().insertRequest(request('bad id')), 'rec.id');
      await bad(kr().insertRequest(request('kr_1', { bundle: 'x'.repeat(64 * 1024 + 1) })), 'rec.bundle');
      await bad(kr().insertGrant(grant('kr_1', { enc: 'not+base64url' })), 'rec.enc');
      await bad(kr().insertGrant(grant('kr_1', { ciphertext: '' })), 'rec.ciphertext');
      await bad(kr().refuseRequest('kr_1', ''), 'reason');
      await bad(kr().refuseRequest('kr_1', 'x'.repeat(1001)), 'reason');
      await bad(kr().pendingRequests(BUILD, MOCK, T0, 0), 'limit');
      await bad(kr().pendingRequests(BUILD, MOCK, T0, 101), 'limit');
      await bad(kr().holders(BUILD, ''), 'platform');
      await bad(kr().takeGrant('x'.repeat(65)), 'requestId');
      await bad(kr().claimRequest('kr_1', 'nothex', T0, T0), 'holder');
      expect(await kr().getRequest('kr_1')).toBeUndefined();
    });

    it('rejects every call after close', async () => {
      const store = await ctx.open();
      await store.close();
      await expectStoreError(store.keyRelease.deploymentKey(BUILD, MOCK), 'closed');
      await expectStoreError(store.keyRelease.pendingRequests(BUILD, MOCK, T0, 1), 'closed');
      await expectStoreError(store.keyRelease.takeGrant('kr_1'), 'closed');
    });
  });
}
