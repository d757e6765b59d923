// Module resolution hooks for load-trace.ts, registered in a child process with
// `module.register()`: every URL the loader resolves (static and dynamic imports, including
// CommonJS packages imported from ESM) is appended, one per line, to the file named in `data.log`.
// Plain JavaScript because it runs on the loader thread before any TypeScript hook is in place.
import { appendFileSync } from 'node:fs';

let log = '';

export function initialize(data) {
  log = data.log;
}

export async function resolve(specifier, context, nextResolve) {
  const result = await nextResolve(specifier, context);
  appendFileSync(log, `${result.url}\n`);
  return result;
}
