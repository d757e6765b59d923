/** @saferouter/verify/node: the state file the CLI remembers checkpoints in, and the CLI itself. */
export { defaultStatePath, fileState, resetState } from './state-file.js';
export { runCli, type CliIo } from './cli.js';
