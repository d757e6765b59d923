/**
 * The signed-note wire format (c2sp.org/signed-note), without any cryptography: a text ending in
 * a newline, a blank line, then one or more lines `— <name> base64(keyID ‖ signature)`. The text
 * is split from the signatures at the last blank line. Parsing is strict: valid UTF-8, no control
 * characters but newline, bounded size and signature count, canonical base64.
 */
import { decodeBase64, encodeBase64 } from '../encoding/base64.js';
import { utf8Decode, utf8Encode } from '../encoding/bytes.js';
import { TlogError } from '../errors.js';
import { assertArray, assertBytes, assertString, checkObject } from '../validate.js';
import { isValidKeyName } from './key-id.js';

/** Largest note accepted, in UTF-8 bytes (room for 16+ post-quantum signatures, as the spec asks). */
export const MAX_NOTE_SIZE = 1 << 20;
/** Most signature lines accepted on one note (the spec requires at least 16). */
export const MAX_NOTE_SIGNATURES = 100;
/** Em dash U+2014 and a space, the start of every signature line. */
export const SIGNATURE_LINE_PREFIX = '\u2014 ';

export interface NoteSignature {
  readonly name: string;
  /** The uint32 key ID from the first four signature bytes. */
  readonly keyId: number;
  /** The signature bytes after the key ID. */
  readonly signature: Uint8Array;
}

export interface ParsedNote {
  /** The signed text, final newline included. */
  readonly text: string;
  readonly signatures: readonly NoteSignature[];
}

function controlCharacterIndex(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 && c !== 0x0a) return i;
  }
  return -1;
}

/**
 * Checks a note text before signing: non-empty, ends in a newline, valid Unicode, no control
 * characters other than newline, within the size limit.
 *
 * @example
 * assertNoteText('example.com/log\n5\nAAAA…=\n');
 * @throws {TypeError} when `text` is not a string.
 * @throws {TlogError} `malformed` when it breaks one of the rules above.
 */
export function assertNoteText(text: string): void {
  assertString(text, 'text');
  if (!text.endsWith('\n')) throw new TlogError('malformed', 'note text must end with a newline');
  if (controlCharacterIndex(text) >= 0)
    throw new TlogError('malformed', 'note text must not contain control characters other than newline');
  if (utf8Encode(text).length > MAX_NOTE_SIZE)
    throw new TlogError('malformed', `note is larger than ${MAX_NOTE_SIZE} bytes`);
}

function parseSignatureLine(line: string): NoteSignature {
  if (!line.startsWith(SIGNATURE_LINE_PREFIX))
    throw new TlogError('malformed', 'signature line must start with an em dash and a space');
  const rest = line.slice(SIGNATURE_LINE_PREFIX.length);
  const space = rest.indexOf(' ');
  if (space < 0) throw new TlogError('malformed', 'signature line must hold a key name and a signature');
  const name = rest.slice(0, space);
  const b64 = rest.slice(space + 1);
  if (!isValidKeyName(name)) throw new TlogError('malformed', 'signature line has an invalid key name');
  const bytes = decodeBase64(b64);
  if (bytes.length < 5)
    throw new TlogError('malformed', 'signature must hold a 4-byte key ID and at least one signature byte');
  const keyId = ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
  return { name, keyId, signature: bytes.slice(4) };
}

/**
 * Splits a signed note into its text and signature lines. Checks the format only; use
 * `openNote` to verify signatures.
 *
 * @example
 * const { text, signatures } = parseNote(noteString);
 * @throws {TypeError} when `note` is neither a string nor a Uint8Array.
 * @throws {TlogError} `malformed` when the note breaks the format.
 */
export function parseNote(note: string | Uint8Array): ParsedNote {
  let message: string;
  if (typeof note === 'string') {
    message = note;
    if (message.length > MAX_NOTE_SIZE || utf8Encode(message).length > MAX_NOTE_SIZE)
      throw new TlogError('malformed', `note is larger than ${MAX_NOTE_SIZE} bytes`);
  } else {
    assertBytes(note, 'note');
    if (note.length > MAX_NOTE_SIZE) throw new TlogError('malformed', `note is larger than ${MAX_NOTE_SIZE} bytes`);
    message = utf8Decode(note);
  }
  if (controlCharacterIndex(message) >= 0)
    throw new TlogError('malformed', 'note must not contain control characters other than newline');
  const split = message.lastIndexOf('\n\n');
  if (split < 0) throw new TlogError('malformed', 'note has no blank line before its signatures');
  const text = message.slice(0, split + 1);
  const block = message.slice(split + 2);
  if (block === '' || !block.endsWith('\n'))
    throw new TlogError('malformed', 'note signatures must be newline-terminated lines');
  const lines = block.slice(0, -1).split('\n');
  if (lines.length > MAX_NOTE_SIGNATURES)
    throw new TlogError('malformed', `note has more than ${MAX_NOTE_SIGNATURES} signatures`);
  return { text, signatures: lines.map(parseSignatureLine) };
}

/**
 * `— <name> base64(keyID ‖ signature)` without the newline.
 *
 * @example
 * formatSignatureLine({ name: 'example.com/log', keyId: 0x01020304, signature });
 * @throws {TypeError} when a field has the wrong type.
 * @throws {RangeError} when the name is invalid, the key ID not a uint32 or the signature empty.
 */
export function formatSignatureLine(signature: NoteSignature): string {
  checkObject(signature, 'signature');
  if (!isValidKeyName(signature.name)) throw new RangeError('signature.name must be a valid key name');
  if (!Number.isInteger(signature.keyId) || signature.keyId < 0 || signature.keyId > 0xffffffff)
    throw new RangeError('signature.keyId must be a uint32');
  assertBytes(signature.signature, 'signature.signature');
  if (signature.signature.length === 0) throw new RangeError('signature.signature must not be empty');
  const bytes = new Uint8Array(4 + signature.signature.length);
  new DataView(bytes.buffer).setUint32(0, signature.keyId, false);
  bytes.set(signature.signature, 4);
  return `${SIGNATURE_LINE_PREFIX}${signature.name} ${encodeBase64(bytes)}`;
}

/**
 * Assembles a signed note from its text and signatures (no signing happens here).
 *
 * @example
 * formatNote('hello\n', [{ name: 'k', keyId: 1, signature }]);
 * @throws {TypeError} when an argument has the wrong type.
 * @throws {RangeError} when a signature field is out of range or there are no signatures.
 * @throws {TlogError} `malformed` when `text` is not a valid note text.
 */
export function formatNote(text: string, signatures: readonly NoteSignature[]): string {
  assertNoteText(text);
  assertArray(signatures, 'signatures', MAX_NOTE_SIGNATURES);
  if (signatures.length === 0) throw new RangeError('signatures must not be empty');
  let out = `${text}\n`;
  for (const s of signatures) out += `${formatSignatureLine(s)}\n`;
  if (utf8Encode(out).length > MAX_NOTE_SIZE)
    throw new TlogError('malformed', `note is larger than ${MAX_NOTE_SIZE} bytes`);
  return out;
}
