/**
 * Boundary checks for the activity domain and its page cursor, shared by every backend so that
 * SQLite and Postgres accept the same entries, filters and cursors.
 *
 * The cursor is the (ts, id) of the last entry on a page. Ordering by `ts` alone would skip or
 * repeat entries sharing a timestamp at a page boundary; `id` breaks the tie, so every entry is
 * visited exactly once.
 */
import { InvalidArgumentError } from '@saferouter/errors';

import { ACTIVITY_MAX_BUCKETS, activityBucketCount } from './activity-buckets.js';
import { ACTIVITY_EXCLUDED_MAX_BYTES, activityExcludedBytes } from './activity-excluded.js';
import { ACTIVITY_KEY_SOURCES, type ActivityEntry, type ActivityFilter } from './activity-types.js';
import { assertRecordId, MAX_MICROS } from './billing-inputs.js';
import { assertKeyId } from './inputs.js';
import { assertBoolean, assertInteger, assertObject, assertOneOf, assertString, assertTimestamp } from './validate.js';

/** Default and maximum page size of `list()`. */
export const ACTIVITY_DEFAULT_LIMIT = 50;
export const ACTIVITY_MAX_LIMIT = 500;

/** The most samples one `endpointSamples()` call returns. */
export const ACTIVITY_MAX_SAMPLES = 10_000;

/** Longest `generationId` (an upstream's completion id; ours are far shorter) and `finishReason`. */
const GENERATION_ID_MAX = 200;
const FINISH_REASON_MAX = 64;

/** A position in the newest-first order: strictly older entries come next. */
export interface ActivityCursor {
  ts: number;
  id: string;
}

const OUTCOMES: readonly NonNullable<ActivityFilter['outcome']>[] = ['success', 'error'];

/** Counters that are never negative and fit a Postgres INTEGER. */
const INT32 = { min: 0, max: 2_147_483_647 } as const;

/**
 * @throws {InvalidArgumentError} naming the first malformed field, e.g. `entries[3].status`.
 */
export function assertActivityEntry(entry: unknown, name: string): asserts entry is ActivityEntry {
  assertObject(entry, name);
  assertRecordId(entry['id'], `${name}.id`);
  assertRecordId(entry['requestId'], `${name}.requestId`);
  assertTimestamp(entry['ts'], `${name}.ts`);
  assertKeyId(entry['keyId'], `${name}.keyId`);
  assertString(entry['model'], `${name}.model`, { min: 1, max: 200 });
  assertString(entry['provider'], `${name}.provider`, { min: 1, max: 100 });
  assertString(entry['originalModel'], `${name}.originalModel`, { min: 1, max: 200 });
  assertInteger(entry['attempt'], `${name}.attempt`, { min: 0, max: 1000 });
  // 0 leaves room for "no HTTP response at all" (connection refused) if a caller records it so.
  assertInteger(entry['status'], `${name}.status`, { min: 0, max: 999 });
  if (entry['error'] !== null) assertString(entry['error'], `${name}.error`, { min: 0, max: 4000 });
  assertInteger(entry['latencyMs'], `${name}.latencyMs`, INT32);
  if (entry['ttfbMs'] !== null) assertInteger(entry['ttfbMs'], `${name}.ttfbMs`, INT32);
  assertInteger(entry['promptTokens'], `${name}.promptTokens`, INT32);
  assertInteger(entry['completionTokens'], `${name}.completionTokens`, INT32);
  assertInteger(entry['costMicros'], `${name}.costMicros`, { min: 0, max: MAX_MICROS });
  assertBoolean(entry['stream'], `${name}.stream`);
  assertBoolean(entry['estimated'], `${name}.estimated`);
  // Added by migration 5; absent (or `undefined`, from plain JS) means the default.
  const generationId = entry['generationId'];
  if (generationId !== undefined && generationId !== null)
    assertString(generationId, `${name}.generationId`, { min: 1, max: GENERATION_ID_MAX });
  const finishReason = entry['finishReason'];
  if (finishReason !== undefined && finishReason !== null)
    assertString(finishReason, `${name}.finishReason`, { min: 1, max: FINISH_REASON_MAX });
  if (entry['cachedTokens'] !== undefined) assertInteger(entry['cachedTokens'], `${name}.cachedTokens`, INT32);
  if (entry['reasoningTokens'] !== undefined) assertInteger(entry['reasoningTokens'], `${name}.reasoningTokens`, INT32);
  if (entry['excluded'] !== undefined) assertExcluded(entry['excluded'], `${name}.excluded`);
  const generationMs = entry['generationMs'];
  if (generationMs !== undefined && generationMs !== null) assertInteger(generationMs, `${name}.generationMs`, INT32);
  // Added by migration 6.
  if (entry['keySource'] !== undefined) assertOneOf(entry['keySource'], `${name}.keySource`, ACTIVITY_KEY_SOURCES);
}

