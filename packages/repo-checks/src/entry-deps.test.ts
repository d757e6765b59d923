/**
 * Entry points load only what they use (STYLE.md): each entry is imported in a fresh process and
 * the modules it actually resolved are checked. `import '@saferouter/billing'` and
 * `import '@saferouter/store'` load no database driver and no Redis client; the subpaths that
 * exist for them do load them (so a broken trace cannot pass as "nothing loaded"); `openStore()`
 * loads exactly the one driver the configuration asks for, and only when called.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { traceLoads, type LoadTrace } from './load-trace.js';

const PACKAGE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DRIVERS = ['better-sqlite3', 'postgres', 'ioredis'] as const;
const dataDir = mkdtempSync(join(tmpdir(), 'saferouter-entry-deps-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const trace = (code: string): Promise<LoadTrace> => traceLoads(code, { cwd: PACKAGE_DIR });
const importOf = (specifier: string): Promise<LoadTrace> => trace(`await import(${JSON.stringify(specifier)});`);
const driversIn = (loads: LoadTrace): string[] => DRIVERS.filter((name) => loads.loaded(name));

describe('entry points load only what they use', { timeout: 60_000 }, () => {
  it("import '@saferouter/billing' loads neither better-sqlite3 nor postgres nor ioredis", async () => {
    const loads = await importOf('@saferouter/billing');
    // The trace saw the entry and the store it builds on, so an empty list cannot pass.
    expect(loads.urls.some((url) => url.endsWith('/packages/billing/src/index.ts'))).toBe(true);
    expect(loads.urls.some((url) => url.endsWith('/packages/store/src/index.ts'))).toBe(true);
    expect(driversIn(loads)).toEqual([]);
  });

  it("import '@saferouter/billing/redis' loads ioredis (and no database driver)", async () => {
    expect(driversIn(await importOf('@saferouter/billing/redis'))).toEqual(['ioredis']);
  });

  it("import '@saferouter/store' loads no driver", async () => {
    const loads = await importOf('@saferouter/store');
    expect(loads.urls.some((url) => url.endsWith('/packages/store/src/index.ts'))).toBe(true);
    expect(driversIn(loads)).toEqual([]);
  });

  it("import '@saferouter/store/sqlite' loads better-sqlite3 and not postgres", async () => {
    expect(driversIn(await importOf('@saferouter/store/sqlite'))).toEqual(['better-sqlite3']);
  });

  it("import '@saferouter/store/postgres' loads postgres and not better-sqlite3", async () => {
    expect(driversIn(await importOf('@saferouter/store/postgres'))).toEqual(['postgres']);
  });

  it('openStore() loads better-sqlite3 only when it opens SQLite, and never postgres', async () => {
    const loads = await trace(`
      const { openStore } = await import('@saferouter/store');
      const store = await openStore({ dataDir: ${JSON.stringify(dataDir)} });
      if (store.kind !== 'sqlite') throw new Error('expected a SQLite store, got ' + store.kind);
      await store.close();
    `);
    expect(driversIn(loads)).toEqual(['better-sqlite3']);
  });

  it('openStore() with a databaseUrl loads postgres and never better-sqlite3', async () => {
    // Nothing listens on port 1: the driver is loaded, the connection refused, the error caught.
    const loads = await trace(`
      const { openStore } = await import('@saferouter/store');
      const url = 'postgres://nobody@127.0.0.1:1/none';
      const opened = await openStore({ dataDir: ${JSON.stringify(dataDir)}, databaseUrl: url }).then(() => true, () => false);
      if (opened) throw new Error('expected the connection to be refused');
    `);
    expect(driversIn(loads)).toEqual(['postgres']);
  });
});
