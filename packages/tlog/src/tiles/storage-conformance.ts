/**
 * The behaviour every `TileStorage` must share, as a vitest suite any backend can run: the
 * memory storage runs it in `memory-storage.test.ts`, the directory storage in
 * `node/directory-storage.test.ts`, and SQLite / Postgres backends should too. Exported as
 * `@saferouter/tlog/testing`, never from the main entry, because it imports vitest.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { utf8Decode, utf8Encode } from '../encoding/bytes.js';
import { TlogError } from '../errors.js';
import { leafHash } from '../merkle/hash.js';
import { parseCheckpoint } from '../checkpoint/checkpoint.js';
import { signCheckpoint } from '../checkpoint/signed-checkpoint.js';
import { generateSignerKey } from '../note/keys.js';
import { parseNote } from '../note/note.js';
import { createAppender } from './appender.js';
import { decodeEntryBundle, encodeEntryBundle } from './entry-bundle.js';
import { createStorageFetch } from './storage-fetch.js';
import { verifyTileLog } from './tile-log-verifier.js';
import type { TileCommit, TileStorage } from './tile-storage.js';

/** One isolated, initially empty log store that can be opened more than once. */
export interface TileStorageFixture {
  /** Opens a new handle on this fixture's store. */
  open(): Promise<TileStorage>;
  /** Removes the store; called after each test. */
  destroy?(): Promise<void>;
}

const entry = (i: number): Uint8Array => utf8Encode(`conformance entry ${i}`);
const hashes = (from: number, to: number): Uint8Array => {
  const out = new Uint8Array((to - from) * 32);
  for (let i = from; i < to; i++) out.set(leafHash(entry(i)), (i - from) * 32);
  return out;
};
const bundle = (from: number, to: number): Uint8Array =>
  encodeEntryBundle(Array.from({ length: to - from }, (_, i) => entry(from + i)));

const key = generateSignerKey('conformance.example/log', { seed: new Uint8Array(32).fill(42) });

/** A real signed checkpoint note (backends may parse it), labelled by an extension line. */
async function checkpointNote(size: number, label = 'current'): Promise<string> {
  const { signer } = await key;
  return signCheckpoint(
    { origin: signer.name, size, rootHash: leafHash(utf8Encode(`root ${size}`)), extensions: [label] },
    [signer],
  );
}

async function commitOf(previousSize: number, size: number, label?: string): Promise<TileCommit> {
  return {
    previousSize,
    size,
    tiles: [{ tile: { level: 0, index: 0, width: size }, data: hashes(0, size) }],
    entryBundles: [{ bundle: { index: 0, width: size }, data: bundle(0, size) }],
    checkpoint: utf8Encode(await checkpointNote(size, label)),
  };
}

async function storedLabel(storage: TileStorage): Promise<string | undefined> {
  const note = await storage.readCheckpoint();
  return note === null ? undefined : parseCheckpoint(parseNote(utf8Decode(note)).text).extensions[0];
}

async function expectConflict(promise: Promise<unknown>): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(TlogError.isInstance(error) && error.code === 'conflict', `expected a conflict, got ${String(error)}`).toBe(
    true,
  );
}

/**
 * Registers the conformance tests for one backend. `createFixture` is called before each test
 * and must return a fresh, empty store.
 *
 * @example
 * describeTileStorageConformance('sqlite', async () => {
 *   const dir = await mkdtemp(join(tmpdir(), 'tlog-'));
 *   return { open: () => openSqliteTileStorage(join(dir, 'log.db')), destroy: () => rm(dir, { recursive: true }) };
 * });
 */
