/**
 * The initial VMSA (VM save area, AMD APM vol. 2 table B-4, as Linux's `sev_es_save_area`) of
 * each vCPU. Under SEV-SNP the VMM hands these pages to the PSP before launch, so every register
 * the VMM sets at reset is measured. QEMU, AWS EC2 and Google Compute Engine reset vCPUs slightly
 * differently; those differences are all in `RESET_STATE` below.
 */
import { PAGE_SIZE } from './gctx.js';

/** The VMMs whose reset state is known. */
export type Vmm = 'qemu' | 'ec2' | 'gce';

export const VMMS: readonly Vmm[] = ['qemu', 'ec2', 'gce'];

/** Where the boot vCPU starts: the x86 reset vector. */
export const BSP_RESET_EIP = 0xffff_fff0;

interface ResetState {
  /** CS attributes; EC2 marks CS not-accessed on the boot vCPU only. */
  csAttrib: (eip: number) => number;
  ssAttrib: number;
  trAttrib: number;
  gPat: bigint;
  /** RDX at reset: QEMU reports the CPUID signature there, the clouds a fixed 0x600. */
  rdx: (cpuSig: number) => number;
  mxcsr: number;
  x87Fcw: number;
}

// PAT MSR power-on value (APM vol. 2, A.3).
const DEFAULT_PAT = 0x0007_0406_0007_0406n;

const RESET_STATE: Record<Vmm, ResetState> = {
  qemu: {
    csAttrib: () => 0x9b,
    ssAttrib: 0x93,
    trAttrib: 0x8b,
    gPat: DEFAULT_PAT,
    rdx: (cpuSig) => cpuSig,
    mxcsr: 0x1f80,
    x87Fcw: 0x37f,
  },
  ec2: {
    csAttrib: (eip) => (eip === BSP_RESET_EIP ? 0x9a : 0x9b),
    ssAttrib: 0x92,
    trAttrib: 0x83,
    gPat: DEFAULT_PAT,
    rdx: () => 0x600,
    mxcsr: 0,
    x87Fcw: 0,
  },
  gce: {
    csAttrib: () => 0x9b,
    ssAttrib: 0x93,
    trAttrib: 0x8b,
    gPat: 0x0007_0106n,
    rdx: () => 0x600,
    mxcsr: 0,
    x87Fcw: 0,
  },
};

/** Byte offsets in the save area. */
const AT = {
  es: 0x00,
  cs: 0x10,
  ss: 0x20,
  ds: 0x30,
  fs: 0x40,
  gs: 0x50,
  gdtr: 0x60,
  ldtr: 0x70,
  idtr: 0x80,
  tr: 0x90,
  efer: 0xd0,
  cr4: 0x148,
  cr0: 0x158,
  dr7: 0x160,
  dr6: 0x168,
  rflags: 0x170,
  rip: 0x178,
  gPat: 0x268,
  rdx: 0x310,
  sevFeatures: 0x3b0,
  xcr0: 0x3e8,
  mxcsr: 0x408,
  x87Fcw: 0x410,
} as const;

export interface VmsaInput {
  vmm: Vmm;
  /** Where this vCPU starts: `BSP_RESET_EIP`, or the application processors' reset address. */
  eip: number;
  /** The CPUID signature (only QEMU measures it). */
  cpuSig: number;
  /** SEV_FEATURES, the guest features word (bit 0 = SNP active). */
  sevFeatures: bigint;
}

/**
 * One vCPU's initial VMSA page (4096 bytes).
 *
 * @example
 * const bsp = vmsaPage({ vmm: 'qemu', eip: BSP_RESET_EIP, cpuSig: VCPU_SIGNATURES['EPYC-v4'], sevFeatures: 1n });
 */
export function vmsaPage(input: VmsaInput): Uint8Array {
  const state = RESET_STATE[input.vmm];
  const page = new Uint8Array(PAGE_SIZE);
  const view = new DataView(page.buffer);
  const segment = (at: number, selector: number, attrib: number, base: number): void => {
    view.setUint16(at, selector, true);
    view.setUint16(at + 2, attrib, true);
    view.setUint32(at + 4, 0xffff, true); // real-mode limit
    view.setBigUint64(at + 8, BigInt(base), true);
  };
  const u64 = (at: number, value: bigint | number): void => view.setBigUint64(at, BigInt(value), true);

  // Real mode, as after RESET: CS:IP splits the start address between the CS base and RIP.
  segment(AT.es, 0, 0x93, 0);
  segment(AT.cs, 0xf000, state.csAttrib(input.eip), (input.eip & 0xffff_0000) >>> 0);
  segment(AT.ss, 0, state.ssAttrib, 0);
  segment(AT.ds, 0, 0x93, 0);
  segment(AT.fs, 0, 0x93, 0);
  segment(AT.gs, 0, 0x93, 0);
  segment(AT.gdtr, 0, 0, 0);
  segment(AT.ldtr, 0, 0x82, 0);
  segment(AT.idtr, 0, 0, 0);
  segment(AT.tr, 0, state.trAttrib, 0);
  u64(AT.efer, 0x1000); // EFER.SVME, which KVM sets
  u64(AT.cr4, 0x40); // CR4.MCE, which KVM sets
  u64(AT.cr0, 0x10);
  u64(AT.dr7, 0x400);
  u64(AT.dr6, 0xffff_0ff0);
  u64(AT.rflags, 0x2);
  u64(AT.rip, input.eip & 0xffff);
  u64(AT.gPat, state.gPat);
  u64(AT.rdx, state.rdx(input.cpuSig));
  u64(AT.sevFeatures, input.sevFeatures);
  u64(AT.xcr0, 0x1);
  view.setUint32(AT.mxcsr, state.mxcsr, true);
  view.setUint16(AT.x87Fcw, state.x87Fcw, true);
  return page;
}
