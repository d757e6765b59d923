/**
 * The gateway's measurement: what code and which routed catalog a quote speaks for.
 * measurement = SHA-256( binary ‖ JCS(providers) ‖ JCS(models) [‖ JCS(files)] ), JCS = RFC 8785 in
 * UTF-8; `files`, the manifest of static files the gateway serves, when there is one.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, utf8 } from './bytes.js';
import { canonicalJson } from './canonical-json.js';
import { assertBytes, checkObject } from './validate.js';

/** Length of a measurement in bytes (SHA-256). */
export const MEASUREMENT_LENGTH = 32;

export interface MeasurementInput {
  /** The gateway's deterministic bundle bytes. */
  binary: Uint8Array;
  /** The routed providers, as JSON data (canonicalised with RFC 8785 before hashing). */
  providers: unknown;
  /** The routed models, as JSON data (canonicalised with RFC 8785 before hashing). */
  models: unknown;
  /**
   * The static files the gateway serves, `{ "<url path>": "<sha256 hex>" }` (canonicalised with
   * RFC 8785 and appended when present; a gateway with none passes `{}`).
   */
  files?: Record<string, string> | undefined;
}

/**
 * SHA-256 over the binary followed by the RFC 8785 canonical JSON (UTF-8) of the providers and
 * of the models. Member order and whitespace in the catalog do not change the result.
 *
 * @example
 * const m = computeMeasurement({ binary, providers: catalog.providers, models: catalog.models });
 * toHex(m); // 64 hex characters
 * @throws {TypeError} when `input` is not an object, `binary` is not a Uint8Array, or the catalog
 *   holds values JSON cannot represent.
 * @throws {RangeError} when the catalog holds non-finite numbers, lone surrogates or cycles.
 */
export function computeMeasurement(input: MeasurementInput): Uint8Array {
  checkObject(input, 'input');
  assertBytes(input.binary, 'input.binary');
  const providers = utf8(canonicalJson(input.providers));
  const models = utf8(canonicalJson(input.models));
  const files = input.files === undefined ? new Uint8Array(0) : utf8(canonicalJson(input.files));
  return sha256(concatBytes(input.binary, providers, models, files));
}