export function describeTileStorageConformance(name: string, createFixture: () => Promise<TileStorageFixture>): void {
  describe(`${name} tile storage conformance`, () => {
    let fixture: TileStorageFixture;
    let storage: TileStorage;

    beforeEach(async () => {
      fixture = await createFixture();
      storage = await fixture.open();
    });
    afterEach(async () => {
      await fixture.destroy?.();
    });

    it('starts empty', async () => {
      expect(await storage.readCheckpoint()).toBeNull();
      expect(await storage.readTile({ level: 0, index: 0, width: 1 })).toBeNull();
      expect(await storage.readEntryBundle({ index: 0, width: 1 })).toBeNull();
    });

    it('stores a commit and reads back exactly what was written', async () => {
      await storage.commit(await commitOf(0, 3));
      expect(utf8Decode((await storage.readCheckpoint())!)).toBe(await checkpointNote(3));
      expect([...(await storage.readTile({ level: 0, index: 0, width: 3 }))!]).toEqual([...hashes(0, 3)]);
      expect(decodeEntryBundle((await storage.readEntryBundle({ index: 0, width: 3 }))!, 3).map(utf8Decode)).toEqual([
        'conformance entry 0',
        'conformance entry 1',
        'conformance entry 2',
      ]);
      expect(await storage.readTile({ level: 0, index: 0, width: 4 })).toBeNull();
      expect(await storage.readTile({ level: 1, index: 0, width: 1 })).toBeNull();
      expect(await storage.readEntryBundle({ index: 1, width: 1 })).toBeNull();
    });

    it('keeps serving every width an earlier checkpoint implied', async () => {
      await storage.commit(await commitOf(0, 3));
      await storage.commit(await commitOf(3, 5));
      expect([...(await storage.readTile({ level: 0, index: 0, width: 3 }))!]).toEqual([...hashes(0, 3)]);
      expect([...(await storage.readTile({ level: 0, index: 0, width: 5 }))!]).toEqual([...hashes(0, 5)]);
      expect(decodeEntryBundle((await storage.readEntryBundle({ index: 0, width: 3 }))!, 3)).toHaveLength(3);
      expect(decodeEntryBundle((await storage.readEntryBundle({ index: 0, width: 5 }))!, 5)).toHaveLength(5);
      expect(utf8Decode((await storage.readCheckpoint())!)).toBe(await checkpointNote(5));
    });

    it('stores full tiles and several levels in one commit', async () => {
      await storage.commit({
        previousSize: 0,
        size: 257,
        tiles: [
          { tile: { level: 0, index: 0, width: 256 }, data: hashes(0, 256) },
          { tile: { level: 0, index: 1, width: 1 }, data: hashes(256, 257) },
          { tile: { level: 1, index: 0, width: 1 }, data: hashes(1000, 1001) },
        ],
        entryBundles: [
          { bundle: { index: 0, width: 256 }, data: bundle(0, 256) },
          { bundle: { index: 1, width: 1 }, data: bundle(256, 257) },
        ],
        checkpoint: utf8Encode(await checkpointNote(257)),
      });
      expect((await storage.readTile({ level: 0, index: 0, width: 256 }))?.length).toBe(8192);
      expect([...(await storage.readTile({ level: 1, index: 0, width: 1 }))!]).toEqual([...hashes(1000, 1001)]);
      expect(decodeEntryBundle((await storage.readEntryBundle({ index: 1, width: 1 }))!, 1).map(utf8Decode)).toEqual([
        'conformance entry 256',
      ]);
    });

    it('rejects a commit from a stale size with conflict, changing nothing', async () => {
      await storage.commit(await commitOf(0, 3));
      await expectConflict(storage.commit(await commitOf(0, 5, 'stale')));
      await expectConflict(storage.commit(await commitOf(4, 5, 'stale')));
      expect(await storedLabel(storage)).toBe('current');
      expect(await storage.readTile({ level: 0, index: 0, width: 5 })).toBeNull();
      expect(await storage.readEntryBundle({ index: 0, width: 5 })).toBeNull();
    });

    it('lets exactly one of two racing commits from the same size win', async () => {
      const other = await fixture.open();
      const [a, b] = await Promise.all([commitOf(0, 2, 'a'), commitOf(0, 3, 'b')]);
      const results = await Promise.allSettled([storage.commit(a), other.commit(b)]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const rejected = results.find((r) => r.status === 'rejected');
      expect(TlogError.isInstance(rejected?.reason) && rejected.reason.code === 'conflict').toBe(true);
      expect(['a', 'b']).toContain(await storedLabel(storage));
    });

    it('backs an appender end to end, across reopening', async () => {
      const { signer, verifier } = await key;
      const appender = await createAppender({ storage, signer });
      let next = 0;
      for (const batch of [1, 2, 300, 1, 250, 70]) {
        await appender.append(Array.from({ length: batch }, () => entry(next++)));
      }
      const reopened = await createAppender({ storage: await fixture.open(), signer });
      expect(reopened.size).toBe(624);
      expect([...reopened.rootHash]).toEqual([...appender.rootHash]);
      await reopened.append([entry(next++)]);
      await expectConflict(appender.append([entry(999)]));
      await appender.append([entry(next++)]);
      const result = await verifyTileLog({
        fetch: createStorageFetch(storage),
        verifier,
        entryIndex: 600,
        audit: true,
      });
      expect(result.issues).toEqual([]);
      expect(result.ok).toBe(true);
      expect(result.checkpoint?.checkpoint.size).toBe(626);
      expect(utf8Decode(result.entry!)).toBe('conformance entry 600');
    });
  });
}
