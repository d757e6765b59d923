/**
 * The deployment's secret for `user` pseudonyms: 32 random bytes, generated on the first start and
 * kept in the store's meta table, so every replica sharing a Postgres database pseudonymizes a
 * user the same way. Upstreams see `HMAC-SHA256(secret, key id ‖ user)`, never the raw value.
 *
 * At rest it is stored as the other deployment secrets are today (the meta table); sealing them
 * to the attested identity is issue 16's work. Replicas starting at the same instant on an empty
 * database agree: the secret is written only if absent, and each adopts what was kept.
 */
import { randomBytes } from 'node:crypto';
import type { Store } from '@saferouter/store';

const META_KEY = 'user_hmac_secret';
const BYTES = 32;

function decode(stored: string | undefined): Uint8Array | undefined {
  if (stored === undefined) return undefined;
  const bytes = Buffer.from(stored, 'base64');
  return bytes.byteLength === BYTES ? new Uint8Array(bytes) : undefined;
}

/** @example const secret = await resolveUserSecret(store); */
export async function resolveUserSecret(store: Store): Promise<Uint8Array> {
  const stored = decode(await store.meta.get(META_KEY));
  if (stored !== undefined) return stored;
  // The first replica to write it wins; every other one adopts its secret.
  const kept = decode(await store.meta.setIfAbsent(META_KEY, randomBytes(BYTES).toString('base64')));
  if (kept === undefined) throw new Error('the stored user pseudonym secret is malformed');
  return kept;
}
