// Bundles the gateway into one deterministic file, dist/server.mjs: same commit, same bytes on
// any machine (no timestamps, no absolute paths). Native addons stay external. That file is the
// `binary` of the gateway's measurement; dist/measure-cli.mjs (`pnpm measure`) measures it.
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