/**
 * @throws {InvalidArgumentError} (reason `type`) when `value` is not an array of objects with
 *   string `model`, `provider` and `reason`.
 * @throws {InvalidArgumentError} (reason `range`) when a string is empty or too long, or the list's
 *   JSON exceeds `ACTIVITY_EXCLUDED_MAX_BYTES` (trim it with `fitActivityExcluded`).
 */
function assertExcluded(value: unknown, name: string): asserts value is ActivityEntry['excluded'] {
  if (!Array.isArray(value)) throw new InvalidArgumentError(name, `${name} must be an array`, 'type');
  value.forEach((item: unknown, i) => {
    assertObject(item, `${name}[${i}]`);
    assertString(item['model'], `${name}[${i}].model`, { min: 1, max: 200 });
    assertString(item['provider'], `${name}[${i}].provider`, { min: 1, max: 100 });
    assertString(item['reason'], `${name}[${i}].reason`, { min: 1, max: 200 });
  });
  if (activityExcludedBytes(value) > ACTIVITY_EXCLUDED_MAX_BYTES) {
    throw new InvalidArgumentError(
      name,
      `${name} must be at most ${ACTIVITY_EXCLUDED_MAX_BYTES} bytes as JSON; trim it with fitActivityExcluded`,
      'range',
    );
  }
}

/**
 * The arguments of `generation()`: a request id or a generation id, and optionally the key it
 * must belong to.
 *
 * @throws {InvalidArgumentError} when `id` is not a 1–200 character string or `keyId` is malformed.
 */
export function assertGenerationLookup(id: unknown, keyId: unknown): asserts id is string {
  assertString(id, 'id', { min: 1, max: GENERATION_ID_MAX });
  if (keyId !== undefined) assertKeyId(keyId, 'keyId');
}

/**
 * The arguments of `endpointSamples()`.
 *
 * @throws {InvalidArgumentError} when `since` is not a timestamp or `limit` is not an integer
 *   from 1 to `ACTIVITY_MAX_SAMPLES`.
 */
export function assertSamplesQuery(since: unknown, limit: unknown): asserts since is number {
  assertTimestamp(since, 'since');
  assertInteger(limit, 'limit', { min: 1, max: ACTIVITY_MAX_SAMPLES });
}

/**
 * Checks a whole batch before anything is written, so a bad entry rejects the batch instead of
 * leaving half of it stored.
 *
 * @throws {InvalidArgumentError} on a non-array or any malformed entry.
 */
export function assertActivityEntries(entries: unknown): asserts entries is readonly ActivityEntry[] {
  if (!Array.isArray(entries)) throw new InvalidArgumentError('entries', 'entries must be an array', 'type');
  entries.forEach((e: unknown, i) => assertActivityEntry(e, `entries[${i}]`));
}

/**
 * @throws {InvalidArgumentError} on a malformed filter field.
 */
export function assertActivityFilter(filter: unknown): asserts filter is ActivityFilter {
  assertObject(filter, 'filter');
  if (filter['keyId'] !== undefined) assertKeyId(filter['keyId'], 'filter.keyId');
  if (filter['model'] !== undefined) assertString(filter['model'], 'filter.model', { min: 1, max: 200 });
  if (filter['provider'] !== undefined) assertString(filter['provider'], 'filter.provider', { min: 1, max: 100 });
  if (filter['requestId'] !== undefined) assertRecordId(filter['requestId'], 'filter.requestId');
  if (filter['outcome'] !== undefined) assertOneOf(filter['outcome'], 'filter.outcome', OUTCOMES);
  if (filter['since'] !== undefined) assertTimestamp(filter['since'], 'filter.since');
  if (filter['until'] !== undefined) assertTimestamp(filter['until'], 'filter.until');
}

/** The buckets `stats()` was asked for: their size in ms, the first one's number, and how many. */
export interface ActivityBuckets {
  bucketMs: number;
  /** `floor(since / bucketMs)`: the first bucket starts at `first × bucketMs`. */
  first: number;
  count: number;
}

