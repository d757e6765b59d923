/**
 * @saferouter/attest/node: the Node-only half. The identity on disk (sealed at rest), the sealer
 * (SEV-SNP derived key or the mock's DEMO secret), attested key release (one sealing key shared by
 * the replicas of a build, over a storage interface), the attestor that picks
 * the SEV-SNP (configfs-tsm, else the /dev/sev-guest ioctl) or mock backend, the guest device
 * (reports and derived keys, through koffi loaded on first use), the measurement for build
 * tooling, and the pieces the backends are made of (certificate table, KDS, mock CA) for tools and
 * tests.
 */
export {
  createAttestor,
  createHostSealer,
  DEFAULT_SEV_GUEST_PATH,
  type Attestor,
  type AttestorOptions,
  type HostSealerOptions,
} from './attestor.js';
export {
  loadOrCreateIdentity,
  attestDir,
  IDENTITY_SEAL_CONTEXTS,
  LEGACY_KEY_FILES,
  SIGNING_KEY_FILE,
  SEALING_KEY_FILE,
  type Identity,
  type IdentityOptions,
} from './identity.js';
export {
  createKeySealer,
  parseSealedBlob,
  sealedBlobToJson,
  MOCK_SEAL_SECRET_FILE,
  SEAL_SALT,
  SealedToOtherBuildError,
  UnsealError,
  type KeySealer,
  type KeySealerOptions,
  type SealBackend,
  type SealedBlob,
} from './sealing.js';
export { computeMeasurement, type MeasurementInput } from '../measurement.js';
export { createMockBackend, type MockBackend } from './mock-backend.js';
export {
  createSevSnpBackend,
  type ReportSource,
  type SevSnpBackend,
  type SevSnpBackendOptions,
} from './sev-snp-backend.js';
export { openSevGuest, sevGuestReportSource, type SevGuestDevice } from './sev-guest-device.js';
export {
  decodeDerivedKeyResponse,
  decodeGuestRequest,
  decodeReportResponse,
  encodeDerivedKeyRequest,
  encodeGuestRequest,
  encodeReportRequest,
  explainGuestError,
  firmwareStatusName,
  splitExitInfo2,
  GUEST_FIELD,
  ROOT_KEY,
  SEALING_FIELD_SELECT,
  SNP_GET_DERIVED_KEY,
  SNP_GET_REPORT,
  type DerivedKeyRequest,
  type GuestRequest,
  type RootKey,
} from './sev-guest-abi.js';
export type { Evidence, EvidenceBackend } from './backend.js';
export { requestTsmReport, DEFAULT_TSM_ROOT, SEV_GUEST_PROVIDER, type TsmReport } from './configfs-tsm.js';
export { parseCertTable, buildCertTable, CERT_TABLE_GUIDS, type CertTableKind } from './cert-table.js';
export { vcekUrl, getVcek, KDS_BASE_URL, type FetchLike, type VcekRequest } from './kds.js';
export { MOCK_ROOT_KEY_FILE, MOCK_ROOT_CERT_FILE } from './mock-ca.js';
export {
  assertTlsNames,
  loadOrCreateTlsKey,
  tlsKeyPath,
  SEALED_TLS_KEY_FILE,
  TLS_KEY_FILE,
  TLS_SEAL_CONTEXT,
  type TlsKey,
  type TlsKeyOptions,
} from './tls-key.js';
export {
  acquireDeploymentKey,
  defaultHolderLabel,
  ownPlatform,
  KeyReleaseError,
  DEFAULT_KEY_RELEASE_TIMEOUT_MS,
  DEPLOYMENT_KEY_FILE,
  DEPLOYMENT_SEAL_CONTEXT,
  type AcquireDeploymentKeyOptions,
  type DeploymentKey,
  type KeyReleaseAttestor,
  type KeyReleaseVerifyOptions,
} from './key-release.js';
export {
  createKeyReleaser,
  type KeyReleasePass,
  type KeyReleaser,
  type KeyReleaserOptions,
} from './key-release-holder.js';
export {
  keyGrantNonce,
  keyReleaseInfo,
  keyRequestNonce,
  platformOf,
  KEY_GRANT_DOMAIN,
  KEY_RELEASE_INFO,
  KEY_REQUEST_DOMAIN,
  MOCK_PLATFORM,
} from './key-release-wire.js';
export type {
  DeploymentKeyRow,
  KeyGrantRow,
  KeyHolderRow,
  KeyReleaseStorage,
  KeyRequestRow,
} from './key-release-storage.js';
export type { Log } from './secure-files.js';
