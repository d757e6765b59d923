/**
 * Every sev-snp-measure vector (the failing one included), then what must change the digest and
 * what must be refused. Expected digests come only from the shared vectors.
 */
import { describe, expect, it } from 'vitest';
import { toHex } from '../bytes.js';
import { AttestationError } from '../errors.js';
import { launchDigestVectors, launchVectorFile, type LaunchDigestCase } from '../testing/vectors.js';
import { snpLaunchDigest, snpOvmfHash, type SnpLaunchDigestInput } from './launch-digest.js';
import { OVMF_GUID, parseOvmf } from './ovmf.js';

const { cases, ovmfHashes } = launchDigestVectors();

function inputOf(c: LaunchDigestCase): SnpLaunchDigestInput {
  return {
    ovmf: launchVectorFile(c.ovmf),
    ...(c.kernel === null ? {} : { kernel: launchVectorFile(c.kernel) }),
    ...(c.initrd === null ? {} : { initrd: launchVectorFile(c.initrd) }),
    ...(c.append === null ? {} : { append: c.append }),
    vcpus: c.vcpus,
    ...(c.vcpuType === null ? {} : { vcpuType: c.vcpuType }),
    vmm: c.vmm,
    guestFeatures: c.guestFeatures,
    ...(c.ovmfHash === undefined ? {} : { ovmfHash: c.ovmfHash }),
  };
}

