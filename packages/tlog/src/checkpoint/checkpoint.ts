/**
 * The checkpoint body (c2sp.org/tlog-checkpoint): the origin line, the tree size in decimal with
 * no leading zeros, the base64 root hash, then optional non-empty extension lines, each ending in
 * a newline. Tree sizes are limited to 2^53 − 1 so they stay exact as JavaScript numbers.
 */
import { decodeBase64, encodeBase64 } from '../encoding/base64.js';
import { TlogError } from '../errors.js';
import { HASH_SIZE } from '../merkle/hash.js';
import { assertArray, assertBytes, assertCount, assertString, checkObject } from '../validate.js';

export interface Checkpoint {
  /** The log's identity, e.g. `example.com/log`. */
  readonly origin: string;
  /** Number of entries in the tree. */
  readonly size: number;
  /** RFC 6962 root hash of the tree of `size` entries. */
  readonly rootHash: Uint8Array;
  /** Opaque extension lines (without newlines); usually empty. */
  readonly extensions: readonly string[];
}

/**
 * An origin line: non-empty, no newline or other control character. (Spaces and `+` are only
 * discouraged by the spec, and some logs, like Go's checksum database, use spaces.)
 *
 * @example
 * assertOrigin('example.com/log', 'options.origin');
 * @throws {TypeError} when `origin` is not a string.
 * @throws {RangeError} when it is empty or holds a control character.
 */
export function assertOrigin(origin: unknown, name = 'origin'): asserts origin is string {
  assertString(origin, name, 1, 1024);
  for (let i = 0; i < origin.length; i++) {
    const c = origin.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) throw new RangeError(`${name} must not contain control characters`);
  }
}

const SIZE_PATTERN = /^(0|[1-9][0-9]{0,15})$/;

/**
 * @example
 * parseCheckpoint('example.com/log\n5\n<base64 root>\n');
 * @throws {TypeError} when `text` is not a string.
 * @throws {TlogError} `malformed` when the body breaks the format.
 */
export function parseCheckpoint(text: string): Checkpoint {
  assertString(text, 'text');
  if (!text.endsWith('\n')) throw new TlogError('malformed', 'checkpoint must end with a newline');
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3)
    throw new TlogError('malformed', 'checkpoint must have an origin, a tree size and a root hash line');
  const [origin, sizeLine, rootLine, ...extensions] = lines as [string, string, string, ...string[]];
  if (origin === '') throw new TlogError('malformed', 'checkpoint origin must not be empty');
  if (!SIZE_PATTERN.test(sizeLine) || !Number.isSafeInteger(Number(sizeLine))) {
    throw new TlogError('malformed', 'checkpoint tree size must be a decimal number with no leading zeros, below 2^53');
  }
  const rootHash = decodeBase64(rootLine);
  if (rootHash.length !== HASH_SIZE) throw new TlogError('malformed', 'checkpoint root hash must be 32 bytes');
  if (extensions.some((e) => e === ''))
    throw new TlogError('malformed', 'checkpoint extension lines must not be empty');
  return { origin, size: Number(sizeLine), rootHash, extensions };
}

/**
 * The body text (what gets signed), ending in a newline.
 *
 * @example
 * formatCheckpoint({ origin: 'example.com/log', size: 5, rootHash, extensions: [] });
 * @throws {TypeError} when a field has the wrong type.
 * @throws {RangeError} when the origin or an extension line is empty or holds a newline, the
 *   size is not a non-negative safe integer, or the root hash is not 32 bytes.
 */
export function formatCheckpoint(checkpoint: Checkpoint): string {
  checkObject(checkpoint, 'checkpoint');
  const { origin, size, rootHash } = checkpoint;
  const extensions = checkpoint.extensions ?? [];
  assertOrigin(origin, 'checkpoint.origin');
  assertCount(size, 'checkpoint.size');
  assertBytes(rootHash, 'checkpoint.rootHash', HASH_SIZE);
  assertArray(extensions, 'checkpoint.extensions');
  extensions.forEach((e, i) => {
    assertString(e, `checkpoint.extensions[${i}]`, 1);
    if (e.includes('\n')) throw new RangeError(`checkpoint.extensions[${i}] must not contain a newline`);
  });
  return [origin, String(size), encodeBase64(rootHash), ...extensions].join('\n') + '\n';
}
