/**
 * vCPU models and the CPUID signature (Fn0000_0001_EAX) each reports. QEMU puts that signature
 * in RDX of every initial VMSA, so the vCPU model is part of a QEMU guest's launch digest.
 * The names are QEMU's (builtin_x86_defs); family, model and stepping are the facts behind them.
 */

/**
 * The 32-bit CPUID signature of `family`, `model`, `stepping` (AMD CPUID spec 25481, Fn0000_0001_EAX):
 * families above 0xf put 0xf in the base field and the rest in the extended family field.
 *
 * @example
 * cpuSignature(25, 1, 1).toString(16); // 'a00f11' (Milan)
 */
export function cpuSignature(family: number, model: number, stepping: number): number {
  const baseFamily = family > 0xf ? 0xf : family;
  const extFamily = family > 0xf ? (family - 0xf) & 0xff : 0;
  return (
    ((extFamily << 20) | (((model >> 4) & 0xf) << 16) | (baseFamily << 8) | ((model & 0xf) << 4) | (stepping & 0xf)) >>>
    0
  );
}

const NAPLES = cpuSignature(23, 1, 2);
const ROME = cpuSignature(23, 49, 0);
const MILAN = cpuSignature(25, 1, 1);
const GENOA = cpuSignature(25, 17, 0);
const TURIN = cpuSignature(26, 0, 0);

/** CPUID signature by QEMU vCPU model name. */
export const VCPU_SIGNATURES = Object.freeze({
  EPYC: NAPLES,
  'EPYC-v1': NAPLES,
  'EPYC-v2': NAPLES,
  'EPYC-IBPB': NAPLES,
  'EPYC-v3': NAPLES,
  'EPYC-v4': NAPLES,
  'EPYC-Rome': ROME,
  'EPYC-Rome-v1': ROME,
  'EPYC-Rome-v2': ROME,
  'EPYC-Rome-v3': ROME,
  'EPYC-Milan': MILAN,
  'EPYC-Milan-v1': MILAN,
  'EPYC-Milan-v2': MILAN,
  'EPYC-Genoa': GENOA,
  'EPYC-Genoa-v1': GENOA,
  'EPYC-Turin': TURIN,
});

/** The names `VCPU_SIGNATURES` knows. */
export type VcpuType = keyof typeof VCPU_SIGNATURES;
