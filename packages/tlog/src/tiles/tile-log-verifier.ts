/**
 * The reader side of a tiled log: given any c2sp.org/tlog-tiles log as a fetch function and the
 * log's verifier key, fetch the checkpoint, verify its signature (and configured witnesses'),
 * recompute its root from the right-edge tiles and, for an entry index, fetch the entry from its
 * bundle and verify its inclusion with a proof built from the tiles. `audit: true` additionally
 * checks every tile and bundle of the log (O(n)). Browser-safe; `verifyTileLog` reports,
 * `assertTileLog` throws.
 */
import { checkCheckpoint, type OpenCheckpointOptions, type OpenedCheckpoint } from '../checkpoint/signed-checkpoint.js';
import { bytesEqual } from '../encoding/bytes.js';
import { TlogError } from '../errors.js';
import { HASH_SIZE, leafHash } from '../merkle/hash.js';
import { assertInclusion, generateInclusionProof } from '../merkle/inclusion.js';
import { rootFromReader } from '../merkle/root.js';
import { assertCount, assertFunction, checkObject } from '../validate.js';
import { CheckList, errorMessage, failure, type Verification } from '../verification.js';
import { decodeEntryBundle } from './entry-bundle.js';
import {
  hashCountAtLevel,
  MAX_TILE_LEVEL,
  TILE_HEIGHT,
  TILE_WIDTH,
  tileWidth,
  type EntryBundleRef,
  type TileRef,
} from './tile-geometry.js';
import { createTileHashReader, expandTile, readTileChecked, TileCache, type ReadTile } from './tile-hash-reader.js';
import { CHECKPOINT_PATH, entryBundlePath, tilePath } from './tile-path.js';
import type { TileFetch } from './storage-fetch.js';

export interface TileLogOptions extends OpenCheckpointOptions {
  /** Fetches a resource by its path under the log prefix (`checkpoint`, `tile/0/000`, …). */
  readonly fetch: TileFetch;
  /** An entry to fetch and prove included. */
  readonly entryIndex?: number;
  /** Check every tile and entry bundle, not only the right edge (reads the whole log). */
  readonly audit?: boolean;
  /** Shared expanded-tile cache (a private one by default). */
  readonly cache?: TileCache;
}

export interface TileLogVerification extends Verification {
  readonly checkpoint?: OpenedCheckpoint;
  /** The entry at `entryIndex`, when it was fetched and proven included. */
  readonly entry?: Uint8Array;
  /** Its inclusion proof. */
  readonly proof?: readonly Uint8Array[];
}

function checkOptions(options: TileLogOptions): void {
  checkObject(options, 'options');
  assertFunction(options.fetch, 'options.fetch');
  if (options.entryIndex !== undefined) assertCount(options.entryIndex, 'options.entryIndex');
}

/**
 * A log may delete a partial tile or bundle once the full one exists (c2sp.org/tlog-tiles), so a
 * missing partial falls back to the prefix of the full resource. Safe: tiles only grow, and every
 * hash read is authenticated by the checkpoint root in the end.
 */
async function fetchBundle(fetch: TileFetch, bundle: EntryBundleRef): Promise<Uint8Array[]> {
  const data = await fetch(entryBundlePath(bundle));
  if (data !== null) return decodeEntryBundle(data, bundle.width);
  const full =
    bundle.width < TILE_WIDTH ? await fetch(entryBundlePath({ index: bundle.index, width: TILE_WIDTH })) : null;
  if (full === null) throw new TlogError('missing', `entry bundle ${entryBundlePath(bundle)} is missing`);
  return decodeEntryBundle(full, TILE_WIDTH).slice(0, bundle.width);
}

function tileReader(fetch: TileFetch): ReadTile {
  return async (tile) => {
    const data = await fetch(tilePath(tile));
    if (data !== null || tile.width === TILE_WIDTH) return data;
    const full = await fetch(tilePath({ ...tile, width: TILE_WIDTH }));
    return full !== null && full.length === TILE_WIDTH * HASH_SIZE ? full.subarray(0, tile.width * HASH_SIZE) : null;
  };
}

/** Every tile against the level above and every bundle against its level-0 tile. */
async function auditTiles(fetch: TileFetch, readTile: ReadTile, size: number): Promise<number> {
  const upper = createTileHashReader({ readTile, size, cache: new TileCache(4) });
  let checked = 0;
  for (let level = 0; level <= MAX_TILE_LEVEL && hashCountAtLevel(size, level) > 0; level++) {
    const tiles = Math.ceil(hashCountAtLevel(size, level) / TILE_WIDTH);
    for (let index = 0; index < tiles; index++) {
      const tile: TileRef = { level, index, width: tileWidth(size, level, index) };
      const data = await readTileChecked(readTile, tile);
      if (level === 0) {
        const entries = await fetchBundle(fetch, { index, width: tile.width });
        entries.forEach((entry, i) => {
          if (!bytesEqual(leafHash(entry), data.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE))) {
            throw new TlogError('corrupt', `entry ${index * TILE_WIDTH + i} does not match tile ${tilePath(tile)}`);
          }
        });
      }
      if (tile.width === TILE_WIDTH) {
        const [above] = await upper([{ level: (level + 1) * TILE_HEIGHT, index }]);
        if (!bytesEqual(expandTile(data)[TILE_HEIGHT]!, above!)) {
          throw new TlogError(
            'corrupt',
            `tile ${tilePath(tile)} does not hash to its entry in tile level ${level + 1}`,
          );
        }
      }
      checked++;
    }
  }
  return checked;
}

