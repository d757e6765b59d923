/**
 * No import cycles anywhere in the workspace, type-only imports included. The first test shows
 * the finder catches a type-only cycle (so the second cannot pass by finding nothing at all).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { findImportCycles, importGraph, listSourceFiles } from './import-cycles.js';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const work = mkdtempSync(join(tmpdir(), 'saferouter-cycles-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('findImportCycles', () => {
  it('finds a cycle made of type-only imports, and ignores imports in comments and strings', () => {
    const files: Record<string, string> = {
      // errors → checks → report/parse → errors, two of the three edges type-only.
      'errors.ts': "import type { Check } from './checks.js';\nexport class E { c?: Check; }\n",
      'checks.ts': "import type { Report } from './report/parse.js';\nexport interface Check { r?: Report }\n",
      'report/parse.ts': "import { E } from '../errors.js';\nexport interface Report { e?: E }\n",
      // Not cycles: an import in a comment or a string, and a one-way dynamic import.
      'leaf.ts': "// import { x } from './user.js'\nexport const s = \"import './user.js'\";\n",
      'user.ts': "import { s } from './leaf.js';\nexport { type Check } from './checks.js';\nexport const u = s;\n",
      'index.ts': "export const lazy = () => import('./leaf.js');\n",
      // A file re-exporting from itself is a cycle of one.
      'self.ts': "export type { T } from './self.js';\nexport type T = 1;\n",
    };
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(dirname(join(work, name)), { recursive: true });
      writeFileSync(join(work, name), text);
    }
    const cycles = findImportCycles(listSourceFiles(work), work);
    expect(cycles).toEqual([['checks.ts', 'errors.ts', join('report', 'parse.ts')], ['self.ts']]);
  });
});

describe('the workspace', () => {
  it('has no import cycles (type-only imports included)', () => {
    const files = ['packages', 'apps', 'bench']
      .map((dir) => join(REPO_ROOT, dir))
      .filter((dir) => existsSync(dir))
      .flatMap((dir) => listSourceFiles(dir));
    // Guard against a scan that silently sees nothing (a moved root, a broken resolver).
    expect(files.length).toBeGreaterThan(200);
    const edges = [...importGraph(files).values()].reduce((n, targets) => n + targets.length, 0);
    expect(edges).toBeGreaterThan(files.length);
    expect(findImportCycles(files, REPO_ROOT)).toEqual([]);
  });
});
