/**
 * Signing and opening signed notes. Opening follows c2sp.org/signed-note: signatures by unknown
 * keys (name and key ID not both matching a verifier) are kept aside unverified; a signature by a
 * known key that fails to verify rejects the whole note; a note with no verified known signature
 * is rejected; a known key appearing twice is malformed. `verifyNote` reports, `openNote` throws.
 */
import { utf8Encode } from '../encoding/bytes.js';
import { TlogError } from '../errors.js';
import { assertArray, checkObject } from '../validate.js';
import { CheckList, errorMessage, type Verification } from '../verification.js';
import { formatKeyId } from './key-id.js';
import { assertNoteText, formatNote, MAX_NOTE_SIGNATURES, parseNote, type NoteSignature } from './note.js';
import type { NoteSigner, NoteVerifier } from './signer.js';

export interface VerifiedSignature extends NoteSignature {
  readonly verifier: NoteVerifier;
}

export interface OpenedNote {
  readonly text: string;
  /** Signatures by known keys, all verified, in note order. Never empty. */
  readonly verified: readonly VerifiedSignature[];
  /** Signatures by keys not among the verifiers (deduplicated), unchecked. */
  readonly unverified: readonly NoteSignature[];
}

function assertSigners(signers: readonly NoteSigner[]): void {
  assertArray(signers, 'signers', MAX_NOTE_SIGNATURES);
  signers.forEach((s, i) => {
    checkObject(s, `signers[${i}]`);
    if (typeof s.sign !== 'function') throw new TypeError(`signers[${i}].sign must be a function`);
  });
}

async function signaturesFor(text: string, signers: readonly NoteSigner[]): Promise<NoteSignature[]> {
  const bytes = utf8Encode(text);
  return Promise.all(signers.map(async (s) => ({ name: s.name, keyId: s.keyId, signature: await s.sign(bytes) })));
}

/**
 * @example
 * const note = await signNote('hello\n', [signer]);
 * @throws {TypeError} when an argument has the wrong type.
 * @throws {RangeError} when `signers` is empty.
 * @throws {TlogError} `malformed` when `text` is not a valid note text.
 */
export async function signNote(text: string, signers: readonly NoteSigner[]): Promise<string> {
  assertNoteText(text);
  assertSigners(signers);
  if (signers.length === 0) throw new RangeError('signers must not be empty');
  return formatNote(text, await signaturesFor(text, signers));
}

/**
 * Adds signatures to an already signed note, keeping the existing ones (how a witness cosigns a
 * checkpoint). The existing signatures are not verified here.
 *
 * @example
 * const cosigned = await addNoteSignatures(checkpointNote, [witness]);
 * @throws {TypeError} when an argument has the wrong type.
 * @throws {TlogError} `malformed` when `note` is not a well-formed signed note.
 */
export async function addNoteSignatures(note: string | Uint8Array, signers: readonly NoteSigner[]): Promise<string> {
  const parsed = parseNote(note);
  assertSigners(signers);
  return formatNote(parsed.text, [...parsed.signatures, ...(await signaturesFor(parsed.text, signers))]);
}

function assertVerifiers(verifiers: readonly NoteVerifier[]): void {
  assertArray(verifiers, 'verifiers');
  verifiers.forEach((v, i) => {
    checkObject(v, `verifiers[${i}]`);
    if (typeof v.verify !== 'function') throw new TypeError(`verifiers[${i}].verify must be a function`);
  });
}

/**
 * @example
 * const { text, verified } = await openNote(note, [parseVerifierKey(vkey)]);
 * @throws {TypeError} when an argument has the wrong type.
 * @throws {TlogError} `malformed` for a malformed note, `signature` when a known key's signature
 *   fails, `unverified` when no known key signed it.
 */
export async function openNote(note: string | Uint8Array, verifiers: readonly NoteVerifier[]): Promise<OpenedNote> {
  assertVerifiers(verifiers);
  const { text, signatures } = parseNote(note);
  const textBytes = utf8Encode(text);
  const seen = new Set<string>();
  const verified: VerifiedSignature[] = [];
  const unverified: NoteSignature[] = [];
  for (const sig of signatures) {
    const key = `${sig.name}+${formatKeyId(sig.keyId)}`;
    const verifier = verifiers.find((v) => v.name === sig.name && v.keyId === sig.keyId);
    if (verifier === undefined) {
      if (!seen.has(key)) unverified.push(sig);
      seen.add(key);
      continue;
    }
    if (seen.has(key)) throw new TlogError('malformed', `note carries two signatures by ${key}`);
    seen.add(key);
    if (!(await verifier.verify(textBytes, sig.signature)))
      throw new TlogError('signature', `signature by ${key} does not verify`);
    verified.push({ ...sig, verifier });
  }
  if (verified.length === 0) throw new TlogError('unverified', 'note has no signature by a known key');
  return { text, verified, unverified };
}

export interface NoteVerification extends Verification {
  /** The opened note when `ok`. */
  readonly note?: OpenedNote;
}

/**
 * `openNote` that never throws on bad data: the outcome is the `note.signature` check.
 *
 * @example
 * const { ok, issues } = await verifyNote(note, [verifier]);
 */
export async function verifyNote(
  note: string | Uint8Array,
  verifiers: readonly NoteVerifier[],
): Promise<NoteVerification> {
  const checks = new CheckList();
  try {
    const opened = await openNote(note, verifiers);
    checks.pass('note.signature', `signed by ${opened.verified.map((s) => s.name).join(', ')}`);
    return { ...checks.result(), note: opened };
  } catch (error) {
    checks.fail('note.signature', errorMessage(error));
    return checks.result();
  }
}
