/**
 * How a mock (demo) report differs from an AMD one. The layout is the SEV-SNP one so the same
 * parser and most checks run; these constants mark it as mock evidence so it can never pass as
 * hardware evidence.
 *
 * - SIGNATURE_ALGO (0x34) = 0x0ED25519, a value AMD firmware never writes (AMD defines only 1).
 * - The signature area (0x2A0) holds a 64-byte Ed25519 signature (R ‖ S, RFC 8032 encoding) over
 *   bytes 0x000–0x29F by the mock leaf key; the remaining 448 bytes are zero.
 * - MEASUREMENT (0x90, 48 bytes) = the 32-byte SafeRouter measurement followed by 16 zero bytes.
 * - REPORTED_TCB / CURRENT_TCB / COMMITTED_TCB / LAUNCH_TCB are all zero; CHIP_ID is
 *   SHA-512("saferouter-mock-chip" ‖ 0x00 ‖ mock root public key); POLICY = 0x30000 (SMT allowed,
 *   reserved bit 17 set, debug off); VMPL 0; SIGNING_KEY 0 (the leaf plays the VCEK role).
 */

export const MOCK_SIGNATURE_ALGO = 0x0ed25519;
export const MOCK_REPORT_VERSION = 2;
export const MOCK_POLICY = 0x30000n;
export const MOCK_CHIP_DOMAIN = 'saferouter-mock-chip';
/** Common names the mock CA uses; verifiers and UIs can show them as they are. */
export const MOCK_ROOT_NAME = 'SafeRouter MOCK root (no hardware)';
export const MOCK_INTERMEDIATE_NAME = 'SafeRouter MOCK intermediate (no hardware)';
export const MOCK_LEAF_NAME = 'SafeRouter MOCK leaf (no hardware)';
export const MOCK_PRODUCT_NAME = 'SafeRouter-Mock';
