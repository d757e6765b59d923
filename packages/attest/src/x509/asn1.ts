/**
 * The DER boundary: @peculiar/asn1-schema and asn1js do the decoding, this file makes it strict.
 * asn1js reads BER, so each reader also demands that the library writes the value back to exactly
 * the bytes it read. That rejects indefinite and non-minimal lengths, explicit DEFAULT values,
 * BIT STRINGs with unused bits and trailing bytes: one certificate has exactly one parse.
 * (`parseBer` is the one exception, for a value AMD itself encodes as BER.) The encoders at the
 * end serve the certificate builder.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import * as asn1js from 'asn1js';
import { bytesEqual } from '../bytes.js';

/** Thrown for malformed or non-DER input; callers turn it into a failed check. */
export class DerError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'DerError';
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : 'unknown error';
}

/** A copy of `bytes` as a Uint8Array. */
export function toBytes(bytes: ArrayBuffer | Uint8Array): Uint8Array {
  return bytes instanceof Uint8Array ? bytes.slice() : new Uint8Array(bytes.slice(0));
}

/**
 * Decodes `bytes` as a value of the asn1-schema type `type`, accepting any BER asn1js reads.
 * Only for values AMD itself encodes non-canonically (RSASSA-PSS-params with the DEFAULT
 * trailerField written out); everything else goes through `parseDer`.
 *
 * @throws {DerError} when the bytes do not decode as that type.
 */
export function parseBer<T>(bytes: ArrayBuffer | Uint8Array, type: new () => T, what: string): T {
  try {
    return AsnConvert.parse(toBytes(bytes), type);
  } catch (error) {
    throw new DerError(`${what} does not decode: ${messageOf(error)}`);
  }
}

/**
 * Parses `bytes` as exactly one DER value of the asn1-schema type `type`.
 *
 * @example
 * const bc = parseDer(ext.value, BasicConstraints, 'basicConstraints');
 * @throws {DerError} when the bytes do not decode, or are not that value's DER encoding.
 */
export function parseDer<T>(bytes: ArrayBuffer | Uint8Array, type: new () => T, what: string): T {
  const input = toBytes(bytes);
  const value = parseBer(input, type, what);
  let written: Uint8Array;
  try {
    written = new Uint8Array(AsnConvert.serialize(value));
  } catch (error) {
    throw new DerError(`${what} does not re-encode: ${messageOf(error)}`);
  }
  if (!bytesEqual(written, input)) throw new DerError(`${what} is not DER-encoded (or has trailing bytes)`);
  return value;
}

/** Decodes one primitive; the caller checks its class and calls `expectEncoding`. */
function decodePrimitive(bytes: Uint8Array, what: string): asn1js.AsnType {
  const { offset, result } = asn1js.fromBER(bytes);
  if (offset === -1) throw new DerError(`${what} does not decode: ${result.error}`);
  return result;
}

/**
 * Demands that a fresh asn1js encoding of the decoded value equals the input. (Re-encoding the
 * decoded block itself would not do: asn1js keeps a long length form it read.)
 */
function expectEncoding(fresh: asn1js.BaseBlock, input: Uint8Array, what: string): void {
  if (!bytesEqual(new Uint8Array(fresh.toBER(false)), input))
    throw new DerError(`${what} is not DER-encoded (or has trailing bytes)`);
}

/**
 * The magnitude of a non-negative INTEGER's contents (as asn1-schema's ArrayBuffer converter
 * gives them), without the sign byte.
 *
 * @throws {DerError} for a negative or non-minimally encoded INTEGER.
 */
export function unsignedInteger(contents: ArrayBuffer, what: string): Uint8Array {
  const bytes = new Uint8Array(contents.slice(0));
  if (bytes.length === 0) throw new DerError(`${what} is an empty INTEGER`);
  const value = new asn1js.Integer({ valueHex: bytes }).toBigInt();
  if (value < 0n) throw new DerError(`${what} is a negative INTEGER`);
  // asn1js writes a non-negative INTEGER minimally; any other encoding of the same value is not DER.
  if (!bytesEqual(asn1js.Integer.fromBigInt(value).valueBlock.valueHexView, bytes))
    throw new DerError(`${what} is a non-minimal INTEGER`);
  return bytes.length > 1 && bytes[0] === 0 ? bytes.subarray(1) : bytes;
}

