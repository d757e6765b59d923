// The CLI ships as one file: dist/node/cli.js bundles @saferouter/attest, audit, ehbp and tlog
// (and their dependencies, but undici), so `node dist/node/cli.js` runs with plain node both from an npm
// install and inside this workspace, where those packages resolve to their TypeScript sources.
// Runs after `tsc`, replacing the cli.js it emitted; the library entries stay tsc's per-file ESM.
import { build } from 'esbuild';

await build({
  entryPoints: ['src/node/cli.ts'],
  outfile: 'dist/node/cli.js',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  legalComments: 'none',
  // A CommonJS dependency that requires Node built-ins cannot be bundled into ESM; undici is a
  // dependency of this package, so it is resolved at run time instead.
  external: ['undici'],
  logLevel: 'warning',
});
