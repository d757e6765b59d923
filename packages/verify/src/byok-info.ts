/**
 * What a sealed provider key (BYOK) is bound to, defined once for both sides: the client seals
 * with this HPKE `info` (`sealProviderKey`), the gateway opens with the very same bytes, so a
 * ciphertext made for one build, one SafeRouter key or one provider opens for no other.
 *
 *   info = "saferouter-byok-v1" ‖ 0x00 ‖ measurement (32 bytes) ‖ key id ‖ 0x00 ‖ provider
 *
 * The measurement is the attested app measurement (fixed length); a key id is printable ASCII,
 * never 0x00, and the provider comes after a 0x00: every field can be read back from the bytes,
 * so no two inputs give the same `info`. Imports nothing, so the gateway can take it from
 * `@saferouter/verify/byok-info` without loading the verifier.
 */

/** The label at the start of every BYOK `info`, naming the format's version. */
export const BYOK_INFO_LABEL = 'saferouter-byok-v1';
/** Length of the app measurement `info` binds (SHA-256, as `pnpm measure` prints it). */
export const BYOK_MEASUREMENT_LENGTH = 32;
/** A provider name as BYOK accepts it: the catalog's provider ids. */
export const BYOK_PROVIDER = /^[a-z0-9._-]{1,64}$/;
/** A SafeRouter key id (`GET /v1/key`'s `id`): printable ASCII, so never 0x00. */
export const BYOK_KEY_ID = /^[\x21-\x7e]{1,64}$/;
/** The longest provider key accepted, in UTF-8 bytes. */
export const MAX_PROVIDER_KEY_BYTES = 4096;

const encoder = new TextEncoder();

/**
 * @throws {TypeError} when `provider` is not a string.
 * @throws {RangeError} when it is not 1–64 of `a-z 0-9 . _ -`.
 */
export function assertProvider(provider: unknown, name = 'provider'): asserts provider is string {
  if (typeof provider !== 'string') throw new TypeError(`${name} must be a string`);
  if (!BYOK_PROVIDER.test(provider))
    throw new RangeError(`${name} must be 1 to 64 characters of a-z, 0-9, '.', '_' and '-'`);
}

/**
 * The HPKE `info` a provider key is sealed with.
 *
 * @example
 * const info = byokInfo(attestor.measurement, caller.id, 'openai');
 * const context = setupRecipient(dh, sealingPublicKey, enc, info); // gateway side
 * @throws {TypeError} when an argument has the wrong type.
 * @throws {RangeError} when `measurement` is not 32 bytes, `keyId` not 1–64 printable ASCII
 *   characters, or `provider` not a provider name.
 */
export function byokInfo(measurement: Uint8Array, keyId: string, provider: string): Uint8Array {
  if (!(measurement instanceof Uint8Array)) throw new TypeError('measurement must be a Uint8Array');
  if (measurement.length !== BYOK_MEASUREMENT_LENGTH)
    throw new RangeError(`measurement must be ${BYOK_MEASUREMENT_LENGTH} bytes, got ${measurement.length}`);
  if (typeof keyId !== 'string') throw new TypeError('keyId must be a string');
  if (!BYOK_KEY_ID.test(keyId)) throw new RangeError('keyId must be 1 to 64 printable ASCII characters');
  assertProvider(provider);
  const parts = [
    encoder.encode(BYOK_INFO_LABEL),
    Uint8Array.of(0),
    measurement,
    encoder.encode(keyId),
    Uint8Array.of(0),
    encoder.encode(provider),
  ];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
