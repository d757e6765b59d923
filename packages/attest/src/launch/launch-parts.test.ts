/**
 * The pieces under the launch digest, checked against their own definitions: GUID byte order,
 * the SEV hash table QEMU writes, the VMSA fields each VMM sets, CPUID signatures, and what the
 * OVMF parser reads from the vector firmware (and refuses when it is corrupted).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { toHex, utf8 } from '../bytes.js';
import { AttestationError } from '../errors.js';
import { launchVectorFile } from '../testing/vectors.js';
import { guidBytes, guidText } from './guid.js';
import { SEV_HASH_GUID, sevHashPage, sevHashTable } from './kernel-hashes.js';
import { OVMF_GUID, parseOvmf, tableU32 } from './ovmf.js';
import { cpuSignature, VCPU_SIGNATURES } from './vcpu-types.js';
import { BSP_RESET_EIP, vmsaPage } from './vmsa.js';

const le = (bytes: Uint8Array) => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

describe('GUIDs', () => {
  it('store the first three fields little-endian and round-trip', () => {
    const bytes = guidBytes('00112233-4455-6677-8899-aabbccddeeff');
    expect(toHex(bytes)).toBe('33221100554477668899aabbccddeeff');
    for (const guid of Object.values(OVMF_GUID)) expect(guidText(guidBytes(guid))).toBe(guid);
    expect(() => guidBytes('not-a-guid')).toThrow(RangeError);
  });
});

describe('SEV hash table', () => {
  const kernel = utf8('kernel bytes');
  const initrd = utf8('initrd bytes');
  const table = sevHashTable({ kernel, initrd, append: 'console=ttyS0 é' });

  it('is header + cmdline, initrd, kernel entries (GUID, length, SHA-256), padded to 16 bytes', () => {
    const view = le(table);
    expect(table.length % 16).toBe(0);
    expect(guidText(table, 0)).toBe(SEV_HASH_GUID.table);
    const length = view.getUint16(16, true);
    expect(length).toBe(18 + 3 * 50);
    expect(table.length - length).toBeLessThan(16);
    expect(table.subarray(length).every((b) => b === 0)).toBe(true);
    const want: [string, Uint8Array][] = [
      [SEV_HASH_GUID.cmdline, sha256(utf8('console=ttyS0 é\0'))],
      [SEV_HASH_GUID.initrd, sha256(initrd)],
      [SEV_HASH_GUID.kernel, sha256(kernel)],
    ];
    want.forEach(([guid, hash], i) => {
      const at = 18 + 50 * i;
      expect(guidText(table, at)).toBe(guid);
      expect(view.getUint16(at + 16, true)).toBe(50);
      expect(toHex(table.subarray(at + 18, at + 50))).toBe(toHex(hash));
    });
  });

  it('hashes a missing initrd as empty and a missing command line as a lone NUL', () => {
    const bare = sevHashTable({ kernel });
    expect(toHex(bare.subarray(18 + 18, 18 + 50))).toBe(toHex(sha256(new Uint8Array([0]))));
    expect(toHex(bare.subarray(68 + 18, 68 + 50))).toBe(toHex(sha256(new Uint8Array(0))));
  });

  it('sits at its offset in an otherwise zero page, and must fit in it', () => {
    const page = sevHashPage({ kernel }, 0xc00);
    expect(page.length).toBe(4096);
    expect(toHex(page.subarray(0xc00, 0xc00 + table.length))).toBe(toHex(sevHashTable({ kernel })));
    expect(page.subarray(0, 0xc00).every((b) => b === 0)).toBe(true);
    expect(page.subarray(0xc00 + table.length).every((b) => b === 0)).toBe(true);
    expect(() => sevHashPage({ kernel }, 4096 - 16)).toThrow(AttestationError);
  });
});

describe('CPUID signatures', () => {
  // Decoding per AMD CPUID spec 25481: family = base + extended (when base is 0xf), model = ext:base.
  const decode = (sig: number) => {
    const base = (sig >> 8) & 0xf;
    return {
      family: base === 0xf ? base + ((sig >> 20) & 0xff) : base,
      model: (((sig >> 16) & 0xf) << 4) | ((sig >> 4) & 0xf),
      stepping: sig & 0xf,
    };
  };

  it('encode family, model and stepping reversibly', () => {
    for (const [family, model, stepping] of [
      [23, 1, 2],
      [23, 49, 0],
      [25, 1, 1],
      [25, 17, 0],
      [26, 0, 0],
      [6, 0x55, 7],
    ] as const) {
      expect(decode(cpuSignature(family, model, stepping))).toEqual({ family, model, stepping });
    }
  });

  it('give every model of one generation the same signature', () => {
    const families = new Map<string, number>();
    for (const [name, sig] of Object.entries(VCPU_SIGNATURES)) {
      const generation = name.replace(/-(v\d|IBPB)$/, '');
      expect(families.get(generation) ?? sig).toBe(sig);
      families.set(generation, sig);
    }
    expect([...families.keys()]).toEqual(['EPYC', 'EPYC-Rome', 'EPYC-Milan', 'EPYC-Genoa', 'EPYC-Turin']);
    expect(decode(VCPU_SIGNATURES['EPYC-Milan']).family).toBe(0x19);
  });
});

describe('VMSA', () => {
  const input = { eip: BSP_RESET_EIP, cpuSig: VCPU_SIGNATURES['EPYC-Genoa'], sevFeatures: 0x21n };

  it('puts SEV_FEATURES, RDX and the reset address where the save area has them', () => {
    const view = le(vmsaPage({ ...input, vmm: 'qemu' }));
    expect(view.getBigUint64(0x3b0, true)).toBe(0x21n);
    expect(view.getBigUint64(0x310, true)).toBe(BigInt(input.cpuSig));
    expect(view.getBigUint64(0x178, true)).toBe(0xfff0n); // RIP
    expect(view.getBigUint64(0x18, true)).toBe(0xffff0000n); // CS base
    expect(view.getUint16(0x10, true)).toBe(0xf000); // CS selector
  });

  it('differs per VMM only where their reset states differ', () => {
    const qemu = vmsaPage({ ...input, vmm: 'qemu' });
    // Offsets of the 8-byte words that differ from QEMU's page.
    const differing = (other: Uint8Array) =>
      [...Array(512).keys()].map((i) => i * 8).filter((at) => le(other).getBigUint64(at) !== le(qemu).getBigUint64(at));
    // EC2: CS (boot vCPU), SS and TR attributes, RDX, MXCSR, x87 FCW.
    expect(differing(vmsaPage({ ...input, vmm: 'ec2' }))).toEqual([0x10, 0x20, 0x90, 0x310, 0x408, 0x410]);
    // GCE: G_PAT, RDX, MXCSR, x87 FCW.
    expect(differing(vmsaPage({ ...input, vmm: 'gce' }))).toEqual([0x268, 0x310, 0x408, 0x410]);
    const ap = vmsaPage({ ...input, vmm: 'ec2', eip: 0x80b004 });
    expect(le(ap).getUint16(0x12, true)).toBe(0x9b);
  });
});

describe('OVMF parsing', () => {
  const amdSev = parseOvmf(launchVectorFile('ovmf_AmdSev_suffix.bin'));
  const x64 = parseOvmf(launchVectorFile('ovmf_OvmfX64_suffix.bin'));

  it('maps the image to end at 4 GiB and reads its table and metadata', () => {
    expect(amdSev.gpa + amdSev.data.length).toBe(2 ** 32);
    expect(tableU32(amdSev, OVMF_GUID.sevEsResetBlock)).toBeGreaterThan(0);
    expect(amdSev.sections.map((s) => s.type)).toContain('SNP_KERNEL_HASHES');
    expect(x64.sections.map((s) => s.type)).not.toContain('SNP_KERNEL_HASHES');
    expect(x64.sections.length).toBeGreaterThan(0);
    const hashes = amdSev.sections.find((s) => s.type === 'SNP_KERNEL_HASHES');
    const tableGpa = tableU32(amdSev, OVMF_GUID.sevHashTable) ?? 0;
    expect(tableGpa - (tableGpa % 4096)).toBe(hashes?.gpa);
  });

  it('refuses a corrupted metadata header or footer entry', () => {
    const image = launchVectorFile('ovmf_AmdSev_suffix.bin');
    const metadataAt = image.length - (tableU32(amdSev, OVMF_GUID.sevMetadata) ?? 0);
    const badSignature = image.slice();
    badSignature[metadataAt] = 0x42; // 'ASEV' → 'BSEV'
    expect(() => parseOvmf(badSignature)).toThrow(/signature 'BSEV', not 'ASEV'/);
    const badVersion = image.slice();
    badVersion[metadataAt + 8] = 2;
    expect(() => parseOvmf(badVersion)).toThrow(/SEV metadata version 2 is not supported/);
    const badEntry = image.slice();
    badEntry[image.length - 50 - 18] = 1; // the last entry's size below its own trailer
    badEntry[image.length - 50 - 17] = 0;
    expect(() => parseOvmf(badEntry)).toThrow(/footer table entry at offset \d+ has a bad size \(1\)/);
  });
});
