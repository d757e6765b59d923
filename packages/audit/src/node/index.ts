/**
 * @saferouter/audit/node: the Node-only half. Issuing receipts on the request path (node:crypto
 * hashing, the attested identity's signer), the CSPRNG audit sampler, the audit log's integrator,
 * and writing the startup log (record building, log key). Verification is in the main entry.
 */
export {
  createReceiptIssuer,
  type BeginReceipt,
  type FinishAttempt,
  type FinishReceipt,
  type IssuedReceipt,
  type IssuedSample,
  type ReceiptIssuer,
  type ReceiptIssuerOptions,
  type ReceiptSession,
} from './receipt-issuer.js';
export { auditSampler } from './sampler.js';
export { createAuditLog, INTEGRATE_BATCH, type AuditLog, type AuditLogOptions } from './audit-log.js';
export { storedOrigin, type AppendableLog } from './appendable-log.js';
export { resolveLogKey, type LogKey } from './log-key.js';
export {
  appendStartupRecord,
  buildStartupRecord,
  openStartupRecord,
  type StartupAttestor,
  type StartupLog,
} from './startup-log.js';
