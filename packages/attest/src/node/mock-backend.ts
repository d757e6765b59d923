/**
 * The mock (demo) backend: reports in the SEV-SNP layout signed by a software CA whose root
 * persists in the data dir. It exists so the whole flow runs on any machine; its bundles always
 * say `hardware: false`.
 */
import { randomBytes } from 'node:crypto';
import type { Log } from './secure-files.js';
import type { EvidenceBackend } from './backend.js';
import { issueMockChain, loadOrCreateMockRoot, type MockIssued } from './mock-ca.js';
import { buildMockReport } from './mock-report.js';

/** Re-issue the intermediate and leaf once this close to their expiry. */
const RENEW_BEFORE_MS = 30 * 86_400_000;

export interface MockBackend extends EvidenceBackend {
  readonly kind: 'mock';
  readonly hardware: false;
  /** The persistent mock root certificate (PEM), for clients that want to pin it. */
  readonly rootPem: string;
}

/**
 * @example
 * const backend = await createMockBackend({ dataDir, now: () => new Date() });
 * @throws {Error} when the stored mock root is inconsistent.
 */
export async function createMockBackend(options: {
  dataDir: string;
  now: () => Date;
  log?: Log | undefined;
}): Promise<MockBackend> {
  const root = await loadOrCreateMockRoot(options.dataDir, options.now(), options.log);
  let issued: MockIssued = await issueMockChain(root, options.now());
  const reportId = new Uint8Array(randomBytes(32));
  return {
    kind: 'mock',
    hardware: false,
    rootPem: root.pem,
    async collect(reportData, measurement) {
      const now = options.now();
      if (now.getTime() > issued.notAfter.getTime() - RENEW_BEFORE_MS) issued = await issueMockChain(root, now);
      const report = buildMockReport({ reportData, measurement, chipId: issued.chipId, reportId, sign: issued.sign });
      return { report, certChain: [...issued.chain] };
    },
  };
}