async function run(options: TileLogOptions, checks: CheckList): Promise<Omit<TileLogVerification, keyof Verification>> {
  checkOptions(options);
  const { fetch } = options;
  const note = await checks.record(
    'checkpoint.fetch',
    async () => {
      const body = await fetch(CHECKPOINT_PATH);
      if (body === null) throw new TlogError('missing', 'the log has no checkpoint');
      return body;
    },
    (b) => `fetched ${b.length} bytes`,
  );
  if (note === undefined) return {};
  const opened = await checkCheckpoint(note, options, checks);
  if (opened === undefined) return {};
  const { size, rootHash } = opened.checkpoint;
  const readTile = tileReader(fetch);
  const reader = createTileHashReader({
    readTile,
    size,
    ...(options.cache === undefined ? {} : { cache: options.cache }),
  });

  await checks.record(
    'tiles.root',
    async () => {
      if (!bytesEqual(await rootFromReader(size, reader), rootHash))
        throw new TlogError('corrupt', 'tiles do not hash to the checkpoint root');
    },
    () => `tiles hash to the root of size ${size}`,
  );
  if (options.audit === true) {
    await checks.record(
      'tiles.audit',
      () => auditTiles(fetch, readTile, size),
      (n) => `${n} tiles agree with their entry bundles and parent tiles`,
    );
  }
  if (options.entryIndex === undefined) return { checkpoint: opened };

  const index = options.entryIndex;
  const entry = await checks.record(
    'entry.bundle',
    async () => {
      if (index >= size) throw new TlogError('missing', `entry ${index} is beyond the tree size ${size}`);
      const bundleIndex = Math.floor(index / TILE_WIDTH);
      const entries = await fetchBundle(fetch, { index: bundleIndex, width: tileWidth(size, 0, bundleIndex) });
      return entries[index % TILE_WIDTH]!;
    },
    (e) => `entry ${index} is ${e.length} bytes`,
  );
  if (entry === undefined) return { checkpoint: opened };
  const proof = await checks.record(
    'entry.inclusion',
    async () => {
      const proof = await generateInclusionProof(index, size, reader);
      assertInclusion({ index, size, leafHash: leafHash(entry), proof, rootHash });
      return proof;
    },
    (p) => `entry ${index} is included (proof of ${p.length} hashes)`,
  );
  return proof === undefined ? { checkpoint: opened } : { checkpoint: opened, entry, proof };
}

/**
 * Never throws on bad data. Checks: `checkpoint.fetch`, `checkpoint.signature`,
 * `checkpoint.body`, `checkpoint.cosignatures` (with witnesses), `tiles.root`, `tiles.audit`
 * (with `audit`), `entry.bundle` and `entry.inclusion` (with `entryIndex`).
 *
 * @example
 * const result = await verifyTileLog({ fetch: createHttpTileFetch(url), verifier: parseVerifierKey(vkey), entryIndex: 7 });
 * if (result.ok) show(result.entry);
 */
export async function verifyTileLog(options: TileLogOptions): Promise<TileLogVerification> {
  const checks = new CheckList();
  let extra: Omit<TileLogVerification, keyof Verification> = {};
  try {
    extra = await run(options, checks);
  } catch (error) {
    // Only bad options get here (the checks catch bad data); report them as a failed check too.
    checks.fail('options', errorMessage(error));
  }
  const result = checks.result();
  return { ...result, ...(result.ok ? extra : extra.checkpoint === undefined ? {} : { checkpoint: extra.checkpoint }) };
}

/**
 * @example
 * const { checkpoint, entry } = await assertTileLog({ fetch, verifier, entryIndex: 7 });
 * @throws {TlogError} the first failed check's error (`missing`, `signature`, `corrupt`, `proof`, …).
 */
export async function assertTileLog(
  options: TileLogOptions,
): Promise<TileLogVerification & { checkpoint: OpenedCheckpoint }> {
  const checks = new CheckList();
  checkOptions(options);
  const extra = await run(options, checks);
  const result = checks.result();
  if (!result.ok || extra.checkpoint === undefined) throw failure(result, checks.firstError, 'corrupt');
  return { ...result, ...extra, checkpoint: extra.checkpoint };
}