function thrown(fn: () => unknown): AttestationError {
  try {
    fn();
  } catch (error) {
    if (AttestationError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected an AttestationError');
}

const base = (over: Partial<SnpLaunchDigestInput> = {}): SnpLaunchDigestInput => ({
  ovmf: launchVectorFile('ovmf_AmdSev_suffix.bin'),
  kernel: new Uint8Array(0),
  initrd: new Uint8Array(0),
  append: '',
  vcpus: 1,
  vcpuType: 'EPYC-v4',
  vmm: 'qemu',
  guestFeatures: 0x21,
  ...over,
});
const digestHex = (over: Partial<SnpLaunchDigestInput> = {}): string => toHex(snpLaunchDigest(base(over)));

describe('snpLaunchDigest: sev-snp-measure vectors', () => {
  it('has the vectors (7 cases, one failing)', () => {
    expect(cases.length).toBe(7);
    expect(cases.filter((c) => c.error !== undefined).length).toBe(1);
  });

  for (const c of cases) {
    it(c.name, () => {
      if (c.error !== undefined) {
        const error = thrown(() => snpLaunchDigest(inputOf(c)));
        expect(error.check).toBe('measurement');
        expect(c.error).toMatch(/SNP_KERNEL_HASHES/);
        expect(error.message).toMatch(/kernel is given but .*no SNP_KERNEL_HASHES section/);
        return;
      }
      const digest = snpLaunchDigest(inputOf(c));
      expect(digest.length).toBe(48);
      expect(toHex(digest)).toBe(c.launchDigest);
    });
  }

  it('computes the published OVMF hash, and seeding with it equals hashing the firmware', () => {
    expect(Object.keys(ovmfHashes).length).toBeGreaterThan(0);
    for (const [file, hash] of Object.entries(ovmfHashes)) {
      const ovmf = launchVectorFile(file);
      expect(toHex(snpOvmfHash(ovmf))).toBe(hash);
      const seeded = { ovmf, vcpus: 2, vcpuType: 'EPYC-Milan', vmm: 'qemu', guestFeatures: 1n } as const;
      expect(toHex(snpLaunchDigest({ ...seeded, ovmfHash: hash.toUpperCase() }))).toBe(toHex(snpLaunchDigest(seeded)));
      expect(toHex(snpLaunchDigest({ ...seeded, ovmfHash: snpOvmfHash(ovmf) }))).toBe(toHex(snpLaunchDigest(seeded)));
    }
  });
});

describe('snpLaunchDigest: what it covers', () => {
  const reference = digestHex();

  it('is deterministic and takes number or bigint guest features alike', () => {
    expect(digestHex()).toBe(reference);
    expect(digestHex({ guestFeatures: 0x21n })).toBe(reference);
  });

  it('changes with vCPU count, every added vCPU', () => {
    const seen = new Set([reference]);
    for (const vcpus of [2, 3, 4]) seen.add(digestHex({ vcpus }));
    expect(seen.size).toBe(4);
  });

  it('changes with guest features, command line, kernel and initrd', () => {
    const variants = [
      digestHex({ guestFeatures: 0x1 }),
      digestHex({ guestFeatures: 1n << 63n }),
      digestHex({ append: 'console=ttyS0' }),
      digestHex({ append: 'console=ttyS1' }),
      digestHex({ kernel: new Uint8Array([1]) }),
      digestHex({ initrd: new Uint8Array([1]) }),
      digestHex({ kernel: undefined, initrd: undefined, append: undefined }),
    ];
    expect(new Set([reference, ...variants]).size).toBe(variants.length + 1);
  });

  it('treats a missing initrd as empty and a missing command line as empty', () => {
    expect(digestHex({ initrd: undefined })).toBe(reference);
    expect(digestHex({ append: undefined })).toBe(reference);
  });

  it('measures the vCPU model under QEMU only', () => {
    expect(digestHex({ vcpuType: 'EPYC-Milan' })).not.toBe(reference);
    expect(digestHex({ vcpuType: 'EPYC-v1' })).toBe(reference); // same signature as EPYC-v4
    for (const vmm of ['ec2', 'gce'] as const) {
      expect(digestHex({ vmm, vcpuType: 'EPYC-Milan' })).toBe(digestHex({ vmm, vcpuType: undefined }));
    }
  });

  it('differs between VMMs', () => {
    const all = (['qemu', 'ec2', 'gce'] as const).map((vmm) => digestHex({ vmm }));
    expect(new Set(all).size).toBe(3);
  });

  it('depends on every page of the firmware unless a hash is given', () => {
    const ovmf = launchVectorFile('ovmf_AmdSev_suffix.bin');
    const changed = ovmf.slice();
    changed[0] = (changed[0] ?? 0) ^ 1;
    expect(digestHex({ ovmf: changed })).not.toBe(reference);
    const hash = snpOvmfHash(ovmf);
    expect(digestHex({ ovmf: changed, ovmfHash: hash })).toBe(digestHex({ ovmfHash: hash }));
    expect(digestHex({ ovmfHash: hash })).toBe(reference);
  });

  it('refuses a command line holding a NUL (QEMU would cut it there)', () => {
    expect(thrown(() => snpLaunchDigest(base({ append: 'a\0' }))).message).toMatch(/append must not contain NUL/);
  });
});

describe('snpLaunchDigest: refused inputs', () => {
  const cases: [string, Partial<SnpLaunchDigestInput>, RegExp][] = [
    ['0 vCPUs', { vcpus: 0 }, /vcpus must be an integer from 1 to 4096 \(got 0\)/],
    ['fractional vCPUs', { vcpus: 1.5 }, /vcpus must be an integer/],
    ['too many vCPUs', { vcpus: 4097 }, /vcpus must be an integer/],
    ['an unknown vCPU model', { vcpuType: 'EPYC-Zen9' }, /unknown vcpuType "EPYC-Zen9": expected one of EPYC, /],
    ['an unknown model even where unused', { vmm: 'gce', vcpuType: 'epyc' }, /unknown vcpuType "epyc"/],
    ['no vCPU model under QEMU', { vcpuType: undefined }, /vcpuType is required for vmm 'qemu'/],
    ['an unknown VMM', { vmm: 'kvm' as 'qemu' }, /unknown vmm "kvm": expected one of qemu, ec2, gce/],
    ['negative guest features', { guestFeatures: -1 }, /guestFeatures must be an integer from 0 to 2\^64-1/],
    ['guest features past 64 bits', { guestFeatures: 1n << 64n }, /guestFeatures must be an integer/],
    ['unsafe-integer guest features', { guestFeatures: 2 ** 60 }, /guestFeatures must be an integer/],
    ['an OVMF image of part of a page', { ovmf: new Uint8Array(4095) }, /ovmf must be whole 4096-byte pages .*4095/],
    ['an empty OVMF image', { ovmf: new Uint8Array(0) }, /ovmf must be whole 4096-byte pages/],
    ['an OVMF image without a footer table', { ovmf: new Uint8Array(8192) }, /ovmf has no footer table/],
    ['a command line without a kernel', { kernel: undefined, initrd: undefined }, /only with a kernel/],
    ['an initrd without a kernel', { kernel: undefined, append: undefined }, /only with a kernel/],
    ['a short OVMF hash', { ovmfHash: new Uint8Array(32) }, /ovmfHash must be 48 bytes or 96 hex characters/],
    ['a non-hex OVMF hash', { ovmfHash: 'zz'.repeat(48) }, /ovmfHash must be 48 bytes/],
  ];
  for (const [what, over, message] of cases) {
    it(`refuses ${what}`, () => {
      const error = thrown(() => snpLaunchDigest(base(over)));
      expect(error.check).toBe('measurement');
      expect(error.message).toMatch(message);
    });
  }

  it('refuses a non-object input', () => {
    expect(thrown(() => snpLaunchDigest(null as unknown as SnpLaunchDigestInput)).message).toMatch(
      /input must be an object/,
    );
  });

  it('refuses several vCPUs when the firmware gives no reset address for them', () => {
    // Zero the reset block's address in a copy (table entries are views into the image).
    const image = launchVectorFile('ovmf_AmdSev_suffix.bin').slice();
    const entry = parseOvmf(image).table.get(OVMF_GUID.sevEsResetBlock);
    expect(entry?.length).toBeGreaterThanOrEqual(4);
    entry?.fill(0, 0, 4);
    expect(() => snpLaunchDigest(base({ ovmf: image, vcpus: 1 }))).not.toThrow();
    expect(thrown(() => snpLaunchDigest(base({ ovmf: image, vcpus: 2 }))).message).toMatch(
      /no reset address for additional vCPUs/,
    );
  });
});
