/**
 * Resource paths of a tiled log (c2sp.org/tlog-tiles): `checkpoint`, `tile/<L>/<N>[.p/<W>]` and
 * `tile/entries/<N>[.p/<W>]`, where N is written in 3-digit groups, all but the last prefixed
 * with `x` (1234067 → x001/x234/067). Parsing accepts only the canonical spelling, so one tile
 * has one path.
 */
import { TlogError } from '../errors.js';
import { assertCount, assertIntegerInRange, assertString, checkObject } from '../validate.js';
import { MAX_TILE_LEVEL, TILE_WIDTH, type EntryBundleRef, type TileRef } from './tile-geometry.js';

export const CHECKPOINT_PATH = 'checkpoint';

/**
 * @example
 * formatTileIndex(1234067); // 'x001/x234/067'
 * @throws {RangeError} when `index` is not a non-negative safe integer.
 */
export function formatTileIndex(index: number): string {
  assertCount(index, 'index');
  let digits = String(index);
  digits = digits.padStart(Math.ceil(digits.length / 3) * 3, '0');
  const groups: string[] = [];
  for (let i = 0; i < digits.length; i += 3) groups.push(digits.slice(i, i + 3));
  return groups.map((g, i) => (i < groups.length - 1 ? `x${g}` : g)).join('/');
}

function widthSuffix(width: number): string {
  assertIntegerInRange(width, 'width', 1, TILE_WIDTH);
  return width === TILE_WIDTH ? '' : `.p/${width}`;
}

/**
 * @example
 * tilePath({ level: 0, index: 1234067, width: 256 }); // 'tile/0/x001/x234/067'
 * tilePath({ level: 1, index: 2, width: 17 });        // 'tile/1/002.p/17'
 * @throws {TypeError} when a field is not a number.
 * @throws {RangeError} when the level is outside 0–63 or the width outside 1–256.
 */
export function tilePath(tile: TileRef): string {
  checkObject(tile, 'tile');
  assertIntegerInRange(tile.level, 'tile.level', 0, MAX_TILE_LEVEL);
  return `tile/${tile.level}/${formatTileIndex(tile.index)}${widthSuffix(tile.width)}`;
}

/**
 * @example
 * entryBundlePath({ index: 3, width: 5 }); // 'tile/entries/003.p/5'
 * @throws {TypeError} when a field is not a number.
 * @throws {RangeError} when the width is outside 1–256.
 */
export function entryBundlePath(bundle: EntryBundleRef): string {
  checkObject(bundle, 'bundle');
  return `tile/entries/${formatTileIndex(bundle.index)}${widthSuffix(bundle.width)}`;
}

export type TileResource =
  | { readonly kind: 'checkpoint' }
  | { readonly kind: 'tile'; readonly tile: TileRef }
  | { readonly kind: 'entries'; readonly bundle: EntryBundleRef };

const PATH = /^tile\/(entries|0|[1-9][0-9]?)\/((?:x[0-9]{3}\/)*[0-9]{3})(?:\.p\/([1-9][0-9]{0,2}))?$/;

/**
 * @example
 * parseTilePath('tile/entries/x001/234.p/7'); // { kind: 'entries', bundle: { index: 1234, width: 7 } }
 * @throws {TypeError} when `path` is not a string.
 * @throws {TlogError} `malformed` when it is not a canonical tlog-tiles path.
 */
export function parseTilePath(path: string): TileResource {
  assertString(path, 'path');
  if (path === CHECKPOINT_PATH) return { kind: 'checkpoint' };
  const match = PATH.exec(path);
  if (match === null) throw new TlogError('malformed', 'not a tlog-tiles path');
  const [, levelText, indexText, widthText] = match as unknown as [string, string, string, string | undefined];
  const groups = indexText.split('/').map((g) => g.replace(/^x/, ''));
  if (groups.length > 1 && groups[0] === '000') throw new TlogError('malformed', 'tile index has a leading zero group');
  const index = Number(groups.join(''));
  const width = widthText === undefined ? TILE_WIDTH : Number(widthText);
  if (!Number.isSafeInteger(index)) throw new TlogError('malformed', 'tile index is too large');
  if (widthText !== undefined && width >= TILE_WIDTH)
    throw new TlogError('malformed', 'partial tile width must be 1 to 255');
  if (levelText === 'entries') return { kind: 'entries', bundle: { index, width } };
  const level = Number(levelText);
  if (level > MAX_TILE_LEVEL) throw new TlogError('malformed', 'tile level must be 0 to 63');
  return { kind: 'tile', tile: { level, index, width } };
}
