/**
 * Test-only: the verifier page built fresh from source with Vite's API (into a temp dir, so the
 * tests judge the current source, not a stale dist), a static server that hosts it under a
 * subpath the way GitHub Pages hosts a project site, a port nobody listens on, and Chromium.
 */
import { readFile, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync } from 'node:fs';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { build } from 'vite';

export const APP_DIR = fileURLToPath(new URL('..', import.meta.url));
export const CHROMIUM = process.env.SAFEROUTER_CHROMIUM ?? '/usr/bin/chromium';
export const HAVE_CHROMIUM = existsSync(CHROMIUM);
export const IN_CI = Boolean(process.env.CI);

/** Builds the page with the app's own vite.config.ts into `outDir`. */
export async function buildPage(outDir: string): Promise<void> {
  await build({
    root: APP_DIR,
    configFile: join(APP_DIR, 'vite.config.ts'),
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true },
  });
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

export interface StaticSite {
  /** The page's URL, ending in `/`. */
  url: string;
  close(): Promise<void>;
}

/** Serves `dir` at `http://127.0.0.1:<port><prefix>` (prefix like `/saferouter/`), nothing else. */
export async function serveStatic(dir: string, prefix: string): Promise<StaticSite> {
  const server: Server = createServer((req, res) => {
    void (async () => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      if (!path.startsWith(prefix)) return void res.writeHead(404).end();
      const rest = decodeURIComponent(path.slice(prefix.length)) || 'index.html';
      const file = normalize(join(dir, rest));
      if (!file.startsWith(dir + sep)) return void res.writeHead(404).end();
      try {
        if (!(await stat(file)).isFile()) return void res.writeHead(404).end();
        const body = await readFile(file);
        res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(body);
      } catch {
        res.writeHead(404).end();
      }
    })();
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${prefix}`,
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}

/** A loopback URL that refuses connections: a port that was just bound and released. */
export async function deadUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((done) => server.close(() => done()));
  return `http://127.0.0.1:${port}`;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}