/**
 * Resolves `stats()` options against an already checked filter: undefined without `bucketMs`.
 *
 * @throws {InvalidArgumentError} (reason `type`) when `options` or `bucketMs` has the wrong type.
 * @throws {InvalidArgumentError} (reason `range`) when `bucketMs` is not a positive safe integer,
 *   `filter.since` or `filter.until` is missing, or the window has more than `ACTIVITY_MAX_BUCKETS` buckets.
 */
export function resolveActivityBuckets(filter: ActivityFilter, options: unknown): ActivityBuckets | undefined {
  if (options === undefined) return undefined;
  assertObject(options, 'options');
  const bucketMs = options['bucketMs'];
  if (bucketMs === undefined) return undefined;
  assertInteger(bucketMs, 'options.bucketMs', { min: 1, max: Number.MAX_SAFE_INTEGER });
  const { since, until } = filter;
  // Empty buckets are listed too, so the window must have both ends.
  if (since === undefined)
    throw new InvalidArgumentError('filter.since', 'filter.since is required with options.bucketMs', 'range');
  if (until === undefined)
    throw new InvalidArgumentError('filter.until', 'filter.until is required with options.bucketMs', 'range');
  const count = activityBucketCount(since, until, bucketMs);
  if (count > ACTIVITY_MAX_BUCKETS) {
    throw new InvalidArgumentError(
      'options.bucketMs',
      `options.bucketMs splits the window into ${count} buckets; at most ${ACTIVITY_MAX_BUCKETS} are allowed`,
      'range',
    );
  }
  return { bucketMs, first: Math.floor(since / bucketMs), count };
}

/**
 * Resolves `list()` paging: `limit` 1–500 (default 50) and the decoded cursor, if any.
 *
 * @throws {InvalidArgumentError} (reason `type`) when `page` or its fields have the wrong type.
 * @throws {InvalidArgumentError} (reason `range`) when `limit` is out of bounds or `cursor` is malformed.
 */
export function resolveActivityPage(page: unknown): { limit: number; cursor: ActivityCursor | undefined } {
  if (page === undefined) return { limit: ACTIVITY_DEFAULT_LIMIT, cursor: undefined };
  assertObject(page, 'page');
  const limit = page['limit'] ?? ACTIVITY_DEFAULT_LIMIT;
  assertInteger(limit, 'page.limit', { min: 1, max: ACTIVITY_MAX_LIMIT });
  const raw = page['cursor'];
  if (raw === undefined) return { limit, cursor: undefined };
  if (typeof raw !== 'string') throw new InvalidArgumentError('page.cursor', 'page.cursor must be a string', 'type');
  return { limit, cursor: decodeActivityCursor(raw) };
}

/**
 * @example
 * encodeActivityCursor({ ts: 1700000000000, id: 'act_1' }); // 'MTcwMDAwMDAwMDAwMDphY3RfMQ'
 */
export function encodeActivityCursor(cursor: ActivityCursor): string {
  return Buffer.from(`${cursor.ts}:${cursor.id}`, 'utf8').toString('base64url');
}

const CURSOR_TEXT = /^(0|[1-9][0-9]{0,15}):(.+)$/s;

/**
 * Accepts only what `encodeActivityCursor` produces: Node's base64url decoder skips invalid
 * characters silently, so the text is re-encoded and compared before it is trusted.
 *
 * @throws {InvalidArgumentError} (reason `range`) when `text` is not a cursor this store issued.
 */
export function decodeActivityCursor(text: string): ActivityCursor {
  const malformed = (): InvalidArgumentError =>
    new InvalidArgumentError('page.cursor', 'page.cursor is malformed', 'range');
  if (text.length === 0 || text.length > 400 || !/^[A-Za-z0-9_-]+$/.test(text)) throw malformed();
  const decoded = Buffer.from(text, 'base64url').toString('utf8');
  if (Buffer.from(decoded, 'utf8').toString('base64url') !== text) throw malformed();
  const match = CURSOR_TEXT.exec(decoded);
  const ts = Number(match?.[1]);
  const id = match?.[2];
  // Control characters never occur in ids this store hands out (and Postgres refuses NUL).
  if (id === undefined || !Number.isSafeInteger(ts) || id.length > 128 || hasControlChar(id)) {
    throw malformed();
  }
  return { ts, id };
}

function hasControlChar(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) < 0x20) return true;
  return false;
}
