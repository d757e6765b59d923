/**
 * @saferouter/attest, browser-safe entry: the AttestationBundle wire format, the report_data
 * binding (and the TLS key hash version 2 binds), the measurement, the pinned AMD roots, and the
 * verifiers for SEV-SNP reports and bundles (crypto from WebCrypto and @noble/* only; X.509
 * decoded by @peculiar/asn1-x509).
 * Node-only parts (keys on disk, backends, CLI) live at `@saferouter/attest/node`.
 */
export { toHex, fromHex, toBase64, fromBase64 } from './bytes.js';
export { canonicalJson } from './canonical-json.js';
export { computeMeasurement, MEASUREMENT_LENGTH, type MeasurementInput } from './measurement.js';
export {
  computeReportData,
  BINDING_DOMAIN,
  BINDING_DOMAIN_V2,
  NONCE_LENGTH,
  REPORT_DATA_LENGTH,
  TLS_SPKI_SHA256_LENGTH,
  type BindingInput,
} from './binding.js';
export { certificateSpkiSha256, spkiSha256 } from './x509/spki.js';
export { CHECK_IDS, firstFailure, type Backend, type Check, type CheckId } from './checks.js';
export { AttestationError } from './errors.js';
export { PRODUCTS, productFromCpuid, type Product, type SigningKeyKind } from './product.js';
export { AMD_ROOTS, type AmdProductRoots } from './amd-roots/index.js';
export {
  parseReport,
  tryParseReport,
  reportToJson,
  type SnpReport,
  type FirmwareVersion,
} from './report/parse-report.js';
export { REPORT_SIZE, SIGNED_LENGTH, SUPPORTED_VERSIONS, OFFSET as REPORT_OFFSET } from './report/layout.js';
export { decodeTcb, encodeTcb, formatTcb, type TcbParts } from './report/tcb.js';
export * from './mock-format.js';
export {
  AttestationBundleSchema,
  safeParseBundle,
  parseBundle,
  bundleToJson,
  bundleFromJson,
  type AttestationBundle,
  type BundleParseResult,
} from './bundle/schema.js';
export { verifyReport, assertReport, type VerifyReportOptions } from './verify/verify-report.js';
export { verifyBundle, assertBundle, type VerifyBundleOptions } from './verify/verify-bundle.js';
export { verdictToJson, type Verdict } from './verify/verdict.js';
export type { PolicyOptions } from './verify/policy-checks.js';
export type { CertificateList } from './verify/inputs.js';
export { derToPem, pemToDerList } from './x509/pem.js';
export * from './launch/index.js';
