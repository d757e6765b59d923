/**
 * Byte offsets of the SEV-SNP ATTESTATION_REPORT (AMD SEV-SNP ABI spec 56860, "ATTESTATION_REPORT
 * Structure"), all little-endian. One table, shared by the parser, the mock writer and the docs.
 */

export const REPORT_SIZE = 0x4a0; // 1184
/** The signature covers bytes [0, SIGNED_LENGTH). */
export const SIGNED_LENGTH = 0x2a0;
export const SUPPORTED_VERSIONS: readonly number[] = [2, 3, 5];

export const OFFSET = {
  version: 0x000, // u32
  guestSvn: 0x004, // u32
  policy: 0x008, // u64
  familyId: 0x010, // 16
  imageId: 0x020, // 16
  vmpl: 0x030, // u32
  signatureAlgo: 0x034, // u32
  currentTcb: 0x038, // 8
  platformInfo: 0x040, // u64
  signerInfo: 0x048, // u32: bit 0 AUTHOR_KEY_EN, bit 1 MASK_CHIP_KEY, bits 4:2 SIGNING_KEY
  reportData: 0x050, // 64
  measurement: 0x090, // 48
  hostData: 0x0c0, // 32
  idKeyDigest: 0x0e0, // 48
  authorKeyDigest: 0x110, // 48
  reportId: 0x140, // 32
  reportIdMa: 0x160, // 32
  reportedTcb: 0x180, // 8
  cpuidFamId: 0x188, // u8, version ≥ 3
  cpuidModId: 0x189, // u8, version ≥ 3
  cpuidStep: 0x18a, // u8, version ≥ 3
  chipId: 0x1a0, // 64
  committedTcb: 0x1e0, // 8
  currentBuild: 0x1e8, // u8
  currentMinor: 0x1e9, // u8
  currentMajor: 0x1ea, // u8
  committedBuild: 0x1ec, // u8
  committedMinor: 0x1ed, // u8
  committedMajor: 0x1ee, // u8
  launchTcb: 0x1f0, // 8
  launchMitVector: 0x1f8, // u64, version ≥ 5
  currentMitVector: 0x200, // u64, version ≥ 5
  signatureR: 0x2a0, // 72, little-endian, low 48 bytes significant
  signatureS: 0x2e8, // 72, little-endian, low 48 bytes significant
} as const;

export const SIGNATURE_COMPONENT_LENGTH = 72;
/** SIGNATURE_ALGO value for ECDSA P-384 with SHA-384 (the only one AMD defines). */
export const SIGNATURE_ALGO_ECDSA_P384_SHA384 = 1;
/** POLICY bit 19: the guest may be debugged (its memory read by the host). */
export const POLICY_DEBUG_BIT = 19n;
export const POLICY_SMT_BIT = 16n;
export const POLICY_MIGRATE_MA_BIT = 18n;
export const POLICY_SINGLE_SOCKET_BIT = 20n;
/** SIGNING_KEY (signer_info bits 4:2) values. */
export const SIGNING_KEY_VCEK = 0;
export const SIGNING_KEY_VLEK = 1;
export const SIGNING_KEY_NONE = 7;
