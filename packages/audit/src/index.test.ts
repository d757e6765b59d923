/**
 * The package entries: the main entry exports the verification API and is browser-safe (esbuild
 * bundles it for platform=browser, where any Node built-in fails the build, and its metafile
 * shows no Node-only module); only src/node and test helpers import node: modules; the
 * package.json `exports` map matches the files.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import * as audit from './index.js';
import * as auditNode from './node/index.js';

const here = dirname(fileURLToPath(import.meta.url));

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

const bundleFor = (entry: string) =>
  build({
    entryPoints: [join(here, entry)],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    metafile: true,
    logLevel: 'silent',
  });

describe('@saferouter/audit entries', () => {
  it('exports the public API', () => {
    for (const name of [
      'verifyReceipt',
      'assertReceipt',
      'RECEIPT_CHECK_IDS',
      'safeParseReceiptPayload',
      'auditEntry',
      'parseAuditEntry',
      'commitment',
      'verifySample',
      'assertSample',
      'STARTUP_RECORD_TYPE',
      'startupNonce',
      'encodeStartupRecord',
      'parseStartupRecord',
      'createLogReader',
      'logOrigin',
      'AuditError',
    ])
      expect(audit, name).toHaveProperty(name);
    for (const name of [
      'createReceiptIssuer',
      'auditSampler',
      'createAuditLog',
      'appendStartupRecord',
      'buildStartupRecord',
      'resolveLogKey',
    ])
      expect(auditNode, name).toHaveProperty(name);
    expect(audit).not.toHaveProperty('createReceiptIssuer');
  });

  it('bundles for the browser with no Node module reachable', { timeout: 60_000 }, async () => {
    const result = await bundleFor('index.ts');
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.length).toBeGreaterThan(5);
    expect(inputs.filter((f) => f.startsWith('node:') || /\/src\/(node|testing)\//.test(f))).toEqual([]);
    expect(inputs.some((f) => f.includes('@noble/curves'))).toBe(true);
  });

  it('would catch a Node import: the node entry does not bundle for the browser', { timeout: 60_000 }, async () => {
    await expect(bundleFor('node/index.ts')).rejects.toThrow(/node:/);
  });

  it('imports node: modules only under src/node and src/testing', () => {
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
      dependencies: Record<string, string>;
    };
    expect(Object.keys(pkg.exports).sort()).toEqual(['.', './node', './package.json']);
    for (const [subpath, target] of Object.entries(pkg.exports)) {
      expect(statSync(join(here, '..', target)).isFile(), subpath).toBe(true);
      const published = pkg.publishConfig.exports[subpath];
      if (typeof published === 'object')
        expect(published.import).toBe(target.replace('./src/', './dist/').replace(/\.ts$/, '.js'));
    }
    // The store is a type-only dependency of the Node entry.
    expect(pkg.dependencies).not.toHaveProperty('@saferouter/store');
    const runtimeStoreImports = sourceFiles(here).filter((f) =>
      /^import (?!type)[^;]*from '@saferouter\/store'/m.test(readFileSync(join(here, f), 'utf8')),
    );
    expect(runtimeStoreImports).toEqual([]);
  });
});
