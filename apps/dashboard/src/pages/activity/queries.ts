/**
 * Activity data as typed hooks: the request log (cursor pages, newest first) and the windowed
 * stats with chart buckets. Both poll while `live` is on; Credits reads the stats too.
 */
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { api } from '../../lib/api';
import { useSignedIn } from '../../session';

/** How often a live page asks again. */
export const POLL_MS = 5_000;

const PAGE_SIZE = 50;

export interface ActivityFilter {
  model: string;
  provider: string;
  outcome: '' | 'success' | 'error';
}

export const NO_FILTER: ActivityFilter = { model: '', provider: '', outcome: '' };

/** A stats window and the bucket that splits it into a readable number of points. */
export const WINDOWS = [
  { id: '1h', label: '1 hour', bucket: '5m' },
  { id: '24h', label: '24 hours', bucket: '1h' },
  { id: '7d', label: '7 days', bucket: '6h' },
] as const;

export type WindowId = (typeof WINDOWS)[number]['id'];

export function bucketFor(window: WindowId): string {
  return WINDOWS.find((w) => w.id === window)?.bucket ?? '1h';
}

export function useActivity(filter: ActivityFilter, live: boolean) {
  const { key } = useSignedIn();
  return useInfiniteQuery({
    queryKey: ['activity', key, filter],
    queryFn: ({ pageParam }) => api.activity(key, { ...filter, limit: PAGE_SIZE, cursor: pageParam }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
    refetchInterval: live ? POLL_MS : false,
  });
}

export function useActivityStats(
  window: WindowId,
  filter: { model?: string; provider?: string; keyId?: string | undefined },
  live: boolean,
) {
  const { key } = useSignedIn();
  const params = {
    window,
    bucket: bucketFor(window),
    model: filter.model,
    provider: filter.provider,
    key_id: filter.keyId,
  };
  return useQuery({
    queryKey: ['activity-stats', key, params],
    queryFn: () => api.stats(key, params),
    refetchInterval: live ? POLL_MS : false,
  });
}
