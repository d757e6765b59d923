/**
 * The auxblob certificate table: GUID lookup, bounds and terminator.
 */
import { describe, expect, it } from 'vitest';
import { toHex } from '../bytes.js';
import { milanVcek } from '../testing/vectors.js';
import { buildCertTable, parseCertTable } from './cert-table.js';

describe('certificate table (auxblob)', () => {
  it('round-trips entries by GUID, ignoring unknown ones', () => {
    const vcek = milanVcek().cert;
    const table = buildCertTable([
      { kind: 'vcek', der: vcek },
      { kind: 'ark', der: new Uint8Array([1, 2]) },
    ]);
    const parsed = parseCertTable(table);
    expect(toHex(parsed.vcek!)).toBe(toHex(vcek));
    expect(Array.from(parsed.ark!)).toEqual([1, 2]);
    expect(parsed.ask).toBeUndefined();
    // The VCEK GUID is stored in the order it is written (63 da 75 8d …).
    expect(toHex(table.subarray(0, 4))).toBe('63da758d');
  });

  it('rejects entries pointing outside the table and a missing terminator', () => {
    const table = buildCertTable([{ kind: 'vcek', der: new Uint8Array(10) }]);
    const dv = new DataView(table.buffer);
    dv.setUint32(20, 1000, true);
    expect(() => parseCertTable(table)).toThrow(/outside/);
    const unterminated = new Uint8Array(24).fill(1, 0, 16);
    expect(() => parseCertTable(unterminated)).toThrow(/terminating/);
    expect(parseCertTable(new Uint8Array(24))).toEqual({});
  });
});
