/**
 * The text forms of note keys (c2sp.org/signed-note, Go's golang.org/x/mod/sumdb/note):
 * verifier keys `name+hexkeyid+base64(type ‖ public key)` and signer keys
 * `PRIVATE+KEY+name+hexkeyid+base64(type ‖ seed)`. Parsing checks that the key ID matches the
 * name and public key, so a mistyped or spliced key fails at load time, not at first use.
 * Types 0x01 (Ed25519 note signatures) and 0x04 (cosignature/v1) are supported.
 */
import { decodeBase64, encodeBase64 } from '../encoding/base64.js';
import { TlogError } from '../errors.js';
import { createCosignatureVerifier, createCosigner } from '../cosignature/cosignature.js';
import { assertBytes, assertFunction, assertString } from '../validate.js';
import {
  createEd25519Signer,
  createEd25519Verifier,
  ED25519_SEED_SIZE,
  ed25519PublicKey,
  randomSeed,
} from './ed25519.js';
import { computeKeyId, formatKeyId, isValidKeyName } from './key-id.js';
import {
  SIGNATURE_TYPE_COSIGNATURE_V1,
  SIGNATURE_TYPE_ED25519,
  type KeyedSigner,
  type KeyedVerifier,
} from './signer.js';

/** Longest key string accepted. */
export const MAX_KEY_STRING_LENGTH = 1024;
const KEY_MATERIAL_SIZE = 1 + 32;

function chop(text: string): [string, string] {
  const i = text.indexOf('+');
  return i < 0 ? [text, ''] : [text.slice(0, i), text.slice(i + 1)];
}

function parseKeyParts(text: string, what: string): { name: string; keyId: number; type: number; key: Uint8Array } {
  const [name, rest] = chop(text);
  const [hex, b64] = chop(rest);
  if (!isValidKeyName(name)) throw new TlogError('malformed', `${what}: invalid key name`);
  if (!/^[0-9a-fA-F]{8}$/.test(hex)) throw new TlogError('malformed', `${what}: key ID must be 8 hex digits`);
  const material = decodeBase64(b64);
  if (material.length !== KEY_MATERIAL_SIZE)
    throw new TlogError('malformed', `${what}: key material must be a type byte and 32 key bytes`);
  const type = material[0]!;
  if (type !== SIGNATURE_TYPE_ED25519 && type !== SIGNATURE_TYPE_COSIGNATURE_V1) {
    throw new TlogError('malformed', `${what}: unsupported signature type 0x${type.toString(16).padStart(2, '0')}`);
  }
  return { name, keyId: Number.parseInt(hex, 16), type, key: material.slice(1) };
}

/**
 * @example
 * const verifier = parseVerifierKey('PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW');
 * @throws {TypeError} when `vkey` is not a string.
 * @throws {RangeError} when it is empty or longer than 1024 characters.
 * @throws {TlogError} `malformed` when it is not a well-formed key of a supported type, or its
 *   key ID does not match its name and public key.
 */
export function parseVerifierKey(vkey: string): KeyedVerifier {
  assertString(vkey, 'vkey', 1, MAX_KEY_STRING_LENGTH);
  const { name, keyId, type, key } = parseKeyParts(vkey, 'verifier key');
  const verifier =
    type === SIGNATURE_TYPE_ED25519 ? createEd25519Verifier(name, key) : createCosignatureVerifier(name, key);
  if (verifier.keyId !== keyId)
    throw new TlogError('malformed', 'verifier key: key ID does not match the name and public key');
  return verifier;
}

/**
 * @param options.clock for cosignature (type 0x04) keys: milliseconds since the epoch.
 * @example
 * const signer = await parseSignerKey(process.env.LOG_SKEY);
 * @throws {TypeError} when `skey` is not a string.
 * @throws {RangeError} when it is empty or longer than 1024 characters.
 * @throws {TlogError} `malformed` when it is not a well-formed signer key of a supported type,
 *   or its key ID does not match its name and derived public key.
 */
export async function parseSignerKey(skey: string, options: { clock?: () => number } = {}): Promise<KeyedSigner> {
  assertString(skey, 'skey', 1, MAX_KEY_STRING_LENGTH);
  if (options.clock !== undefined) assertFunction(options.clock, 'options.clock');
  if (!skey.startsWith('PRIVATE+KEY+')) throw new TlogError('malformed', "signer key must start with 'PRIVATE+KEY+'");
  const { name, keyId, type, key } = parseKeyParts(skey.slice('PRIVATE+KEY+'.length), 'signer key');
  const signer =
    type === SIGNATURE_TYPE_ED25519
      ? await createEd25519Signer(name, key)
      : await createCosigner(
          options.clock === undefined ? { name, seed: key } : { name, seed: key, clock: options.clock },
        );
  if (signer.keyId !== keyId)
    throw new TlogError('malformed', 'signer key: key ID does not match the name and public key');
  return signer;
}

/**
 * @example
 * await formatSignerKey('example.com/log', SIGNATURE_TYPE_ED25519, seed); // 'PRIVATE+KEY+example.com/log+…'
 * @throws {TypeError} when an argument has the wrong type.
 * @throws {RangeError} when `name` is invalid, `type` unsupported or `seed` not 32 bytes.
 */
export async function formatSignerKey(name: string, type: number, seed: Uint8Array): Promise<string> {
  if (!isValidKeyName(name)) throw new RangeError('name must be a valid key name');
  if (type !== SIGNATURE_TYPE_ED25519 && type !== SIGNATURE_TYPE_COSIGNATURE_V1)
    throw new RangeError('type must be 0x01 or 0x04');
  assertBytes(seed, 'seed', ED25519_SEED_SIZE);
  const keyId = computeKeyId(name, type, await ed25519PublicKey(seed));
  const material = new Uint8Array(KEY_MATERIAL_SIZE);
  material[0] = type;
  material.set(seed, 1);
  return `PRIVATE+KEY+${name}+${formatKeyId(keyId)}+${encodeBase64(material)}`;
}

export interface GeneratedKey {
  readonly skey: string;
  readonly vkey: string;
  readonly signer: KeyedSigner;
  readonly verifier: KeyedVerifier;
}

/**
 * A new key pair (random unless `seed` is given), as strings and as objects.
 *
 * @example
 * const { skey, vkey } = await generateSignerKey('example.com/log');
 * @throws {TypeError} when an argument has the wrong type.
 * @throws {RangeError} when `name` is invalid, `type` unsupported or `seed` not 32 bytes.
 */
export async function generateSignerKey(
  name: string,
  options: { type?: number; seed?: Uint8Array; clock?: () => number } = {},
): Promise<GeneratedKey> {
  const type = options.type ?? SIGNATURE_TYPE_ED25519;
  const seed = options.seed ?? randomSeed();
  const skey = await formatSignerKey(name, type, seed);
  const signer = await parseSignerKey(skey, options.clock === undefined ? {} : { clock: options.clock });
  return { skey, vkey: signer.verifier.vkey, signer, verifier: signer.verifier };
}
