/**
 * TCB_VERSION layouts per product, including the Turin example from go-sev-guest.
 */
import { describe, expect, it } from 'vitest';
import { decodeTcb, encodeTcb, formatTcb, tcbBelow } from './tcb.js';

const le64 = (n: bigint): Uint8Array => {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, n, true);
  return out;
};

describe('TCB_VERSION', () => {
  it('decodes Milan/Genoa layout (bl, tee, …, snp, ucode)', () => {
    expect(decodeTcb(le64(0x4405000000000002n), 'Milan')).toEqual({ bootloader: 2, tee: 0, snp: 5, microcode: 0x44 });
    expect(decodeTcb(le64(0x4405000000000002n), 'Genoa')).toEqual({ bootloader: 2, tee: 0, snp: 5, microcode: 0x44 });
  });

  it('decodes the Turin layout (fmc, bl, tee, snp, …, ucode), go-sev-guest example 0x5200000004010101', () => {
    expect(decodeTcb(le64(0x5200000004010101n), 'Turin')).toEqual({
      fmc: 1,
      bootloader: 1,
      tee: 1,
      snp: 4,
      microcode: 82,
    });
  });

  it('round-trips and formats', () => {
    const parts = { fmc: 1, bootloader: 1, tee: 1, snp: 4, microcode: 82 };
    expect(decodeTcb(encodeTcb(parts, 'Turin'), 'Turin')).toEqual(parts);
    expect(formatTcb(parts)).toBe('fmc=1 bl=1 tee=1 snp=4 ucode=82');
    expect(() => encodeTcb({ ...parts, snp: 256 }, 'Milan')).toThrow(RangeError);
    expect(() => decodeTcb(new Uint8Array(7), 'Milan')).toThrow(RangeError);
  });

  it('compares against a minimum', () => {
    const t = { bootloader: 2, tee: 0, snp: 5, microcode: 68 };
    expect(tcbBelow(t, { snp: 5, microcode: 68 })).toEqual([]);
    expect(tcbBelow(t, { snp: 8 })).toEqual(['snp 5 < 8']);
  });
});
