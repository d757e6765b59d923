/**
 * Transparency-log storage conformance: atomic conditional commits, tiles and bundles that only
 * widen and are served as prefixes, logs kept apart by name, and an append lock that makes
 * appenders (in one process or across replicas) take turns.
 */

import { InvalidArgumentError } from '@saferouter/errors';
import { describe, expect, it } from 'vitest';
import { encodeEntryBundle, TlogError } from '@saferouter/tlog';
import type { ConformanceContext } from './conformance-support.js';
import type { TlogCommit, TlogStore } from './tlog-types.js';

const hashes = (n: number, seed: number): Uint8Array =>
  Uint8Array.from({ length: n * 32 }, (_, i) => (i * 7 + seed) & 0xff);
const enc = new TextEncoder();
const bundle = (entries: string[]): Uint8Array => encodeEntryBundle(entries.map((e) => enc.encode(e)));
const entries = (from: number, to: number): string[] =>
  Array.from({ length: to - from }, (_, i) => `entry ${from + i}`);

/** A commit growing the log from `from` to `to` entries (< 256): one level-0 tile and one bundle. */
function grow(from: number, to: number, note = `checkpoint ${to}\n`): TlogCommit {
  return {
    previousSize: from,
    size: to,
    tiles: [{ tile: { level: 0, index: 0, width: to }, data: hashes(to, 1) }],
    entryBundles: [{ bundle: { index: 0, width: to }, data: bundle(entries(0, to)) }],
    checkpoint: enc.encode(note),
  };
}

async function expectConflict(promise: Promise<unknown>): Promise<void> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(
    TlogError.isInstance(error) && error.code === 'conflict',
    `expected a TlogError conflict, got ${String(error)}`,
  ).toBe(true);
}

export function describeTlogConformance(ctx: ConformanceContext): void {
  describe('tlog', () => {
    const log = (name = 'startup'): TlogStore => ctx.store().tlog.log(name);

    it('starts empty, and a commit stores tiles, bundles and the checkpoint together', async () => {
      const l = log();
      expect(await l.readCheckpoint()).toBeNull();
      expect(await l.readTile({ level: 0, index: 0, width: 1 })).toBeNull();
      await l.commit(grow(0, 3));
      expect(new TextDecoder().decode((await l.readCheckpoint())!)).toBe('checkpoint 3\n');
      expect(await l.readTile({ level: 0, index: 0, width: 3 })).toEqual(hashes(3, 1));
      expect(await l.readEntryBundle({ index: 0, width: 3 })).toEqual(bundle(entries(0, 3)));
      expect(await l.readTile({ level: 0, index: 0, width: 4 })).toBeNull();
      expect(await l.readEntryBundle({ index: 0, width: 4 })).toBeNull();
    });

    it('serves narrower widths as prefixes of the widest version, and never narrows a tile', async () => {
      const l = log();
      await l.commit(grow(0, 2));
      await l.commit(grow(2, 5));
      expect(await l.readTile({ level: 0, index: 0, width: 2 })).toEqual(hashes(5, 1).slice(0, 64));
      expect(await l.readEntryBundle({ index: 0, width: 2 })).toEqual(bundle(entries(0, 2)));
      expect(await l.readEntryBundle({ index: 0, width: 5 })).toEqual(bundle(entries(0, 5)));
      // A commit carrying an older, narrower tile leaves the wider one in place.
      await l.commit({
        ...grow(5, 6),
        tiles: [{ tile: { level: 0, index: 0, width: 1 }, data: hashes(1, 1) }],
        entryBundles: [],
      });
      expect(await l.readTile({ level: 0, index: 0, width: 5 })).toEqual(hashes(5, 1));
    });

    it('refuses a commit that does not extend the stored size, changing nothing', async () => {
      const l = log();
      await l.commit(grow(0, 3));
      await expectConflict(l.commit(grow(0, 4, 'stale\n')));
      await expectConflict(l.commit(grow(2, 4, 'stale\n')));
      expect(new TextDecoder().decode((await l.readCheckpoint())!)).toBe('checkpoint 3\n');
      expect(await l.readTile({ level: 0, index: 0, width: 4 })).toBeNull();
      expect(await l.readEntryBundle({ index: 0, width: 4 })).toBeNull();
    });

    it('keeps logs apart by name, and is shared by every connection to the database', async () => {
      await log('startup').commit(grow(0, 2));
      expect(await log('audit').readCheckpoint()).toBeNull();
      const other = await ctx.open();
      expect(await other.tlog.log('startup').readTile({ level: 0, index: 0, width: 2 })).toEqual(hashes(2, 1));
      await expectConflict(other.tlog.log('startup').commit(grow(0, 1)));
    });

    it('rejects malformed names and input', async () => {
      expect(() => ctx.store().tlog.log('Not OK')).toThrow(InvalidArgumentError);
      expect(() => ctx.store().tlog.log(7 as unknown as string)).toThrow(InvalidArgumentError);
      const l = log();
      await expect(l.readTile({ level: 0, index: 0, width: 0 })).rejects.toThrow(InvalidArgumentError);
      await expect(l.readTile({ level: 0, index: -1, width: 1 })).rejects.toThrow(InvalidArgumentError);
      await expect(
        l.commit({ ...grow(0, 2), tiles: [{ tile: { level: 0, index: 0, width: 2 }, data: hashes(1, 1) }] }),
      ).rejects.toThrow(InvalidArgumentError);
      await expect(
        l.commit({ ...grow(0, 2), entryBundles: [{ bundle: { index: 0, width: 3 }, data: bundle(entries(0, 2)) }] }),
      ).rejects.toThrow(InvalidArgumentError);
      await expect(l.commit({ ...grow(0, 2), checkpoint: 'text' as unknown as Uint8Array })).rejects.toThrow(
        InvalidArgumentError,
      );
      await expect(l.commit({ ...grow(0, 2), previousSize: 3 })).rejects.toThrow(InvalidArgumentError);
      expect(await l.readCheckpoint()).toBeNull();
    });

    it('the append lock makes appenders take turns, across connections too', async () => {
      const second = await ctx.open();
      const logs = [log(), log(), second.tlog.log('startup'), second.tlog.log('startup')];
      let inside = 0;
      let most = 0;
      // Each appender reads the size and commits the next one; without the lock they would race
      // on the same previousSize and all but one would conflict.
      const sizes = await Promise.all(
        logs.map((l) =>
          l.withAppendLock(async () => {
            inside++;
            most = Math.max(most, inside);
            const note = await l.readCheckpoint();
            const size = note === null ? 0 : Number(/checkpoint (\d+)/.exec(new TextDecoder().decode(note))?.[1]);
            await new Promise((r) => setTimeout(r, 20));
            await l.commit(grow(size, size + 1));
            inside--;
            return size + 1;
          }),
        ),
      );
      expect(most).toBe(1);
      expect(sizes.sort()).toEqual([1, 2, 3, 4]);
      // A failing append releases the lock.
      await expect(log().withAppendLock(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
      expect(await log().withAppendLock(async () => 'free')).toBe('free');
    });
  });
}
