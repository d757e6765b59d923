/**
 * @saferouter/verify: check a SafeRouter gateway end to end, in a browser or in Node, from the
 * gateway's own public endpoints only. Composes @saferouter/attest (the hardware report and its
 * binding), @saferouter/tlog (the transparency logs) and @saferouter/audit (startup records,
 * receipts, audit samples), and BYOK: a provider key sealed to the verified build
 * (`sealProviderKey`, `uploadProviderKey`; the HPKE info both sides use is `byokInfo`, also at
 * `@saferouter/verify/byok-info`). No Node built-ins here; the state file and the CLI are at
 * `@saferouter/verify/node`.
 *
 * @example
 * import { verifyGateway, localStorageState } from '@saferouter/verify';
 * const result = await verifyGateway('https://router.example.com', { state: localStorageState() });
 * console.log(result.verdict); // 'verified' | 'demo' | 'failed'
 */
export {
  CHECK_IDS,
  CHECK_TEXT,
  type CheckId,
  type CheckStatus,
  type GatewayVerification,
  type SubCheck,
  type Verdict,
  type VerifyCheck,
} from './checks.js';
export { VerifyError } from './errors.js';
export type { TlsPeerCertificates, VerifyGatewayOptions } from './options.js';
export { bytesBeforeReceipt } from './receipt-check.js';
export {
  localStorageState,
  memoryState,
  stateKey,
  type LogKind,
  type RememberedLog,
  type StateStore,
} from './state.js';
export { assertGateway, verifyGateway } from './verify-gateway.js';
export { createSecureFetch, type SecureFetchOptions } from './secure-fetch.js';
export {
  byokUploadBody,
  sealProviderKey,
  uploadProviderKey,
  type ByokUploadBody,
  type SealedProviderKey,
  type SealProviderKeyOptions,
  type UploadedProviderKey,
  type UploadProviderKeyOptions,
} from './byok.js';
export {
  assertProvider,
  BYOK_INFO_LABEL,
  BYOK_KEY_ID,
  BYOK_MEASUREMENT_LENGTH,
  BYOK_PROVIDER,
  byokInfo,
  MAX_PROVIDER_KEY_BYTES,
} from './byok-info.js';
export { HttpStatusError, UnreachableError } from './http.js';
