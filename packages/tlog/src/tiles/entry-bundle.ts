/**
 * Entry bundles (c2sp.org/tlog-tiles): the entries of one level-0 tile, each prefixed by its
 * length as a big-endian uint16, so an entry is at most 65,535 bytes. Decoding is strict: a
 * truncated entry, trailing bytes or the wrong number of entries is malformed.
 */
import { TlogError } from '../errors.js';
import { assertArray, assertBytes, assertIntegerInRange } from '../validate.js';
import { TILE_WIDTH } from './tile-geometry.js';

/** Largest entry a bundle can hold. */
export const MAX_ENTRY_SIZE = 0xffff;

/**
 * @example
 * encodeEntryBundle([utf8Encode('a'), utf8Encode('bc')]); // 00 01 61 00 02 62 63
 * @throws {TypeError} when `entries` is not an array of Uint8Array.
 * @throws {RangeError} when there are more than 256 entries or one is larger than 65,535 bytes.
 */
export function encodeEntryBundle(entries: readonly Uint8Array[]): Uint8Array {
  assertArray(entries, 'entries', TILE_WIDTH);
  let length = 0;
  entries.forEach((e, i) => {
    assertBytes(e, `entries[${i}]`);
    if (e.length > MAX_ENTRY_SIZE) throw new RangeError(`entries[${i}] must be at most ${MAX_ENTRY_SIZE} bytes`);
    length += 2 + e.length;
  });
  const out = new Uint8Array(length);
  let offset = 0;
  for (const e of entries) {
    out[offset] = e.length >> 8;
    out[offset + 1] = e.length & 0xff;
    out.set(e, offset + 2);
    offset += 2 + e.length;
  }
  return out;
}

/**
 * The byte length of the first `count` entries of a bundle (how a backend that keeps only the
 * widest bundle serves a narrower one).
 *
 * @example
 * stored.subarray(0, entryBundlePrefixLength(stored, 5)); // the bundle of width 5
 * @throws {TlogError} `malformed` when the bundle holds fewer than `count` whole entries.
 */
export function entryBundlePrefixLength(bundle: Uint8Array, count: number): number {
  let offset = 0;
  for (let i = 0; i < count; i++) {
    if (offset + 2 > bundle.length) throw new TlogError('malformed', `entry bundle holds fewer than ${count} entries`);
    offset += 2 + ((bundle[offset]! << 8) | bundle[offset + 1]!);
    if (offset > bundle.length) throw new TlogError('malformed', 'entry bundle ends inside an entry');
  }
  return offset;
}

/**
 * @param width the number of entries the bundle must hold (1–256).
 * @example
 * const entries = decodeEntryBundle(bytes, 5);
 * @throws {TypeError} when `bundle` is not a Uint8Array.
 * @throws {RangeError} when `width` is outside 1–256.
 * @throws {TlogError} `malformed` when the bundle does not hold exactly `width` entries.
 */
export function decodeEntryBundle(bundle: Uint8Array, width: number): Uint8Array[] {
  assertBytes(bundle, 'bundle');
  assertIntegerInRange(width, 'width', 1, TILE_WIDTH);
  const entries: Uint8Array[] = [];
  let offset = 0;
  while (offset < bundle.length) {
    if (entries.length === width) throw new TlogError('malformed', `entry bundle holds more than ${width} entries`);
    if (offset + 2 > bundle.length) throw new TlogError('malformed', 'entry bundle ends inside a length prefix');
    const length = (bundle[offset]! << 8) | bundle[offset + 1]!;
    const end = offset + 2 + length;
    if (end > bundle.length) throw new TlogError('malformed', 'entry bundle ends inside an entry');
    entries.push(bundle.slice(offset + 2, end));
    offset = end;
  }
  if (entries.length !== width)
    throw new TlogError('malformed', `entry bundle holds ${entries.length} entries, expected ${width}`);
  return entries;
}
