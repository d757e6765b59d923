/**
 * The launch digest an AMD SEV-SNP guest's report carries as MEASUREMENT, computed from the
 * sources: the OVMF image, the directly booted kernel, initrd and command line (when the firmware
 * measures them), the number and model of vCPUs, the VMM that launches it and the guest features.
 * It replays, page by page and in the VMM's order, the SNP_LAUNCH_UPDATE calls that QEMU (or EC2,
 * or GCE) makes, so a verifier can say which firmware and kernel a report speaks for without
 * trusting whoever ran the VM. Algorithm and vectors: virtee/sev-snp-measure.
 */
import { sha384 } from '@noble/hashes/sha2.js';
import { fromHex } from '../bytes.js';
import { launchError } from './fail.js';
import { isPageMultiple, LAUNCH_DIGEST_LENGTH, LaunchContext, PAGE_SIZE } from './gctx.js';
import { sevHashPage, type KernelBoot } from './kernel-hashes.js';
import { OVMF_GUID, parseOvmf, tableU32, type OvmfImage, type OvmfSection } from './ovmf.js';
import { VCPU_SIGNATURES, type VcpuType } from './vcpu-types.js';
import { BSP_RESET_EIP, VMMS, vmsaPage, type Vmm } from './vmsa.js';

export { LAUNCH_DIGEST_LENGTH };

/** The most vCPUs accepted; far above any SEV-SNP machine, low enough to bound the work. */
export const MAX_VCPUS = 4096;

const U64_MAX = (1n << 64n) - 1n;

export interface SnpLaunchDigestInput {
  /** The whole OVMF image as the VMM maps it (ending at 4 GiB). */
  ovmf: Uint8Array;
  /** The directly booted kernel (QEMU -kernel); needs an OVMF with an SNP_KERNEL_HASHES section. */
  kernel?: Uint8Array | undefined;
  /** The initrd (-initrd); only with `kernel`. Absent hashes like an empty file. */
  initrd?: Uint8Array | undefined;
  /** The kernel command line (-append); only with `kernel`. Absent hashes like ''. */
  append?: string | undefined;
  /** Number of vCPUs (one VMSA each). */
  vcpus: number;
  /** The QEMU vCPU model (a key of `VCPU_SIGNATURES`); required for 'qemu', unused by EC2 and GCE. */
  vcpuType?: string | undefined;
  /** Which VMM launches the guest: their reset states and page orders differ. */
  vmm: Vmm;
  /** SEV_FEATURES of the VMSAs (0x1 = SNP only; QEMU's default is 0x21, SNP + debug-swap, on newer kernels). */
  guestFeatures: bigint | number;
  /**
   * The digest of the OVMF pages alone (`snpOvmfHash`), 48 bytes or 96 hex characters: then
   * `ovmf` is read only for its footer table and metadata (it may be just the image's last pages).
   */
  ovmfHash?: Uint8Array | string | undefined;
}

/**
 * The SEV-SNP launch digest (48 bytes) of a guest started as `input` describes.
 *
 * @example
 * const digest = snpLaunchDigest({ ovmf, kernel, initrd, append: 'console=ttyS0', vcpus: 4,
 *   vcpuType: 'EPYC-Milan', vmm: 'qemu', guestFeatures: 0x1n });
 * bytesEqual(digest, report.measurement); // true when the report speaks for this launch
 * @throws {AttestationError} (check 'measurement') for any input the VMM would not launch or
 *   this code cannot measure: a bad OVMF image, a kernel under firmware that does not measure it,
 *   0 or too many vCPUs, an unknown vCPU model or VMM, guest features outside 64 bits.
 */
export function snpLaunchDigest(input: SnpLaunchDigestInput): Uint8Array {
  if (typeof input !== 'object' || input === null) throw launchError('input must be an object');
  const vmm = checkVmm(input.vmm);
  const vcpus = checkVcpus(input.vcpus);
  const cpuSig = checkVcpuType(input.vcpuType, vmm);
  const sevFeatures = checkGuestFeatures(input.guestFeatures);
  const boot = checkKernelBoot(input);
  const ovmfHash = input.ovmfHash === undefined ? undefined : checkOvmfHash(input.ovmfHash);
  const image = parseOvmf(input.ovmf);

  const hasHashesSection = image.sections.some((s) => s.type === 'SNP_KERNEL_HASHES');
  if (boot !== undefined && !hasHashesSection)
    throw launchError(
      "a kernel is given but the OVMF's SEV metadata has no SNP_KERNEL_HASHES section, so this firmware does not measure it",
    );
  const resetEip = tableU32(image, OVMF_GUID.sevEsResetBlock);
  if (resetEip === undefined)
    throw launchError(`ovmf has no SEV-ES reset block (footer entry ${OVMF_GUID.sevEsResetBlock})`);
  if (resetEip === 0 && vcpus > 1) throw launchError('ovmf gives no reset address for additional vCPUs');

  const ctx = new LaunchContext(ovmfHash);
  if (ovmfHash === undefined) ctx.normalPages(BigInt(image.gpa), image.data);
  for (const section of image.sections) measureSection(ctx, image, section, boot, vmm);
  // EC2 adds the CPUID page last, after all other metadata pages.
  if (vmm === 'ec2') for (const s of image.sections) if (s.type === 'CPUID') ctx.specialPage('cpuid', BigInt(s.gpa));

  const bsp = sha384(vmsaPage({ vmm, eip: BSP_RESET_EIP, cpuSig, sevFeatures }));
  const ap = vcpus > 1 ? sha384(vmsaPage({ vmm, eip: resetEip, cpuSig, sevFeatures })) : bsp;
  for (let i = 0; i < vcpus; i++) ctx.vmsaPage(i === 0 ? bsp : ap);
  return ctx.digest();
}

