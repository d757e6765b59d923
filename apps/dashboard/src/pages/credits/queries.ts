/**
 * Credits as typed hooks: a key's balance and per-model usage (`?key_id=` for the admin), and
 * the top-up, which refreshes every balance the dashboard shows.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../../lib/api';
import { useSignedIn } from '../../session';

export function useCredits(keyId: string | undefined, enabled = true) {
  const { key } = useSignedIn();
  return useQuery({ queryKey: ['credits', key, keyId ?? ''], queryFn: () => api.credits(key, keyId), enabled });
}

export function useTopUp() {
  const { key } = useSignedIn();
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: { amount_usd: string; key_id?: string }) => api.topup(key, body),
    onSuccess: () =>
      Promise.all(['credits', 'keys', 'me'].map((name) => client.invalidateQueries({ queryKey: [name] }))),
  });
}

/** Whether the signed-in key may top up: the admin always, a user key when the operator allows it. */
export function useMayTopUp(): boolean {
  const { me, isAdmin } = useSignedIn();
  return isAdmin || (me.topup_allowed ?? me.self_topup ?? false);
}
