/**
 * The key that signs the startup and audit logs' checkpoints. By default it is the gateway's own
 * ed25519 identity (the key the attestation binds), so a verifier who checked the attestation
 * knows the log key too. Replicas sharing one Postgres log must share one key: give each the same
 * `SAFEROUTER_LOG_KEY` (a C2SP signer key, `PRIVATE+KEY+name+id+base64`), or their checkpoints
 * would be signed by different keys.
 */
import {
  createEd25519Verifier,
  parseSignerKey,
  SIGNATURE_TYPE_ED25519,
  type KeyedVerifier,
  type NoteSigner,
} from '@saferouter/tlog';
import type { Identity } from '@saferouter/attest/node';

export interface LogKey {
  signer: NoteSigner;
  verifier: KeyedVerifier;
}

/**
 * @param name the key name: the startup log's origin.
 * @example
 * const key = await resolveLogKey(origin, attestor.identity, config.logKey);
 * @throws {Error} naming SAFEROUTER_LOG_KEY (never echoing it) when it does not parse.
 */
export async function resolveLogKey(
  name: string,
  identity: Pick<Identity, 'signingPublicKey' | 'sign'>,
  signerKey: string | undefined,
): Promise<LogKey> {
  if (signerKey !== undefined) {
    try {
      const signer = await parseSignerKey(signerKey);
      return { signer, verifier: signer.verifier };
    } catch {
      throw new Error('SAFEROUTER_LOG_KEY is not a valid C2SP Ed25519 signer key (PRIVATE+KEY+name+keyid+base64)');
    }
  }
  const verifier = createEd25519Verifier(name, identity.signingPublicKey);
  const signer: NoteSigner = {
    name,
    keyId: verifier.keyId,
    type: SIGNATURE_TYPE_ED25519,
    sign: async (text) => identity.sign(text),
  };
  return { signer, verifier };
}
