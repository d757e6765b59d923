// Copies the gateway's run-time node_modules out of a `pnpm deploy --prod` tree: only the packages
// the bundle still loads when it runs (the modules apps/gateway/build.mjs leaves external) and what
// they depend on. esbuild inlines everything else, and the production tree holds much that is never
// loaded: optional peers resolved from the workspace bring TypeScript, Vite, Vitest and esbuild.
// The Dockerfile uses it so that the image carries no build tool.
//
// Usage: node deploy/runtime-deps.mjs <deploy dir> <target node_modules> <package>...
//
// Each package is found the way Node finds it from <deploy dir>, its dependencies (and optional and
// peer dependencies, when present) from where it lies, recursively. Each is copied with symlinks
// followed to <target>/<name>, or under its dependent's node_modules when <target>/<name> already
// holds another copy, so Node resolves every dependency from the copy as it did from the source.
import { cpSync, existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const [deployArg, targetArg, ...roots] = process.argv.slice(2);
if (deployArg === undefined || targetArg === undefined || roots.length === 0) {
  console.error('usage: node deploy/runtime-deps.mjs <deploy dir> <target node_modules> <package>...');
  process.exit(2);
}
const deployDir = realpathSync(deployArg);
const target = resolve(targetArg);

/** The real directory of package `name` as Node finds it from `fromDir`, or undefined. */
function locate(name, fromDir) {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return realpathSync(candidate);
    if (dirname(dir) === dir) return undefined;
  }
}

/** Target directory → the source directory copied there. */
const copied = new Map();

/** The copy Node would load for `name` from the copied package at `fromDir` (a root: the top). */
function resolvedCopy(name, fromDir) {
  for (let dir = fromDir; dir !== undefined && dir.startsWith(target + sep);) {
    const candidate = join(dir, 'node_modules', name);
    if (copied.has(candidate)) return candidate;
    const up = dir.lastIndexOf(`${sep}node_modules${sep}`);
    dir = up < 0 ? undefined : dir.slice(0, up);
  }
  const top = join(target, name);
  return copied.has(top) ? top : undefined;
}

function visit(name, sourceDir, dependentCopy) {
  const existing = resolvedCopy(name, dependentCopy);
  if (existing !== undefined && copied.get(existing) === sourceDir) return;
  const top = join(target, name);
  const dest = copied.has(top) ? join(dependentCopy ?? target, 'node_modules', name) : top;
  // The package itself, without any node_modules of its own: its dependencies are visited below.
  cpSync(sourceDir, dest, {
    recursive: true,
    dereference: true,
    filter: (src) => !relative(sourceDir, src).split(sep).includes('node_modules'),
  });
  copied.set(dest, sourceDir);
  const manifest = JSON.parse(readFileSync(join(sourceDir, 'package.json'), 'utf8'));
  const required = Object.keys(manifest.dependencies ?? {});
  const ifPresent = [
    ...Object.keys(manifest.optionalDependencies ?? {}),
    ...Object.keys(manifest.peerDependencies ?? {}),
  ];
  for (const dep of new Set([...required, ...ifPresent])) {
    const depDir = locate(dep, sourceDir);
    if (depDir === undefined) {
      if (required.includes(dep) && !ifPresent.includes(dep)) {
        throw new Error(`${manifest.name} depends on ${dep}, which is not installed under ${deployDir}`);
      }
      continue;
    }
    visit(dep, depDir, dest);
  }
}

for (const name of roots) {
  const dir = locate(name, deployDir);
  if (dir === undefined) throw new Error(`${name} is not installed under ${deployDir}`);
  visit(name, dir, undefined);
}
for (const [dest, source] of copied) console.log(`${relative(target, dest)} <- ${source}`);
