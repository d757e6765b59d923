/**
 * Ed25519 witness cosignatures, c2sp.org/tlog-cosignature `cosignature/v1` (signature type 0x04).
 * A cosignature is a note signature on a checkpoint whose bytes are timestamp (u64 big-endian,
 * POSIX seconds) ‖ Ed25519 signature, where the signed message is
 * "cosignature/v1\ntime <timestamp>\n" followed by the checkpoint body. Both sides are here:
 * verifiers for configured witnesses, and a cosigner so tests (or a witness) can produce them.
 */
import { concatBytes, utf8Encode } from '../encoding/bytes.js';
import { TlogError } from '../errors.js';
import { assertBytes, assertFunction, checkObject } from '../validate.js';
import {
  ED25519_SEED_SIZE,
  ED25519_SIGNATURE_SIZE,
  ed25519PublicKey,
  ed25519Sign,
  ed25519Verify,
  createKeyedVerifier,
} from '../note/ed25519.js';
import { assertKeyName } from '../note/key-id.js';
import { SIGNATURE_TYPE_COSIGNATURE_V1, type KeyedSigner, type KeyedVerifier } from '../note/signer.js';

/** Timestamp (8) + Ed25519 signature (64); the note line adds the 4-byte key ID in front. */
export const COSIGNATURE_V1_SIZE = 8 + ED25519_SIGNATURE_SIZE;
const MAX_TIMESTAMP = 2n ** 63n - 1n;

/**
 * The exact bytes a `cosignature/v1` signature covers.
 *
 * @example
 * cosignatureMessage(1679315147, utf8Encode(checkpointBody));
 * @throws {RangeError} when `timestamp` is negative or above 2^63 − 1.
 */
export function cosignatureMessage(timestamp: number | bigint, checkpointBody: Uint8Array): Uint8Array {
  const t = BigInt(timestamp);
  if (t < 0n || t > MAX_TIMESTAMP) throw new RangeError('timestamp must be from 0 to 2^63 - 1');
  assertBytes(checkpointBody, 'checkpointBody');
  return concatBytes(utf8Encode(`cosignature/v1\ntime ${t.toString()}\n`), checkpointBody);
}

/**
 * The POSIX timestamp (seconds) a cosignature carries; `signature` is the note signature without
 * its key ID. Timestamps past 2^53 come back rounded (no real clock gets there).
 *
 * @example
 * cosignatureTimestamp(parseNote(note).signatures[1].signature); // 1679315147
 * @throws {TlogError} `malformed` when the signature is not 72 bytes or the timestamp exceeds 2^63 − 1.
 */
export function cosignatureTimestamp(signature: Uint8Array): number {
  assertBytes(signature, 'signature');
  if (signature.length !== COSIGNATURE_V1_SIZE)
    throw new TlogError('malformed', `a cosignature/v1 signature is ${COSIGNATURE_V1_SIZE} bytes`);
  const t = new DataView(signature.buffer, signature.byteOffset, 8).getBigUint64(0, false);
  if (t > MAX_TIMESTAMP) throw new TlogError('malformed', 'cosignature timestamp exceeds 2^63 - 1');
  return Number(t);
}

/**
 * @example
 * const witness = createCosignatureVerifier('witness.example/w1', publicKey);
 * await openCheckpoint(note, { verifier: logKey, witnesses: [witness] });
 * @throws {TypeError} when an argument has the wrong type.
 * @throws {RangeError} when `name` is not a valid key name or `publicKey` not 32 bytes.
 */
export function createCosignatureVerifier(name: string, publicKey: Uint8Array): KeyedVerifier {
  return createKeyedVerifier(name, SIGNATURE_TYPE_COSIGNATURE_V1, publicKey, (key) => async (text, signature) => {
    if (signature.length !== COSIGNATURE_V1_SIZE) return false;
    const t = new DataView(signature.buffer, signature.byteOffset, 8).getBigUint64(0, false);
    if (t > MAX_TIMESTAMP) return false;
    return ed25519Verify(key, cosignatureMessage(t, text), signature.subarray(8));
  });
}

export interface CosignerOptions {
  readonly name: string;
  /** 32-byte Ed25519 seed. */
  readonly seed: Uint8Array;
  /** Milliseconds since the epoch; defaults to `Date.now`. The cosignature carries whole seconds. */
  readonly clock?: () => number;
}

/**
 * A witness's signer: signs checkpoint bodies as `cosignature/v1` at the clock's current second.
 * It does not check consistency itself; a real witness must do that before signing.
 *
 * @example
 * const witness = await createCosigner({ name: 'witness.example/w1', seed });
 * const cosigned = await addNoteSignatures(checkpointNote, [witness]);
 * @throws {TypeError} when an option has the wrong type.
 * @throws {RangeError} when `name` is not a valid key name or `seed` not 32 bytes.
 */
export async function createCosigner(options: CosignerOptions): Promise<KeyedSigner> {
  checkObject(options, 'options');
  assertKeyName(options.name, 'options.name');
  assertBytes(options.seed, 'options.seed', ED25519_SEED_SIZE);
  if (options.clock !== undefined) assertFunction(options.clock, 'options.clock');
  const seed = options.seed.slice();
  const clock = options.clock ?? Date.now;
  const verifier = createCosignatureVerifier(options.name, await ed25519PublicKey(seed));
  return {
    name: options.name,
    keyId: verifier.keyId,
    type: SIGNATURE_TYPE_COSIGNATURE_V1,
    publicKey: verifier.publicKey,
    verifier,
    async sign(text) {
      const seconds = Math.floor(clock() / 1000);
      if (!Number.isSafeInteger(seconds) || seconds < 0) throw new RangeError('clock must return a non-negative time');
      const signature = await ed25519Sign(seed, cosignatureMessage(seconds, text));
      const out = new Uint8Array(COSIGNATURE_V1_SIZE);
      new DataView(out.buffer).setBigUint64(0, BigInt(seconds), false);
      out.set(signature, 8);
      return out;
    },
  };
}
