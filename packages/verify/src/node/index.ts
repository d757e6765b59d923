/**
 * @saferouter/verify/node: the state file the CLI remembers checkpoints in, the TLS transport
 * that lets `tls-binding` see the gateway's certificate, and the CLI itself.
 */
export { defaultStatePath, fileState, resetState } from './state-file.js';
export { runCli } from './cli.js';
export type { CliIo } from './cli-io.js';
export { createTlsTransport, type TlsTransport, type TlsTransportOptions } from './tls-peer.js';
