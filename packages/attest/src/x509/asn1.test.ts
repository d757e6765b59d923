/**
 * The DER boundary over asn1js / @peculiar/asn1-schema: values round-trip through the encoders,
 * and BER that is not DER (or is the wrong type) is rejected.
 */
import { BasicConstraints } from '@peculiar/asn1-x509';
import { describe, expect, it } from 'vitest';
import {
  DerError,
  derOid,
  derSmallInteger,
  derString,
  encodeIa5String,
  encodeInteger,
  encodeOid,
  integerContents,
  parseDer,
  unsignedInteger,
} from './asn1.js';

const bytes = (...b: number[]): Uint8Array => new Uint8Array(b);

describe('DER helpers', () => {
  it('round-trip what the encoders produce', () => {
    expect(derOid(encodeOid('1.3.6.1.4.1.3704.1.3.8'), 'oid')).toBe('1.3.6.1.4.1.3704.1.3.8');
    expect(Array.from(encodeInteger(0x80))).toEqual([0x02, 0x02, 0x00, 0x80]);
    expect(derSmallInteger(encodeInteger(0x80), 'int')).toBe(0x80);
    expect(derSmallInteger(encodeInteger(0), 'int')).toBe(0);
    expect(derSmallInteger(encodeInteger(2 ** 40 + 5), 'int')).toBe(2 ** 40 + 5);
    expect(derString(encodeIa5String('test-csp.example'), 'str')).toBe('test-csp.example');
    expect(derString(bytes(0x0c, 0x02, 0xc3, 0xa9), 'str')).toBe('é');
    expect(Array.from(unsignedInteger(integerContents(0xff), 'int'))).toEqual([0xff]);
    expect(Array.from(unsignedInteger(integerContents(0), 'int'))).toEqual([0]);
    expect(parseDer(bytes(0x30, 0x03, 0x01, 0x01, 0xff), BasicConstraints, 'bc').cA).toBe(true);
  });

  it('rejects malformed encodings', () => {
    expect(() => derSmallInteger(bytes(0x02), 'int')).toThrow(DerError);
    expect(() => derSmallInteger(bytes(0x02, 0x02, 0x01), 'int')).toThrow(/does not decode/);
    expect(() => derSmallInteger(bytes(0x02, 0x81, 0x01, 0x05), 'int')).toThrow(/not DER/);
    expect(() => derSmallInteger(bytes(0x02, 0x01, 0x05, 0x00), 'int')).toThrow(/trailing/);
    expect(() => derSmallInteger(bytes(0x02, 0x02, 0x00, 0x01), 'int')).toThrow(/non-minimal/);
    expect(() => derSmallInteger(bytes(0x02, 0x01, 0x80), 'int')).toThrow(/negative/);
    expect(() => derSmallInteger(bytes(0x02, 0x07, 1, 0, 0, 0, 0, 0, 0), 'int')).toThrow(/too large/);
    expect(() => derSmallInteger(bytes(0x04, 0x01, 0x05), 'int')).toThrow(/not an INTEGER/);
    expect(() => derString(bytes(0x0c, 0x01, 0xff), 'str')).toThrow(/UTF-8/);
    expect(() => derString(bytes(0x1e, 0x02, 0x00, 0x41), 'str')).toThrow(/not a UTF8String/);
    expect(() => derString(bytes(0x16, 0x81, 0x01, 0x41), 'str')).toThrow(/not DER/);
    expect(() => derOid(bytes(0x06, 0x02, 0x80, 0x01), 'oid')).toThrow(/not DER/);
    expect(() => derOid(bytes(0x06, 0x81, 0x01, 0x2b), 'oid')).toThrow(/not DER/);
    expect(() => unsignedInteger(new ArrayBuffer(0), 'int')).toThrow(/empty/);
    // BasicConstraints with cA FALSE written out (a DEFAULT value), and with indefinite length.
    expect(() => parseDer(bytes(0x30, 0x03, 0x01, 0x01, 0x00), BasicConstraints, 'bc')).toThrow(/not DER/);
    expect(() => parseDer(bytes(0x30, 0x80, 0x01, 0x01, 0xff, 0x00, 0x00), BasicConstraints, 'bc')).toThrow(/not DER/);
    expect(() => parseDer(bytes(0x04, 0x01, 0x00), BasicConstraints, 'bc')).toThrow(DerError);
  });
});
