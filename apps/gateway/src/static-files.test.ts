/**
 * What the gateway serves at /verify/ is what it measures: the snapshot holds the directory's
 * regular files (no dot-files, no symlink targets), its manifest names each served path with its
 * SHA-256, and one changed byte in one file changes the gateway's measurement.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCatalogConfig } from '@saferouter/router';
import { measureGateway } from './measure.js';
import { loadStaticFiles, staticManifest } from './static-files.js';

const dir = mkdtempSync(join(tmpdir(), 'sr-static-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('static files', () => {
  it('snapshots regular files only, and the manifest names the served paths', () => {
    const root = join(dir, 'dist');
    mkdirSync(join(root, 'assets'), { recursive: true });
    writeFileSync(join(root, 'index.html'), '<!doctype html>');
    writeFileSync(join(root, 'assets', 'index-1.js'), 'console.log(1)');
    writeFileSync(join(root, '.secret'), 'no');
    writeFileSync(join(dir, 'outside.txt'), 'outside');
    symlinkSync(join(dir, 'outside.txt'), join(root, 'assets', 'link.txt'));
    const files = loadStaticFiles(root);
    expect([...files.keys()]).toEqual(['assets/index-1.js', 'index.html']);
    const sha = (text: string): string => createHash('sha256').update(text).digest('hex');
    expect(staticManifest('/verify/', files)).toEqual({
      '/verify/assets/index-1.js': sha('console.log(1)'),
      '/verify/index.html': sha('<!doctype html>'),
    });
    expect(loadStaticFiles(join(dir, 'missing')).size).toBe(0);
  });

  it('one changed byte in a served file changes the measurement', async () => {
    const binary = join(dir, 'server.mjs');
    writeFileSync(binary, 'export {};');
    const catalog = parseCatalogConfig({ providers: [], models: [] });
    const page = join(dir, 'page');
    mkdirSync(page, { recursive: true });
    writeFileSync(join(page, 'index.html'), 'A');
    const a = await measureGateway(binary, catalog, staticManifest('/verify/', loadStaticFiles(page)));
    writeFileSync(join(page, 'index.html'), 'B');
    const b = await measureGateway(binary, catalog, staticManifest('/verify/', loadStaticFiles(page)));
    const none = await measureGateway(binary, catalog, {});
    expect(a.hex).not.toBe(b.hex);
    expect(none.hex).not.toBe(a.hex);
    expect(await measureGateway(binary, catalog, staticManifest('/verify/', loadStaticFiles(page)))).toEqual(b);
  });
});
