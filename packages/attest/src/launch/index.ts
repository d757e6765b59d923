/**
 * SEV-SNP launch digests computed from sources (browser-safe): `snpLaunchDigest` and the pieces a
 * caller may want to show or pin (vCPU signatures, the OVMF hash, the parsed firmware).
 */
export {
  snpLaunchDigest,
  snpOvmfHash,
  LAUNCH_DIGEST_LENGTH,
  MAX_VCPUS,
  type SnpLaunchDigestInput,
} from './launch-digest.js';
export { VCPU_SIGNATURES, cpuSignature, type VcpuType } from './vcpu-types.js';
export { VMMS, type Vmm } from './vmsa.js';
export { parseOvmf, OVMF_GUID, SECTION_TYPE, type OvmfImage, type OvmfSection, type SectionTypeName } from './ovmf.js';
export { sevHashTable, SEV_HASH_GUID, type KernelBoot } from './kernel-hashes.js';
export { PAGE_TYPE, type PageType } from './gctx.js';
