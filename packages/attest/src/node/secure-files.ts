/**
 * Owner-only files under the data directory: directories 0700, secrets 0600, created atomically
 * (write a temporary file, then hard-link it into place) so two processes starting at once agree
 * on one key instead of each writing their own.
 */
import { randomBytes } from 'node:crypto';
import { chmod, link, mkdir, open, readFile, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export type Log = (level: 'info' | 'warn', message: string) => void;

/** The directory the package keeps its files in: `<dataDir>/attest`. */
export function attestDir(dataDir: string): string {
  return join(dataDir, 'attest');
}

/** Creates `dir` (and parents) with mode 0700. */
export async function ensurePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
}

/**
 * Writes `data` to `path` with mode 0600 unless the file exists. Returns false when it existed.
 */
export async function createExclusive(path: string, data: Uint8Array | string): Promise<boolean> {
  await ensurePrivateDir(dirname(path));
  const tmp = join(dirname(path), `.${randomBytes(8).toString('hex')}.tmp`);
  const handle = await open(tmp, 'wx', 0o600);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await chmod(tmp, 0o600);
    await link(tmp, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}

/** Reads a private file, tightening its mode to 0600 (with a warning) if others could read it. */
export async function readPrivate(path: string, log?: Log): Promise<Uint8Array> {
  const info = await stat(path);
  if ((info.mode & 0o077) !== 0) {
    await chmod(path, 0o600);
    log?.(
      'warn',
      `${path} was readable by group or others (mode ${(info.mode & 0o777).toString(8)}); tightened to 0600`,
    );
  }
  return new Uint8Array(await readFile(path));
}

/**
 * Loads a fixed-length secret, creating it with `generate` on first use.
 *
 * @throws {Error} when the file exists with the wrong length (corrupt or foreign).
 */
export async function loadOrCreateSecret(
  path: string,
  length: number,
  generate: () => Uint8Array,
  log?: Log,
): Promise<{ secret: Uint8Array; created: boolean }> {
  const created = await createExclusive(path, generate());
  const secret = await readPrivate(path, log);
  if (secret.length !== length)
    throw new Error(`${path} holds ${secret.length} bytes, expected ${length}: refusing to use a corrupt key file`);
  if (created) log?.('info', `created ${path}`);
  return { secret, created };
}
