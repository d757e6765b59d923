/**
 * A private key kept in a sealed file (see sealing.ts), with its life cycle on disk:
 *
 * - none yet: generate, seal, write 0600 (atomically, so concurrent first starts agree);
 * - a plaintext file from an older version: seal it, then remove the plaintext;
 * - sealed by another build: keep that file as `<file>.<its measurement, 8 hex>.old` and start
 *   over with a fresh key, with a warning naming both measurements (a new build gets new keys);
 * - anything that fails authentication: refuse, never replace it silently (that would hide an
 *   attack; a moved VM or a replaced mock secret needs the operator to move the file aside).
 */
import { randomBytes } from 'node:crypto';
import { link, readFile, rename, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { bytesEqual } from '../bytes.js';
import { SealedToOtherBuildError, UnsealError, sealedBlobToJson, type KeySealer } from './sealing.js';
import { createExclusive, readPrivate, type Log } from './secure-files.js';

export interface SealedFileOptions {
  /** The sealed file. */
  path: string;
  /** A plaintext key file an older version wrote: sealed into `path`, then removed. */
  legacyPath?: string | undefined;
  /** The purpose the blob is sealed for (its AAD). */
  context: string;
  sealer: KeySealer;
  /** A fresh key. */
  generate: () => Uint8Array;
  /** Throws, naming `path`, when a key read back is unusable (wrong length, not a key). */
  check: (secret: Uint8Array, path: string) => void;
  /** Added to the warning when a new build replaces the key (what the operator must redo). */
  replacedNote?: string | undefined;
  log?: Log | undefined;
}

export interface SealedFile {
  /** The plaintext key (only in memory). */
  secret: Uint8Array;
  /** How this call got it. */
  origin: 'created' | 'loaded' | 'migrated' | 'replaced';
}

/** Rounds of write, read, open before giving up (concurrent starts of a new build retry). */
const MAX_ATTEMPTS = 5;

/** Moves `path` to `oldPath` if it still holds `expected` (another process may have rotated it). */
async function moveAside(path: string, expected: string, oldPath: string): Promise<boolean> {
  const aside = join(dirname(path), `.${randomBytes(8).toString('hex')}.aside`);
  try {
    await rename(path, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
  if ((await readFile(aside, 'utf8')) === expected) {
    await rename(aside, oldPath);
    return true;
  }
  // A concurrent start replaced it between our read and our rename: put its key back.
  await link(aside, path).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error;
  });
  await unlink(aside);
  return false;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

/**
 * Loads the key sealed in `options.path`, making, migrating or replacing it as the header says.
 *
 * @throws {Error} when the file fails authentication (tampered, another chip, another mock
 *   secret), is malformed, or holds an unusable key; and for file-system errors.
 */
export async function loadOrCreateSealed(options: SealedFileOptions): Promise<SealedFile> {
  const { path, legacyPath, context, sealer, log } = options;
  const where = `sealed key file ${path}`;
  const write = async (secret: Uint8Array): Promise<boolean> => {
    try {
      return await createExclusive(path, sealedBlobToJson(sealer.seal(secret, context)));
    } finally {
      secret.fill(0);
    }
  };
  let legacy: Uint8Array | undefined;
  let migrated = false;
  if (legacyPath !== undefined && (await exists(legacyPath))) {
    legacy = await readPrivate(legacyPath, log);
    options.check(legacy, legacyPath);
    migrated = await write(legacy.slice());
  }
  let replaced = false;
  for (let attempt = 1; ; attempt++) {
    const created = await write(options.generate());
    let text: string;
    try {
      text = new TextDecoder().decode(await readPrivate(path, log));
    } catch (error) {
      // A concurrent start moved it aside between our write and our read: go round again.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' && attempt < MAX_ATTEMPTS) continue;
      throw error;
    }
    let secret: Uint8Array;
    try {
      secret = sealer.open(text, context, where);
    } catch (error) {
      if (SealedToOtherBuildError.isInstance(error) && attempt < MAX_ATTEMPTS) {
        const oldPath = `${path}.${error.sealedMeasurement.slice(0, 8)}.old`;
        if (await moveAside(path, text, oldPath)) {
          log?.(
            'warn',
            `${path} was sealed by build ${error.sealedMeasurement} (${error.sealedBackend}); this build is ${error.currentMeasurement} (${error.currentBackend}) and cannot unseal it: a fresh key replaces it${options.replacedNote ? ` (${options.replacedNote})` : ''}; the old sealed file is kept as ${oldPath}`,
          );
          replaced = true;
        }
        continue;
      }
      if (UnsealError.isInstance(error) && error.reason === 'authentication')
        throw new Error(
          `${error.message}. Refusing to use it. If the VM moved to another host (SEV-SNP seals to the chip) or the mock sealing secret was replaced, move the file aside to start with a fresh key`,
        );
      throw error;
    }
    options.check(secret, path);
    if (legacy !== undefined && legacyPath !== undefined) {
      if (bytesEqual(legacy, secret)) {
        await unlink(legacyPath);
        log?.('info', `sealed the plaintext key ${legacyPath} into ${path} and removed the plaintext file`);
      } else {
        log?.(
          'warn',
          `${legacyPath} is a plaintext key from an older version, and not the key in use (${path}): delete it`,
        );
      }
      legacy.fill(0);
    }
    const origin = replaced ? 'replaced' : migrated ? 'migrated' : created ? 'created' : 'loaded';
    if (origin === 'created') log?.('info', `created ${path}`);
    return { secret, origin };
  }
}
