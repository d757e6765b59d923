/**
 * @saferouter/audit, browser-safe entry: verifying receipts (compact JWS signed by the attested
 * key), the audit log's entry format and commitments, verifying a holder's audit sample against
 * the public log, the startup record format, and a reader over a stored tiled log. Crypto is
 * @noble/* only. Issuing receipts, sampling and writing the logs live at `@saferouter/audit/node`.
 */
export { AuditError, type AuditErrorCode } from './errors.js';
export type { Check, CheckStatus, Verification } from './checks.js';
export { decodeBase64Url, encodeBase64Url } from './encoding.js';

export {
  COST_USD,
  MAX_RECEIPT_LENGTH,
  RECEIPT_ALG,
  RECEIPT_KEY_SOURCES,
  RECEIPT_TYP,
  RECEIPT_VERSION,
  ReceiptPayloadSchema,
  safeParseReceiptPayload,
  type ReceiptAttempt,
  type ReceiptHeader,
  type ReceiptKeySource,
  type ReceiptPayload,
  type ReceiptUsage,
} from './receipt/receipt-format.js';
export {
  assertReceipt,
  RECEIPT_CHECK_IDS,
  verifyReceipt,
  type ReceiptVerification,
  type VerifyReceiptOptions,
} from './receipt/verify-receipt.js';

export {
  AUDIT_ENTRY_VERSION,
  auditEntry,
  commitment,
  MAX_AUDIT_ENTRY_LENGTH,
  parseAuditEntry,
  SALT_LENGTH,
  type AuditEntryFields,
} from './sample/audit-entry.js';
export {
  assertSample,
  PENDING_ISSUE,
  SAMPLE_CHECK_IDS,
  verifySample,
  type AuditSampleJson,
  type VerifySampleOptions,
} from './sample/verify-sample.js';

export {
  bundleSha256,
  encodeStartupRecord,
  MAX_STARTUP_ENTRY_LENGTH,
  parseStartupRecord,
  STARTUP_RECORD_TYPE,
  startupNonce,
  type StartupRecord,
} from './startup/startup-record.js';
export { logOrigin, AUDIT_LOG, STARTUP_LOG, type LogKind } from './log-origin.js';
export { createLogReader, type LatestCheckpoint, type LogEntry, type LogReader } from './log-reader.js';
