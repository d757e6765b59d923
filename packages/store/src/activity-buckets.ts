/**
 * How a window splits into the time buckets of `activity.stats(filter, { bucketMs })`: buckets
 * start at multiples of `bucketMs` since the epoch, so the same bucket size gives the same edges
 * whatever the window, and a chart's x axis does not shift between two reads. Kept apart from the
 * SQL (and importing nothing) so the gateway can refuse an oversized request with the store's own
 * rule before asking it.
 */

/** The most buckets one `stats()` call returns. */
export const ACTIVITY_MAX_BUCKETS = 1000;

/**
 * The number of buckets covering `[since, until)`: from the one holding `since` to the one holding
 * `until - 1`; 0 for an empty window.
 *
 * @example
 * activityBucketCount(90_000, 3_600_000, 3_600_000); // 1
 * activityBucketCount(0, 86_400_000, 3_600_000); // 24
 */
export function activityBucketCount(since: number, until: number, bucketMs: number): number {
  if (until <= since) return 0;
  return Math.ceil(until / bucketMs) - Math.floor(since / bucketMs);
}
