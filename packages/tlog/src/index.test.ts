/**
 * The package entries: the main entry exports the public API and is browser-safe (it reaches no
 * `node:` module and no package beyond @noble/*); only src/node imports Node built-ins; the
 * package.json `exports` map matches the files.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as tlog from './index.js';
import * as tlogNode from './node/index.js';

const here = dirname(fileURLToPath(import.meta.url));

/** Every module a file reaches through relative imports, and every bare specifier it names. */
function reach(
  file: string,
  seen = new Set<string>(),
  specifiers = new Set<string>(),
): { seen: Set<string>; specifiers: Set<string> } {
  if (seen.has(file)) return { seen, specifiers };
  seen.add(file);
  const source = readFileSync(join(here, file), 'utf8');
  for (const [, spec] of source.matchAll(/^(?:import|export)\s[^;]*?from\s+'([^']+)'/gm)) {
    if (spec === undefined) continue;
    if (spec.startsWith('.')) reach(join(dirname(file), spec).replace(/\.js$/, '.ts'), seen, specifiers);
    else specifiers.add(spec);
  }
  return { seen, specifiers };
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory()
      ? sourceFiles(path)
      : name.endsWith('.ts') && !name.endsWith('.test.ts')
        ? [relative(here, path)]
        : [];
  });
}

describe('@saferouter/tlog entry', () => {
  it('exports the public API', () => {
    for (const name of [
      'leafHash',
      'nodeHash',
      'EMPTY_ROOT',
      'rootFromLeafHashes',
      'rootFromReader',
      'createMemoryHashReader',
      'CompactRange',
      'generateInclusionProof',
      'verifyInclusion',
      'assertInclusion',
      'generateConsistencyProof',
      'verifyConsistency',
      'assertConsistency',
      'parseNote',
      'formatNote',
      'signNote',
      'openNote',
      'verifyNote',
      'addNoteSignatures',
      'parseVerifierKey',
      'parseSignerKey',
      'formatSignerKey',
      'generateSignerKey',
      'computeKeyId',
      'createEd25519Signer',
      'createEd25519Verifier',
      'parseCheckpoint',
      'formatCheckpoint',
      'signCheckpoint',
      'openCheckpoint',
      'verifyCheckpoint',
      'createCosigner',
      'createCosignatureVerifier',
      'cosignatureMessage',
      'cosignatureTimestamp',
      'tilePath',
      'entryBundlePath',
      'parseTilePath',
      'formatTileIndex',
      'encodeEntryBundle',
      'decodeEntryBundle',
      'createMemoryTileStorage',
      'createStorageFetch',
      'createHttpTileFetch',
      'createTileHashReader',
      'TileCache',
      'assertTileCommit',
      'createAppender',
      'verifyTileLog',
      'assertTileLog',
      'CheckpointMonitor',
      'compareCheckpoints',
      'TlogError',
    ]) {
      expect(tlog, name).toHaveProperty(name);
    }
    expect(tlog).not.toHaveProperty('createDirectoryTileStorage');
    expect(tlog).not.toHaveProperty('describeTileStorageConformance');
    for (const name of ['createDirectoryTileStorage', 'createDirectoryTileFetch', 'runCli'])
      expect(tlogNode, name).toHaveProperty(name);
  });

  it('is browser-safe: the main entry reaches only @noble/* and no Node built-in', () => {
    const { seen, specifiers } = reach('index.ts');
    expect([...seen].some((f) => f.startsWith('node/') || f.startsWith('testing/'))).toBe(false);
    expect([...seen]).not.toContain('tiles/storage-conformance.ts');
    expect([...specifiers].sort()).toEqual(['@noble/ed25519', '@noble/hashes/sha2.js']);
  });

  it('imports node: modules only under src/node (and test-only helpers)', () => {
    const offenders = sourceFiles(here)
      .filter((f) => !f.startsWith('node/') && !f.startsWith('testing/'))
      .filter((f) => {
        const code = readFileSync(join(here, f), 'utf8')
          .replace(/\/\*[\s\S]*?\*\//g, '')
          .replace(/^\s*\/\/.*$/gm, '');
        return /from\s+'node:|import\('node:|require\(|\bprocess\.|\bBuffer\./.test(code);
      });
    expect(offenders).toEqual([]);
  });

  it('maps every package.json export to an existing source file and its dist twin', () => {
    const pkg = JSON.parse(readFileSync(join(here, '..', 'package.json'), 'utf8')) as {
      exports: Record<string, string>;
      publishConfig: { exports: Record<string, string | { types: string; import: string }> };
    };
    expect(Object.keys(pkg.exports).sort()).toEqual(['.', './node', './package.json', './testing']);
    for (const [subpath, target] of Object.entries(pkg.exports)) {
      expect(statSync(join(here, '..', target)).isFile(), subpath).toBe(true);
      const published = pkg.publishConfig.exports[subpath];
      if (typeof published === 'object')
        expect(published.import).toBe(target.replace('./src/', './dist/').replace(/\.ts$/, '.js'));
    }
  });
});
