/**
 * The SEV-SNP launch digest as the AMD secure processor builds it during SNP_LAUNCH_UPDATE: each
 * page added to the guest extends a SHA-384 chain through a PAGE_INFO record (SEV-SNP ABI spec
 * 56860, "PAGE_INFO"), so the final value depends on every page, its type, its address and the
 * order of the updates.
 */
import { sha384 } from '@noble/hashes/sha2.js';

/** Length of the launch digest (and of each PAGE_INFO contents field): SHA-384. */
export const LAUNCH_DIGEST_LENGTH = 48;

const PAGE_SIZE = 4096;
const PAGE_INFO_LENGTH = 0x70;

/** PAGE_TYPE values of SNP_LAUNCH_UPDATE. */
export const PAGE_TYPE = {
  normal: 0x01,
  vmsa: 0x02,
  zero: 0x03,
  unmeasured: 0x04,
  secrets: 0x05,
  cpuid: 0x06,
} as const;

export type PageType = keyof typeof PAGE_TYPE;

/**
 * Where the firmware records VMSA pages: GPA -1, page aligned and cut to the 52-bit physical
 * address space the RMP keeps.
 */
const VMSA_GPA = 0xffff_ffff_f000n;

const ZERO_CONTENTS = new Uint8Array(LAUNCH_DIGEST_LENGTH);

/** The running digest of one guest launch. */
export class LaunchContext {
  #digest: Uint8Array;

  /** Starts from `seed` (48 zero bytes for a fresh launch, or a precomputed OVMF digest). */
  constructor(seed: Uint8Array = ZERO_CONTENTS) {
    this.#digest = seed.slice();
  }

  /** The digest so far (a copy). */
  digest(): Uint8Array {
    return this.#digest.slice();
  }

  /** Measures `data` (whole pages) loaded at `gpa`. */
  normalPages(gpa: bigint, data: Uint8Array): void {
    for (let offset = 0; offset < data.length; offset += PAGE_SIZE) {
      this.#extend('normal', gpa + BigInt(offset), sha384(data.subarray(offset, offset + PAGE_SIZE)));
    }
  }

  /** Records `length` bytes at `gpa` of a page type whose contents are not hashed (zero, unmeasured). */
  emptyPages(type: 'zero' | 'unmeasured', gpa: bigint, length: number): void {
    for (let offset = 0; offset < length; offset += PAGE_SIZE) this.#extend(type, gpa + BigInt(offset), ZERO_CONTENTS);
  }

  /** Records the secrets or CPUID page at `gpa` (their contents are the PSP's, not measured). */
  specialPage(type: 'secrets' | 'cpuid', gpa: bigint): void {
    this.#extend(type, gpa, ZERO_CONTENTS);
  }

  /** Measures one vCPU's VMSA, given the SHA-384 of its page. */
  vmsaPage(pageHash: Uint8Array): void {
    this.#extend('vmsa', VMSA_GPA, pageHash);
  }

  #extend(type: PageType, gpa: bigint, contents: Uint8Array): void {
    // PAGE_INFO: DIGEST_CUR ‖ CONTENTS ‖ LENGTH u16 ‖ PAGE_TYPE u8 ‖ IMI_PAGE u8 ‖
    // VMPL3/2/1_PERMS u8 ×3 ‖ reserved u8 ‖ GPA u64; the IMI flag and VMPL permissions stay 0.
    const info = new Uint8Array(PAGE_INFO_LENGTH);
    const view = new DataView(info.buffer);
    info.set(this.#digest, 0);
    info.set(contents, LAUNCH_DIGEST_LENGTH);
    view.setUint16(0x60, PAGE_INFO_LENGTH, true);
    info[0x62] = PAGE_TYPE[type];
    view.setBigUint64(0x68, gpa, true);
    this.#digest = sha384(info);
  }
}

/** Whole pages in `length` bytes. */
export function isPageMultiple(length: number): boolean {
  return length % PAGE_SIZE === 0;
}

export { PAGE_SIZE };
