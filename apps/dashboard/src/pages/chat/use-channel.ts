/**
 * The prompt channel (`lib/channel.ts`) as page state: its label for the lock line, and its
 * verification error when the gateway failed a check (then the pages send nothing).
 */
import { useQuery } from '@tanstack/react-query';
import { channel } from '../../lib/channel';

export function useChannel() {
  return useQuery({ queryKey: ['channel'], queryFn: channel, staleTime: Infinity, gcTime: Infinity, retry: false });
}
