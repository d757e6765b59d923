/**
 * @saferouter/tlog/node: the Node-only parts of the tlog package, kept off the browser-safe main
 * entry: a directory-backed `TileStorage`, a directory `TileFetch`, and the CLI runner.
 */
export * from './directory-fetch.js';
export * from './directory-storage.js';
export { runCli, USAGE, type CliIo } from './cli.js';
