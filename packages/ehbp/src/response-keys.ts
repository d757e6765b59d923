/**
 * The response's AEAD key and base nonce, derived from the request's HPKE context as OHTTP
 * (RFC 9458 §4.4) and EHBP §4.4 say:
 *
 *   secret = context.Export("ehbp response", 32)
 *   prk    = HKDF-Extract(salt = enc ‖ response_nonce, secret)
 *   key    = HKDF-Expand(prk, "key", 32);  nonce = HKDF-Expand(prk, "nonce", 12)
 *
 * and chunk i is sealed under `nonce XOR i` (i big-endian in the last 8 bytes).
 */
import { hmac as nobleHmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { ENC_LENGTH, KEY_LENGTH, NONCE_LENGTH, RESPONSE_NONCE_LENGTH } from './protocol.js';

export interface ResponseKeys {
  readonly key: Uint8Array;
  readonly nonceBase: Uint8Array;
}

const KEY_LABEL = new TextEncoder().encode('key');
const NONCE_LABEL = new TextEncoder().encode('nonce');

/** HMAC-SHA256; the server passes node:crypto's, which is ~3× faster than the portable default. */
export type Hmac = (key: Uint8Array, data: Uint8Array) => Uint8Array;

const portableHmac: Hmac = (key, data) => nobleHmac(sha256, key, data);

/** HKDF-Expand for outputs of at most one hash block (32 bytes), all this derivation needs. */
function expandOne(hmac: Hmac, prk: Uint8Array, label: Uint8Array, length: number): Uint8Array {
  const info = new Uint8Array(label.length + 1);
  info.set(label);
  info[label.length] = 1;
  return hmac(prk, info).slice(0, length);
}

/** @throws {RangeError} when an input has the wrong length. */
export function deriveResponseKeys(
  secret: Uint8Array,
  enc: Uint8Array,
  responseNonce: Uint8Array,
  hmac: Hmac = portableHmac,
): ResponseKeys {
  if (secret.length !== KEY_LENGTH) throw new RangeError(`the exported secret must be ${KEY_LENGTH} bytes`);
  if (enc.length !== ENC_LENGTH) throw new RangeError(`enc must be ${ENC_LENGTH} bytes`);
  if (responseNonce.length !== RESPONSE_NONCE_LENGTH)
    throw new RangeError(`the response nonce must be ${RESPONSE_NONCE_LENGTH} bytes`);
  const salt = new Uint8Array(ENC_LENGTH + RESPONSE_NONCE_LENGTH);
  salt.set(enc);
  salt.set(responseNonce, ENC_LENGTH);
  const prk = hmac(salt, secret); // HKDF-Extract(salt, secret)
  return {
    key: expandOne(hmac, prk, KEY_LABEL, KEY_LENGTH),
    nonceBase: expandOne(hmac, prk, NONCE_LABEL, NONCE_LENGTH),
  };
}

/** The nonce of chunk `seq`. @throws {RangeError} past 2^32 chunks. */
export function chunkNonce(nonceBase: Uint8Array, seq: number): Uint8Array {
  if (!Number.isSafeInteger(seq) || seq < 0 || seq >= 2 ** 32) throw new RangeError('chunk counter out of range');
  const out = nonceBase.slice();
  const view = new DataView(out.buffer);
  view.setUint32(8, view.getUint32(8) ^ seq);
  return out;
}
