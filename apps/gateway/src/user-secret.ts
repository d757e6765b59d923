/**
 * The deployment's secret for `user` pseudonyms: 32 bytes. Upstreams see
 * `HMAC-SHA256(secret, key id ‖ 0x00 ‖ user)`, never the raw value.
 *
 * `SAFEROUTER_USER_SECRET` when set (base64, e.g. `openssl rand -base64 32`): the secret then
 * lives wherever the operator keeps the gateway's environment, and nothing is written to the
 * database. Otherwise it is generated on the first start and kept in the store's meta table, so
 * every replica sharing a Postgres database pseudonymizes a user the same way; that copy is
 * plaintext at rest (it must outlive builds, so it cannot be sealed to one, and Postgres replicas
 * on other chips must read it, so it cannot be sealed to a chip). Replicas starting at the same
 * instant on an empty database agree: the secret is written only if absent, and each adopts what
 * was kept.
 */
import { randomBytes } from 'node:crypto';
import type { Store } from '@saferouter/store';

const META_KEY = 'user_hmac_secret';
const BYTES = 32;
/** 32 bytes in standard base64: 43 characters and one `=`. */
const BASE64_32 = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;

/**
 * The secret as SAFEROUTER_USER_SECRET gives it and the meta table keeps it (32 bytes, base64;
 * surrounding whitespace ignored), or undefined when the text is not exactly that.
 *
 * @example decodeUserSecret(randomBytes(32).toString('base64')); // Uint8Array(32)
 */
export function decodeUserSecret(text: string | undefined): Uint8Array | undefined {
  const trimmed = text?.trim();
  if (trimmed === undefined || !BASE64_32.test(trimmed)) return undefined;
  return new Uint8Array(Buffer.from(trimmed, 'base64'));
}

/**
 * @param fromEnv SAFEROUTER_USER_SECRET, decoded (config.ts): used as it is, the store untouched.
 * @example const secret = await resolveUserSecret(store, config.userSecret);
 */
export async function resolveUserSecret(store: Store, fromEnv?: Uint8Array): Promise<Uint8Array> {
  if (fromEnv !== undefined) return fromEnv;
  const stored = decodeUserSecret(await store.meta.get(META_KEY));
  if (stored !== undefined) return stored;
  // The first replica to write it wins; every other one adopts its secret.
  const kept = decodeUserSecret(await store.meta.setIfAbsent(META_KEY, randomBytes(BYTES).toString('base64')));
  if (kept === undefined) throw new Error(`the stored user pseudonym secret (meta '${META_KEY}') is malformed`);
  return kept;
}
