/**
 * What an evidence backend does for the attestor: given the 64-byte report_data and the
 * measurement, return a signed report and its certificate chain. Mock and SEV-SNP implement it;
 * the attestor wraps either into the same `AttestationBundle`.
 */
import type { Backend } from '../checks.js';

export interface Evidence {
  /** Raw 1184-byte report. */
  report: Uint8Array;
  /** PEM certificates, leaf first. */
  certChain: string[];
}

export interface EvidenceBackend {
  readonly kind: Backend;
  readonly hardware: boolean;
  collect(reportData: Uint8Array, measurement: Uint8Array): Promise<Evidence>;
}
