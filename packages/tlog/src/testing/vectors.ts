/**
 * Locates the shared test vectors for the tlog tests: `$SAFEROUTER_VECTORS`, or `../shared/vectors`
 * next to the repository root (computed from this file's URL). A missing directory is a test
 * failure with a clear message, never a skip: vector-driven tests must not pass vacuously.
 * Test-only (not built, not exported).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');

/** The vectors directory; throws (failing the test) when it does not exist. */
export function vectorsDir(): string {
  const dir = process.env.SAFEROUTER_VECTORS ?? join(repoRoot, '..', 'shared', 'vectors');
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new Error(
      `test vectors not found at ${dir}: set SAFEROUTER_VECTORS to the shared vectors directory (expected <repo>/../shared/vectors)`,
    );
  }
  return dir;
}

/** Every JSON file under `sub` (recursively), as [relative path, parsed JSON], sorted by path. */
export function readJsonVectors(sub: string): [string, unknown][] {
  const root = join(vectorsDir(), sub);
  if (!existsSync(root)) throw new Error(`test vectors not found at ${root}`);
  const out: [string, unknown][] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.json'))
        out.push([relative(root, path), JSON.parse(readFileSync(path, 'utf8')) as unknown]);
    }
  };
  walk(root);
  return out;
}
