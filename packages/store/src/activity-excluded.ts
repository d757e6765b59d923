/**
 * How an activity entry's `excluded` list (the endpoints routing left out, and why) is stored: as
 * JSON text of at most `ACTIVITY_EXCLUDED_MAX_BYTES`, NULL when empty, which most requests are.
 *
 * The bound keeps one request from writing an unbounded row, but the store refuses an entry over
 * it (like any other malformed field) and a refused entry takes its whole batch with it; so the
 * writer trims the list first with `fitActivityExcluded`. Kept apart from the SQL, importing
 * nothing, so the gateway can apply the store's own rule.
 */

import type { ActivityExcludedEndpoint } from './activity-types.js';

/** The most UTF-8 bytes the JSON of one entry's `excluded` list may take. */
export const ACTIVITY_EXCLUDED_MAX_BYTES = 4096;

const utf8 = new TextEncoder();

/**
 * The stored text: only the three known fields of each item, so that whatever else a caller's
 * objects carry is neither stored nor counted. `null` for an empty list.
 *
 * @example
 * encodeActivityExcluded([]); // null
 * encodeActivityExcluded([{ model: 'm', provider: 'p', reason: 'provider.ignore' }]);
 * // '[{"model":"m","provider":"p","reason":"provider.ignore"}]'
 */
export function encodeActivityExcluded(list: readonly ActivityExcludedEndpoint[]): string | null {
  if (list.length === 0) return null;
  return JSON.stringify(list.map(({ model, provider, reason }) => ({ model, provider, reason })));
}

/** The size in UTF-8 bytes of `encodeActivityExcluded(list)` (0 for an empty list). */
export function activityExcludedBytes(list: readonly ActivityExcludedEndpoint[]): number {
  const text = encodeActivityExcluded(list);
  return text === null ? 0 : utf8.encode(text).length;
}

/**
 * The longest prefix of `list` that fits `ACTIVITY_EXCLUDED_MAX_BYTES`: what a writer stores when
 * routing excluded more endpoints than one entry can carry. Routing lists the endpoints in
 * catalog order, so the ones kept are the ones a reader looks at first.
 *
 * @example
 * entry.excluded = fitActivityExcluded(plan.excluded);
 */
export function fitActivityExcluded(list: readonly ActivityExcludedEndpoint[]): readonly ActivityExcludedEndpoint[] {
  // `[` and `]`, then each item and the comma before every item but the first.
  let bytes = 2;
  for (let i = 0; i < list.length; i++) {
    const item = list[i] as ActivityExcludedEndpoint;
    bytes += utf8.encode(JSON.stringify({ model: item.model, provider: item.provider, reason: item.reason })).length;
    if (i > 0) bytes += 1;
    if (bytes > ACTIVITY_EXCLUDED_MAX_BYTES) return list.slice(0, i);
  }
  return list;
}

/**
 * The list back from its stored text (NULL, as written for an empty list, reads as `[]`).
 *
 * @throws {SyntaxError} when the text is not JSON, which the database's CHECK never lets in.
 */
export function decodeActivityExcluded(text: string | null): ActivityExcludedEndpoint[] {
  return text === null ? [] : (JSON.parse(text) as ActivityExcludedEndpoint[]);
}
