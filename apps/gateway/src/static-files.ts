/**
 * Static files the gateway serves (the dashboard at `/`, the verifier page at /verify/, the API
 * reference's assets at /docs/), snapshotted once at start: the
 * bytes served are exactly the bytes measured. The measurement covers them through a manifest —
 * `{ "<url path>": "<sha256 hex>" }` in RFC 8785 canonical JSON — so a changed page is a changed
 * build (docs/attestation.md). Regular files only; dot-files and symlinks are skipped, so nothing
 * outside the directory can be served or measured.
 */
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
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
 * apps/dashboard's `dist/`, found from this module as `defaultVerifierDir` finds the verifier's.
 */
export function defaultDashboardDir(): string {
  return fileURLToPath(new URL('../../dashboard/dist', import.meta.url));
}

/**
 * apps/verifier's `dist/`, found from this module: `../../verifier/dist` from apps/gateway/dist
 * (the bundles `pnpm start` and `pnpm measure` run) and from apps/gateway/src (tsx, tests) alike.
 */
export function defaultVerifierDir(): string {
  return fileURLToPath(new URL('../../verifier/dist', import.meta.url));
}

/**
 * The API reference's assets (`scalar.js`, Scalar's standalone bundle), which build.mjs copies
 * byte for byte from the pinned `@scalar/api-reference` package into `dist/docs/`: the same
 * path from apps/gateway/dist (the bundles) and from apps/gateway/src (tsx, tests).
 */
export function defaultDocsDir(): string {
  return fileURLToPath(new URL('../dist/docs', import.meta.url));
}

/** The manifest the measurement covers: every served URL path and its file's SHA-256. */
export function staticManifest(prefix: string, files: StaticFiles): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [path, file] of files) out[`${prefix}${path}`] = file.sha256;
  return out;
}

/**
 * The measured manifest of everything the gateway serves: the dashboard at `/`, the verifier at
 * `/verify/`, the API reference's assets at `/docs/`.
 */
export function servedManifest(
  dashboard: StaticFiles,
  verifier: StaticFiles,
  docs: StaticFiles = new Map(),
): Record<string, string> {
  return {
    ...staticManifest(DASHBOARD_PREFIX, dashboard),
    ...staticManifest(VERIFY_PREFIX, verifier),
    ...staticManifest(DOCS_PREFIX, docs),
  };
}

/** Where the dashboard is served; the manifest names its files under it (`/index.html`). */
export const DASHBOARD_PREFIX = '/';
/** Where the verifier page is served; the manifest names its files under it. */
export const VERIFY_PREFIX = '/verify/';
/** Where the API reference's assets are served (the page itself, `/docs`, is in the binary). */
export const DOCS_PREFIX = '/docs/';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** The Content-Type a served file gets, from its extension. */
export function contentTypeOf(path: string): string {
  return CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
}

/** Vite names everything under assets/ by content hash: such a file never changes. */
export const IMMUTABLE = 'public, max-age=31536000, immutable';

/**
 * The snapshot key (`index.html`, `assets/x.js`) a raw (still percent-encoded) path below a
 * served prefix names, or undefined when any segment could leave the directory (`..`, an
 * encoded `/` or `\`, a NUL, a dot-file).
 *
 * @example staticRelativePath('assets/index-abc.js') // 'assets/index-abc.js'
 * @example staticRelativePath('..%2fsecret') // undefined
 */
export function staticRelativePath(rest: string): string | undefined {
  if (rest === '') return 'index.html';
  const segments: string[] = [];
  for (const raw of rest.split('/')) {
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return undefined;
    }
    if (segment === '' || segment.startsWith('.') || /[/\\\0]/.test(segment)) return undefined;
    segments.push(segment);
  }
  return segments.join('/');
}

/** Everything the gateway serves from disk, snapshotted once, and the manifest measured over it. */
export interface ServedFiles {
  dashboardDir: string;
  verifierDir: string;
  docsDir: string;
  dashboard: StaticFiles;
  verifier: StaticFiles;
  docs: StaticFiles;
  /** `servedManifest(dashboard, verifier, docs)`: what the measurement covers. */
  manifest: Record<string, string>;
}

/**
 * Snapshots the dashboard, the verifier page and the API reference's assets: the one place the
 * gateway (start.ts) and `pnpm measure` (measure-cli.ts) find them, so both measure the same
 * files. Absent directories default to the builds beside this app (apps/dashboard/dist,
 * apps/verifier/dist, apps/gateway/dist/docs).
 */
export function loadServedFiles(dirs: {
  dashboardDir?: string | undefined;
  verifierDir?: string | undefined;
  docsDir?: string | undefined;
}): ServedFiles {
  const dashboardDir = dirs.dashboardDir ?? defaultDashboardDir();
  const verifierDir = dirs.verifierDir ?? defaultVerifierDir();
  const docsDir = dirs.docsDir ?? defaultDocsDir();
  const dashboard = loadStaticFiles(dashboardDir);
  const verifier = loadStaticFiles(verifierDir);
  const docs = loadStaticFiles(docsDir);
  return {
    dashboardDir,
    verifierDir,
    docsDir,
    dashboard,
    verifier,
    docs,
    manifest: servedManifest(dashboard, verifier, docs),
  };
}
