/**
 * The operator's admin key. From `SAFEROUTER_ADMIN_KEY` when set (only its hash is kept in
 * memory); otherwise generated on first start, shown once, and stored only as a hash.
 */
import { generateApiKey, hashApiKey, type Store } from '@saferouter/store';

const META_KEY = 'admin_key_hash';

export interface AdminKey {
  hash: string;
  /** Set only on the first start that generated the key: show it once, then forget it. */
  generated?: string;
  source: 'env' | 'stored' | 'generated';
}

export async function resolveAdminKey(store: Store, fromEnv: string | undefined): Promise<AdminKey> {
  if (fromEnv !== undefined && fromEnv !== '') {
    if (fromEnv.length < 16) throw new Error('SAFEROUTER_ADMIN_KEY is too short: use at least 16 characters.');
    return { hash: hashApiKey(fromEnv), source: 'env' };
  }
  const stored = await store.meta.get(META_KEY);
  if (stored) return { hash: stored, source: 'stored' };
  const issued = generateApiKey();
  await store.meta.set(META_KEY, issued.hash);
  return { hash: issued.hash, generated: issued.secret, source: 'generated' };
}