/**
 * A small non-negative DER INTEGER (an AMD SPL extension value) as a number.
 *
 * @throws {DerError} when `der` is not one DER INTEGER in 0 … 2^48 − 1.
 */
export function derSmallInteger(der: ArrayBuffer | Uint8Array, what: string): number {
  const input = toBytes(der);
  const value = decodePrimitive(input, what);
  if (!(value instanceof asn1js.Integer)) throw new DerError(`${what} is not an INTEGER`);
  const magnitude = unsignedInteger(value.valueBlock.valueHexView.slice().buffer, what);
  expectEncoding(asn1js.Integer.fromBigInt(value.toBigInt()), input, what);
  if (magnitude.length > 6) throw new DerError(`${what} is too large`);
  return magnitude.reduce((n, b) => n * 256 + b, 0);
}

const STRING_TYPES = [asn1js.Utf8String, asn1js.PrintableString, asn1js.IA5String] as const;

/**
 * The text of a DER UTF8String, PrintableString or IA5String.
 *
 * @throws {DerError} for any other value, or contents that are not UTF-8.
 */
export function derString(der: ArrayBuffer | Uint8Array, what: string): string {
  const input = toBytes(der);
  const value = decodePrimitive(input, what);
  const type = STRING_TYPES.find((t) => value instanceof t);
  if (type === undefined) throw new DerError(`${what} is not a UTF8String, PrintableString or IA5String`);
  const contents = (value as InstanceType<typeof type>).valueBlock.valueHexView;
  expectEncoding(new type({ valueHex: contents }), input, what);
  try {
    // Decoded here rather than by asn1js, which falls back to a raw string on bad UTF-8.
    return new TextDecoder('utf-8', { fatal: true }).decode(contents);
  } catch {
    throw new DerError(`${what} is not valid UTF-8`);
  }
}

/**
 * The dotted-decimal text of a DER OBJECT IDENTIFIER.
 *
 * @throws {DerError} when `der` is not one DER OBJECT IDENTIFIER.
 */
export function derOid(der: ArrayBuffer | Uint8Array, what: string): string {
  const input = toBytes(der);
  const value = decodePrimitive(input, what);
  if (!(value instanceof asn1js.ObjectIdentifier)) throw new DerError(`${what} is not an OBJECT IDENTIFIER`);
  const dotted = value.valueBlock.toString();
  expectEncoding(new asn1js.ObjectIdentifier({ value: dotted }), input, what);
  return dotted;
}

function nonNegativeInteger(value: number | bigint): asn1js.Integer {
  // Integer.fromBigInt mis-encodes some negative values; nothing here needs them.
  if (BigInt(value) < 0n) throw new RangeError('integer must be non-negative');
  return asn1js.Integer.fromBigInt(value);
}

/**
 * DER of a non-negative INTEGER.
 *
 * @throws {RangeError} for a negative value.
 */
export function encodeInteger(value: number | bigint): Uint8Array<ArrayBuffer> {
  return new Uint8Array(nonNegativeInteger(value).toBER(false));
}

/**
 * Contents of a non-negative INTEGER (with a sign byte where needed), for asn1-schema fields.
 *
 * @throws {RangeError} for a negative value.
 */
export function integerContents(value: number | bigint): ArrayBuffer {
  return nonNegativeInteger(value).valueBlock.valueHexView.slice().buffer;
}

/** DER of an IA5String. */
export function encodeIa5String(text: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(new asn1js.IA5String({ value: text }).toBER(false));
}

/** DER of an OBJECT IDENTIFIER. */
export function encodeOid(dotted: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(new asn1js.ObjectIdentifier({ value: dotted }).toBER(false));
}