/**
 * The digest of the OVMF pages alone: the seed `snpLaunchDigest` accepts as `ovmfHash`, so the
 * (megabytes of) firmware need not be shipped to every verifier.
 *
 * @example
 * const ovmfHash = snpOvmfHash(readFileSync('OVMF.fd')); // publish this, keep the last page
 * @throws {AttestationError} when `ovmf` is not an OVMF image (whole pages, with a footer table).
 */
export function snpOvmfHash(ovmf: Uint8Array): Uint8Array {
  const image = parseOvmf(ovmf);
  const ctx = new LaunchContext();
  ctx.normalPages(BigInt(image.gpa), image.data);
  return ctx.digest();
}

function measureSection(
  ctx: LaunchContext,
  image: OvmfImage,
  section: OvmfSection,
  boot: KernelBoot | undefined,
  vmm: Vmm,
): void {
  const gpa = BigInt(section.gpa);
  const pages = (): number => {
    if (!isPageMultiple(section.size))
      throw launchError(`ovmf ${section.type} section at 0x${section.gpa.toString(16)} is not whole pages`);
    return section.size;
  };
  switch (section.type) {
    case 'SNP_SEC_MEM':
      // GCE leaves the SEC memory unmeasured rather than zero-filled.
      ctx.emptyPages(vmm === 'gce' ? 'unmeasured' : 'zero', gpa, pages());
      return;
    case 'SNP_SECRETS':
      ctx.specialPage('secrets', gpa);
      return;
    case 'CPUID':
      if (vmm !== 'ec2') ctx.specialPage('cpuid', gpa);
      return;
    case 'SNP_KERNEL_HASHES':
      if (boot === undefined) ctx.emptyPages('zero', gpa, pages());
      else ctx.normalPages(gpa, kernelHashesPage(image, section, boot));
      return;
    case 'SVSM_CAA':
      ctx.emptyPages('zero', gpa, pages());
      return;
  }
}

function kernelHashesPage(image: OvmfImage, section: OvmfSection, boot: KernelBoot): Uint8Array {
  const tableGpa = tableU32(image, OVMF_GUID.sevHashTable);
  if (tableGpa === undefined || tableGpa === 0)
    throw launchError(`ovmf has no SEV hash table address (footer entry ${OVMF_GUID.sevHashTable})`);
  if (section.size !== PAGE_SIZE)
    throw launchError(`ovmf SNP_KERNEL_HASHES section is ${section.size} bytes, not one page`);
  return sevHashPage(boot, tableGpa & (PAGE_SIZE - 1));
}

function checkVmm(vmm: unknown): Vmm {
  if (typeof vmm === 'string' && (VMMS as readonly string[]).includes(vmm)) return vmm as Vmm;
  throw launchError(`unknown vmm ${JSON.stringify(vmm)}: expected one of ${VMMS.join(', ')}`);
}

function checkVcpus(vcpus: unknown): number {
  if (typeof vcpus === 'number' && Number.isInteger(vcpus) && vcpus >= 1 && vcpus <= MAX_VCPUS) return vcpus;
  throw launchError(`vcpus must be an integer from 1 to ${MAX_VCPUS} (got ${String(vcpus)})`);
}

function checkVcpuType(vcpuType: unknown, vmm: Vmm): number {
  if (vcpuType === undefined) {
    // EC2 and GCE put a fixed value where QEMU puts the CPUID signature.
    if (vmm !== 'qemu') return 0;
    throw launchError("vcpuType is required for vmm 'qemu' (it sets the CPUID signature in each VMSA)");
  }
  if (typeof vcpuType === 'string' && Object.hasOwn(VCPU_SIGNATURES, vcpuType))
    return VCPU_SIGNATURES[vcpuType as VcpuType];
  throw launchError(
    `unknown vcpuType ${JSON.stringify(vcpuType)}: expected one of ${Object.keys(VCPU_SIGNATURES).join(', ')}`,
  );
}

function checkGuestFeatures(features: unknown): bigint {
  const value =
    typeof features === 'bigint'
      ? features
      : typeof features === 'number' && Number.isSafeInteger(features)
        ? BigInt(features)
        : undefined;
  if (value !== undefined && value >= 0n && value <= U64_MAX) return value;
  throw launchError(`guestFeatures must be an integer from 0 to 2^64-1 (got ${String(features)})`);
}

function checkKernelBoot(input: SnpLaunchDigestInput): KernelBoot | undefined {
  const { kernel, initrd, append } = input;
  if (kernel === undefined) {
    if (initrd !== undefined || append !== undefined)
      throw launchError('initrd and append are measured only with a kernel; give kernel too');
    return undefined;
  }
  if (!(kernel instanceof Uint8Array)) throw launchError('kernel must be a Uint8Array');
  if (initrd !== undefined && !(initrd instanceof Uint8Array)) throw launchError('initrd must be a Uint8Array');
  if (append !== undefined && typeof append !== 'string') throw launchError('append must be a string');
  if (append?.includes('\0')) throw launchError('append must not contain NUL');
  return { kernel, initrd, append };
}

function checkOvmfHash(hash: unknown): Uint8Array {
  let bytes: Uint8Array | undefined;
  if (hash instanceof Uint8Array) bytes = hash;
  else if (typeof hash === 'string') {
    try {
      bytes = fromHex(hash.toLowerCase(), 'ovmfHash');
    } catch {
      bytes = undefined;
    }
  }
  if (bytes?.length === LAUNCH_DIGEST_LENGTH) return bytes;
  throw launchError(`ovmfHash must be ${LAUNCH_DIGEST_LENGTH} bytes or ${LAUNCH_DIGEST_LENGTH * 2} hex characters`);
}
