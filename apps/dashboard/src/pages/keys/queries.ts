/**
 * Key management as typed hooks (admin only): the list, and create / rename / revoke, each of
 * which refreshes the list. The created key's secret lives only in the create mutation's result,
 * never in the query cache, so clearing that result forgets it.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../../lib/api';
import { useSignedIn } from '../../session';

export function useKeys(enabled = true) {
  const { key } = useSignedIn();
  return useQuery({ queryKey: ['keys', key], queryFn: () => api.keys(key), enabled });
}

export interface NewKey {
  name: string;
  credit_usd?: string;
  limits?: { rpm?: number | null; concurrency?: number | null };
}

function useKeyMutation<Input, Output>(run: (key: string, input: Input) => Promise<Output>) {
  const { key } = useSignedIn();
  const client = useQueryClient();
  return useMutation({
    mutationFn: (input: Input) => run(key, input),
    onSuccess: () => client.invalidateQueries({ queryKey: ['keys', key] }),
  });
}

export const useCreateKey = () => useKeyMutation((key, body: NewKey) => api.createKey(key, body));

export const useRenameKey = () =>
  useKeyMutation((key, input: { id: string; name: string }) => api.updateKey(key, input.id, { name: input.name }));

export const useRevokeKey = () => useKeyMutation((key, id: string) => api.revokeKey(key, id));
