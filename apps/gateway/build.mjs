// Bundles the gateway into one deterministic file, dist/server.mjs: same commit, same bytes on
// any machine (no timestamps, no absolute paths). Native addons stay external. That file is the
// `binary` of the gateway's measurement; dist/measure-cli.mjs (`pnpm measure`) measures it.
import { copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';

await build({
  entryPoints: ['src/server.ts', 'src/measure-cli.ts'],
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['better-sqlite3'],
  legalComments: 'none',
  logLevel: 'warning',
  // Some bundled CommonJS dependencies call require(); give the ESM bundle one.
  banner: {
    js: "import { createRequire as __srCreateRequire } from 'node:module'; const require = __srCreateRequire(import.meta.url);",
  },
});

// The API reference's assets (served at /docs/, measured with the other served files): Scalar's
// standalone bundle, copied byte for byte from the lockfile-pinned package, so its SHA-256 can be
// checked against the registry's tarball. Copied rather than resolved at run time, so a deployed
// gateway needs none of the package's dependencies.
const scalarEntry = createRequire(import.meta.url).resolve('@scalar/api-reference');
mkdirSync('dist/docs', { recursive: true });
copyFileSync(join(dirname(scalarEntry), 'browser', 'standalone.js'), 'dist/docs/scalar.js');
