/**
 * @saferouter/tlog: an RFC 6962 / RFC 9162 Merkle log with C2SP signed notes, checkpoints,
 * witness cosignatures and tlog-tiles, plus proofs, an appender over abstract storage, a tile-log
 * verifier and an equivocation monitor. Everything here is browser-safe (only @noble/* and
 * WebCrypto); the directory reader, directory storage and CLI live at `@saferouter/tlog/node`.
 */
export * from './errors.js';
export type { Check, Verification } from './verification.js';
export { encodeBase64, decodeBase64 } from './encoding/base64.js';

export { EMPTY_ROOT, HASH_SIZE, leafHash, nodeHash } from './merkle/hash.js';
export { rangeNodes, type TreeNode } from './merkle/tree-math.js';
export * from './merkle/hash-reader.js';
export * from './merkle/root.js';
export * from './merkle/inclusion.js';
export * from './merkle/consistency.js';
export * from './merkle/compact-range.js';

export * from './note/signer.js';
export { computeKeyId, formatKeyId, isValidKeyName } from './note/key-id.js';
export { createEd25519Signer, createEd25519Verifier } from './note/ed25519.js';
export * from './note/keys.js';
export * from './note/note.js';
export * from './note/open.js';

export * from './checkpoint/checkpoint.js';
export { openCheckpoint, signCheckpoint, verifyCheckpoint } from './checkpoint/signed-checkpoint.js';
export type {
  CheckpointVerification,
  OpenCheckpointOptions,
  OpenedCheckpoint,
  VerifiedCosignature,
} from './checkpoint/signed-checkpoint.js';
export * from './cosignature/cosignature.js';

export * from './tiles/tile-geometry.js';
export * from './tiles/tile-path.js';
export * from './tiles/entry-bundle.js';
export * from './tiles/tile-storage.js';
export * from './tiles/memory-storage.js';
export * from './tiles/storage-fetch.js';
export * from './tiles/http-fetch.js';
export {
  createTileHashReader,
  TileCache,
  type ReadTile,
  type TileHashReaderOptions,
} from './tiles/tile-hash-reader.js';
export * from './tiles/appender.js';
export * from './tiles/tile-log-verifier.js';

export * from './monitor/checkpoint-monitor.js';
