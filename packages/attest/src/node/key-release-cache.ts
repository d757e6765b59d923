/**
 * The deployment key a replica was released (key-release.ts), cached at rest in
 * `<dataDir>/attest/deployment-x25519.key.sealed`, sealed to this build on this chip like the
 * identity keys (sealing.ts), so the next start needs no holder. Only ever a cache: a file that
 * does not open (another build, another chip, tampered) is ignored, and the key comes from a
 * holder again, checked as every grant is.
 */
import { x25519 } from '@noble/curves/ed25519.js';
import { randomBytes } from 'node:crypto';
import { rename, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { SealedToOtherBuildError, sealedBlobToJson, type KeySealer } from './sealing.js';
import { ensurePrivateDir, readPrivate, type Log } from './secure-files.js';

/** The file, under `<dataDir>/attest/`. */
export const DEPLOYMENT_KEY_FILE = 'deployment-x25519.key.sealed';
/** What the cached deployment key is sealed for (the blob's `context`). */
export const DEPLOYMENT_SEAL_CONTEXT = 'deployment.sealing-x25519';

/** The cached deployment key, or undefined (none, another build's, or unreadable: with a warning). */
export async function readCachedKey(
  path: string,
  sealer: KeySealer,
  log: Log | undefined,
): Promise<{ secret: Uint8Array; publicKey: Uint8Array } | undefined> {
  let text: string;
  try {
    text = new TextDecoder().decode(await readPrivate(path, log));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const secret = sealer.open(text, DEPLOYMENT_SEAL_CONTEXT, `cached deployment key ${path}`);
    if (secret.length !== 32) throw new Error(`${path} holds ${secret.length} bytes, expected 32`);
    return { secret, publicKey: x25519.getPublicKey(secret) };
  } catch (error) {
    // Only ever a cache: the key itself comes from a holder again, checked as any grant is.
    log?.(
      SealedToOtherBuildError.isInstance(error) ? 'info' : 'warn',
      `key release: not using the cached deployment key (${(error as Error).message})`,
    );
    return undefined;
  }
}

/** Seals the key to this build on this chip and replaces the cache file atomically (mode 0600). */
export async function writeCachedKey(path: string, sealer: KeySealer, secret: Uint8Array): Promise<void> {
  const dir = dirname(path);
  await ensurePrivateDir(dir);
  const tmp = join(dir, `.${randomBytes(8).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, sealedBlobToJson(sealer.seal(secret, DEPLOYMENT_SEAL_CONTEXT)), {
      mode: 0o600,
      flag: 'wx',
    });
    await rename(tmp, path);
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}
