/**
 * Static files the gateway serves (the verifier page at /verify/), snapshotted once at start: the
 * bytes served are exactly the bytes measured. The measurement covers them through a manifest —
 * `{ "<url path>": "<sha256 hex>" }` in RFC 8785 canonical JSON — so a changed page is a changed
 * build (docs/attestation.md). Regular files only; dot-files and symlinks are skipped, so nothing
 * outside the directory can be served or measured.
 */
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface StaticFile {
  readonly bytes: Uint8Array;
  readonly sha256: string;
}

/** Files by path relative to their directory, `/`-separated (`index.html`, `assets/index-x.js`). */
export type StaticFiles = ReadonlyMap<string, StaticFile>;

/** Reads every regular file under `dir` (none when it does not exist). */
export function loadStaticFiles(dir: string): StaticFiles {
  const files = new Map<string, StaticFile>();
  const walk = (abs: string, rel: string): void => {
    let names: string[];
    try {
      names = readdirSync(abs).sort();
    } catch {
      return;
    }
    for (const name of names) {
      if (name.startsWith('.')) continue;
      const path = join(abs, name);
      const stat = lstatSync(path);
      const relPath = rel === '' ? name : `${rel}/${name}`;
      if (stat.isDirectory()) walk(path, relPath);
      else if (stat.isFile()) {
        const bytes = new Uint8Array(readFileSync(path));
        files.set(relPath, { bytes, sha256: createHash('sha256').update(bytes).digest('hex') });
      }
    }
  };
  walk(dir, '');
  return files;
}

/**
 * apps/verifier's `dist/`, found from this module: `../../verifier/dist` from apps/gateway/dist
 * (the bundles `pnpm start` and `pnpm measure` run) and from apps/gateway/src (tsx, tests) alike.
 */
export function defaultVerifierDir(): string {
  return fileURLToPath(new URL('../../verifier/dist', import.meta.url));
}

/** The manifest the measurement covers: every served URL path and its file's SHA-256. */
export function staticManifest(prefix: string, files: StaticFiles): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [path, file] of files) out[`${prefix}${path}`] = file.sha256;
  return out;
}
