/**
 * The server's HPKE key configuration, as RFC 9458 §3 defines a `key_config` and EHBP serves one
 * at `/.well-known/hpke-keys` (`application/ohttp-keys`):
 *
 *   key_id (1) ‖ kem_id (2) ‖ public_key (Npk) ‖ cipher_suites_length (2) ‖ (kdf_id (2) ‖ aead_id (2))…
 */
import { AEAD_AES_256_GCM, ENC_LENGTH, KDF_HKDF_SHA256, KEM_X25519_HKDF_SHA256 } from './protocol.js';

export interface KeyConfig {
  readonly keyId: number;
  readonly kemId: number;
  readonly publicKey: Uint8Array;
  readonly suites: readonly { readonly kdfId: number; readonly aeadId: number }[];
}

/**
 * The one key_config EHBP serves: key id 0, X25519-HKDF-SHA256, HKDF-SHA256 with AES-256-GCM.
 *
 * @example
 * const body = encodeKeyConfig(sealingPublicKey); // 41 bytes
 * @throws {RangeError} when the public key is not 32 bytes.
 */
export function encodeKeyConfig(publicKey: Uint8Array, keyId = 0): Uint8Array {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== ENC_LENGTH)
    throw new RangeError(`publicKey must be ${ENC_LENGTH} bytes (X25519)`);
  const out = new Uint8Array(1 + 2 + ENC_LENGTH + 2 + 4);
  const view = new DataView(out.buffer);
  view.setUint8(0, keyId);
  view.setUint16(1, KEM_X25519_HKDF_SHA256);
  out.set(publicKey, 3);
  view.setUint16(3 + ENC_LENGTH, 4);
  view.setUint16(5 + ENC_LENGTH, KDF_HKDF_SHA256);
  view.setUint16(7 + ENC_LENGTH, AEAD_AES_256_GCM);
  return out;
}

/**
 * Parses the first key_config, and checks it is the suite EHBP uses.
 *
 * @example
 * const { publicKey } = parseKeyConfig(new Uint8Array(await res.arrayBuffer()));
 * @throws {Error} naming what is malformed or unsupported.
 */
export function parseKeyConfig(data: Uint8Array): KeyConfig {
  if (!(data instanceof Uint8Array) || data.length < 3 + ENC_LENGTH + 2 + 4)
    throw new Error('the HPKE key config is too short');
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const keyId = view.getUint8(0);
  const kemId = view.getUint16(1);
  if (kemId !== KEM_X25519_HKDF_SHA256)
    throw new Error(`unsupported KEM 0x${kemId.toString(16)} (need X25519-HKDF-SHA256)`);
  const publicKey = data.slice(3, 3 + ENC_LENGTH);
  const length = view.getUint16(3 + ENC_LENGTH);
  const start = 5 + ENC_LENGTH;
  if (length === 0 || length % 4 !== 0 || start + length > data.length)
    throw new Error('the HPKE key config has a malformed cipher suite list');
  const suites: { kdfId: number; aeadId: number }[] = [];
  for (let o = start; o < start + length; o += 4)
    suites.push({ kdfId: view.getUint16(o), aeadId: view.getUint16(o + 2) });
  const first = suites[0];
  if (first === undefined || first.kdfId !== KDF_HKDF_SHA256 || first.aeadId !== AEAD_AES_256_GCM)
    throw new Error('the HPKE key config does not offer HKDF-SHA256 with AES-256-GCM first');
  return { keyId, kemId, publicKey, suites };
}
