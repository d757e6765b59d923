/**
 * Checkpoints as signed notes: sign a checkpoint with the log key (and any others), and open one
 * by requiring a valid signature from the log's own key, parsing the body, checking the origin
 * and verifying the cosignatures of configured witnesses (unknown witnesses are ignored; a
 * configured witness whose cosignature fails rejects the checkpoint, as for any known key).
 */
import { TlogError } from '../errors.js';
import { cosignatureTimestamp } from '../cosignature/cosignature.js';
import { openNote, signNote, type OpenedNote } from '../note/open.js';
import type { NoteSignature } from '../note/note.js';
import { SIGNATURE_TYPE_COSIGNATURE_V1, type NoteSigner, type NoteVerifier } from '../note/signer.js';
import { assertArray, assertCount, assertString, checkObject } from '../validate.js';
import { CheckList, type Verification } from '../verification.js';
import { formatCheckpoint, parseCheckpoint, type Checkpoint } from './checkpoint.js';

export interface OpenCheckpointOptions {
  /** The log's key: its signature is required. */
  readonly verifier: NoteVerifier;
  /** Witness keys whose cosignatures are verified when present. */
  readonly witnesses?: readonly NoteVerifier[];
  /** How many configured witnesses must have cosigned (default 0). */
  readonly witnessQuorum?: number;
  /** The origin line the checkpoint must carry; unchecked when absent. */
  readonly origin?: string;
}

export interface VerifiedCosignature {
  readonly name: string;
  readonly keyId: number;
  /** POSIX seconds, for `cosignature/v1` signatures; undefined for other witness key types. */
  readonly timestamp: number | undefined;
}

export interface OpenedCheckpoint {
  readonly checkpoint: Checkpoint;
  /** The signed body text. */
  readonly text: string;
  readonly cosignatures: readonly VerifiedCosignature[];
  /** Signatures by keys that were not configured, unchecked. */
  readonly unverified: readonly NoteSignature[];
}

/**
 * @example
 * const note = await signCheckpoint({ origin: signer.name, size, rootHash, extensions: [] }, [signer]);
 * @throws {TypeError} when an argument has the wrong type.
 * @throws {RangeError} when a checkpoint field is out of range or `signers` is empty.
 */
export async function signCheckpoint(checkpoint: Checkpoint, signers: readonly NoteSigner[]): Promise<string> {
  return signNote(formatCheckpoint(checkpoint), signers);
}

function checkOptions(options: OpenCheckpointOptions): void {
  checkObject(options, 'options');
  checkObject(options.verifier, 'options.verifier');
  if (options.witnesses !== undefined) assertArray(options.witnesses, 'options.witnesses');
  if (options.witnessQuorum !== undefined) assertCount(options.witnessQuorum, 'options.witnessQuorum');
  if (options.origin !== undefined) assertString(options.origin, 'options.origin', 1);
}

async function openSigned(note: string | Uint8Array, options: OpenCheckpointOptions): Promise<OpenedNote> {
  const opened = await openNote(note, [options.verifier, ...(options.witnesses ?? [])]);
  if (!opened.verified.some((s) => s.verifier === options.verifier)) {
    throw new TlogError('unverified', `checkpoint is not signed by the log key ${options.verifier.name}`);
  }
  return opened;
}

function parseBody(text: string, options: OpenCheckpointOptions): Checkpoint {
  const checkpoint = parseCheckpoint(text);
  if (options.origin !== undefined && checkpoint.origin !== options.origin) {
    throw new TlogError('malformed', `checkpoint origin is not ${options.origin}`);
  }
  return checkpoint;
}

function cosignaturesOf(opened: OpenedNote, options: OpenCheckpointOptions): VerifiedCosignature[] {
  const witnesses = options.witnesses ?? [];
  const cosignatures = opened.verified
    .filter((s) => s.verifier !== options.verifier && witnesses.includes(s.verifier))
    .map((s) => ({
      name: s.name,
      keyId: s.keyId,
      timestamp: s.verifier.type === SIGNATURE_TYPE_COSIGNATURE_V1 ? cosignatureTimestamp(s.signature) : undefined,
    }));
  const quorum = options.witnessQuorum ?? 0;
  if (cosignatures.length < quorum)
    throw new TlogError('unverified', `checkpoint has ${cosignatures.length} witness cosignatures, ${quorum} required`);
  return cosignatures;
}

/**
 * @example
 * const { checkpoint } = await openCheckpoint(note, { verifier: parseVerifierKey(vkey), origin: 'example.com/log' });
 * @throws {TypeError} when an option has the wrong type.
 * @throws {TlogError} `malformed`, `signature` or `unverified` when the checkpoint cannot be trusted.
 */
export async function openCheckpoint(
  note: string | Uint8Array,
  options: OpenCheckpointOptions,
): Promise<OpenedCheckpoint> {
  checkOptions(options);
  const opened = await openSigned(note, options);
  const checkpoint = parseBody(opened.text, options);
  return {
    checkpoint,
    text: opened.text,
    cosignatures: cosignaturesOf(opened, options),
    unverified: opened.unverified,
  };
}

export interface CheckpointVerification extends Verification {
  readonly checkpoint?: OpenedCheckpoint;
}

/**
 * Records the checkpoint checks into `checks` and returns the opened checkpoint when all pass.
 * Shared by `verifyCheckpoint` and the tile-log verifier.
 */
export async function checkCheckpoint(
  note: string | Uint8Array,
  options: OpenCheckpointOptions,
  checks: CheckList,
): Promise<OpenedCheckpoint | undefined> {
  const opened = await checks.record(
    'checkpoint.signature',
    async () => {
      checkOptions(options);
      return openSigned(note, options);
    },
    () => `signed by the log key ${options.verifier.name}`,
  );
  if (opened === undefined) return undefined;
  const checkpoint = await checks.record(
    'checkpoint.body',
    () => parseBody(opened.text, options),
    (c) => `${c.origin} at size ${c.size}`,
  );
  let cosignatures: VerifiedCosignature[] | undefined = [];
  if (options.witnesses !== undefined && options.witnesses.length > 0) {
    cosignatures = await checks.record(
      'checkpoint.cosignatures',
      () => cosignaturesOf(opened, options),
      (c) => `${c.length} witness cosignatures verified`,
    );
  }
  if (checkpoint === undefined || cosignatures === undefined) return undefined;
  return { checkpoint, text: opened.text, cosignatures, unverified: opened.unverified };
}

/**
 * `openCheckpoint` that never throws on bad data. Checks: `checkpoint.signature`,
 * `checkpoint.body` and, with witnesses configured, `checkpoint.cosignatures`.
 *
 * @example
 * const result = await verifyCheckpoint(note, { verifier });
 * if (!result.ok) console.error(result.issues);
 */
export async function verifyCheckpoint(
  note: string | Uint8Array,
  options: OpenCheckpointOptions,
): Promise<CheckpointVerification> {
  const checks = new CheckList();
  const checkpoint = await checkCheckpoint(note, options, checks);
  const result = checks.result();
  return result.ok && checkpoint !== undefined ? { ...result, checkpoint } : result;
}
