/**
 * The key that signs the startup and audit logs' checkpoints: a deployment key, not an identity
 * key. The identity keys are sealed to the build and change with every new measurement; the log
 * must not, or a new build would start a log no verifier can connect to the old one (and the
 * stored checkpoints would stop verifying).
 *
 * `SAFEROUTER_LOG_KEY` when set (required with Postgres, where replicas of several builds share
 * one log). Otherwise a C2SP Ed25519 signer key generated on the first start and kept in the
 * store's meta table, like the user pseudonym secret: it survives new builds for the same reason
 * it cannot be sealed to one. It is the operator's key either way; what protects clients from a
 * log that forks or rolls back is the verifier's remembered state, not this key's secrecy
 * (docs/audit.md).
 */
import { hostname } from 'node:os';
import type { Store } from '@saferouter/store';
import { generateSignerKey, parseSignerKey } from '@saferouter/tlog';

const META_KEY = 'log_signer_key';

/** A key name for the generated key: the audience with characters C2SP names forbid replaced. */
function keyName(audience: string | undefined): string {
  return `${(audience ?? hostname()).replace(/[\s+]/g, '-') || 'saferouter'}/saferouter`;
}

/**
 * @example const logKey = await resolveLogSignerKey(store, config.logKey, config.audience);
 * @throws {Error} when the stored key is malformed (the log cannot be continued without it).
 */
export async function resolveLogSignerKey(
  store: Store,
  fromEnv: string | undefined,
  audience: string | undefined,
): Promise<string> {
  if (fromEnv !== undefined) return fromEnv;
  const stored = await store.meta.get(META_KEY);
  // The first replica to write it wins; every other one adopts its key.
  const kept = stored ?? (await store.meta.setIfAbsent(META_KEY, (await generateSignerKey(keyName(audience))).skey));
  try {
    await parseSignerKey(kept);
  } catch {
    throw new Error(`the stored log signer key (meta '${META_KEY}') is malformed: restore it from a backup`);
  }
  return kept;
}
