/**
 * The deployment's secret for `user` pseudonyms: 32 random bytes, generated on the first start and
 * kept in the store's meta table, so every replica sharing a Postgres database pseudonymizes a
 * user the same way. Upstreams see `HMAC-SHA256(secret, key id ‖ user)`, never the raw value.
 *
 * At rest it is stored as the other deployment secrets are today (the meta table); sealing them
 * to the attested identity is issue 16's work. Two replicas starting at the same instant on an
 * empty database may both generate one; each re-reads after writing, so at worst requests in that
 * first moment get pseudonyms that change once.
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
  await store.meta.set(META_KEY, randomBytes(BYTES).toString('base64'));
  const written = decode(await store.meta.get(META_KEY));
  if (written === undefined) throw new Error('the user pseudonym secret could not be stored');
  return written;
}
