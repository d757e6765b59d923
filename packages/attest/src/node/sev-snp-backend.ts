/**
 * The AMD SEV-SNP backend: reports from configfs-tsm (or another `ReportSource`, such as the
 * /dev/sev-guest ioctl), the VCEK/VLEK from the host's certificate table (auxblob) or, for a VCEK,
 * from AMD KDS (cached). The chain shipped in the bundle is the leaf, then the host's ASK/ASVK and
 * ARK if it gave them, else the pinned ones for the product.
 */
import { AMD_ROOTS } from '../amd-roots/index.js';
import type { Product } from '../product.js';
import { productFromCpuid, productFromIssuerName } from '../product.js';
import { tryParseCertificate } from '../verify/chain-checks.js';
import { SIGNING_KEY_VCEK, SIGNING_KEY_VLEK } from '../report/layout.js';
import { tryParseReport } from '../report/parse-report.js';
import { derToPem } from '../x509/pem.js';
import type { EvidenceBackend } from './backend.js';
import { parseCertTable } from './cert-table.js';
import { DEFAULT_TSM_ROOT, requestTsmReport } from './configfs-tsm.js';
import { getVcek, type FetchLike } from './kds.js';
import type { Log } from './secure-files.js';

/** Where raw reports come from. */
export interface ReportSource {
  /** Named in errors, e.g. 'configfs-tsm' or '/dev/sev-guest'. */
  readonly name: string;
  /** A report carrying `reportData`, and the host's certificate table (empty when none). */
  getReport(reportData: Uint8Array): Promise<{ report: Uint8Array; certTable: Uint8Array }>;
}

export interface SevSnpBackendOptions {
  /** configfs-tsm report directory, when `source` is not given. Default '/sys/kernel/config/tsm/report'. */
  tsmRoot?: string | undefined;
  /** configfs-tsm entry directory name. Default 'saferouter'. */
  tsmEntry?: string | undefined;
  dataDir: string;
  fetch?: FetchLike | undefined;
  /** Needed only to fetch a VCEK for a version-2 report (no CPUID fields). */
  product?: Product | undefined;
  log?: Log | undefined;
  /** Report source. Default: configfs-tsm at `tsmRoot`/`tsmEntry`. */
  source?: ReportSource | undefined;
}

export interface SevSnpBackend extends EvidenceBackend {
  readonly kind: 'sev-snp';
  readonly hardware: true;
}

/**
 * @example
 * const backend = createSevSnpBackend({ tsmRoot: DEFAULT_TSM_ROOT, dataDir, fetch });
 */
export function createSevSnpBackend(options: SevSnpBackendOptions): SevSnpBackend {
  const root = options.tsmRoot ?? DEFAULT_TSM_ROOT;
  const entry = options.tsmEntry ?? 'saferouter';
  const source: ReportSource = options.source ?? {
    name: 'configfs-tsm',
    async getReport(inblob) {
      const { outblob, auxblob } = await requestTsmReport({ root, entry, inblob });
      return { report: outblob, certTable: auxblob };
    },
  };
  return {
    kind: 'sev-snp',
    hardware: true,
    async collect(reportData) {
      const { report: outblob, certTable: auxblob } = await source.getReport(reportData);
      const parsed = tryParseReport(outblob);
      if (!parsed.ok) throw new Error(`${source.name} returned an unusable report: ${parsed.detail}`);
      const report = parsed.report;
      const table = auxblob.length > 0 ? parseCertTable(auxblob) : {};
      const product = (report.cpuid && productFromCpuid(report.cpuid.family, report.cpuid.model)) ?? options.product;
      let leaf: Uint8Array;
      if (report.signingKey === SIGNING_KEY_VLEK) {
        if (table.vlek === undefined)
          throw new Error(
            'the report is signed by a VLEK but the host supplied none in auxblob (VLEKs cannot be fetched from AMD KDS by chip id)',
          );
        leaf = table.vlek;
      } else if (report.signingKey === SIGNING_KEY_VCEK) {
        if (table.vcek !== undefined) leaf = table.vcek;
        else {
          if (product === undefined)
            throw new Error(
              'cannot tell the AMD product of a version-2 report to fetch its VCEK; pass product (Milan, Genoa or Turin)',
            );
          leaf = await getVcek({
            product,
            chipId: report.chipId,
            reportedTcb: report.reportedTcb,
            dataDir: options.dataDir,
            fetch: options.fetch,
            log: options.log,
          });
        }
      } else {
        throw new Error(`the report names signing key ${report.signingKey}, neither VCEK nor VLEK`);
      }
      const leafProduct = productFromIssuerName(tryParseCertificate(leaf)?.issuer.commonName)?.product ?? product;
      const roots = leafProduct === undefined ? undefined : AMD_ROOTS[leafProduct];
      const certChain = [derToPem(leaf)];
      const intermediate =
        table.ask !== undefined
          ? derToPem(table.ask)
          : report.signingKey === SIGNING_KEY_VLEK
            ? roots?.asvk
            : roots?.ask;
      if (intermediate !== undefined) {
        certChain.push(intermediate);
        const ark = table.ark !== undefined ? derToPem(table.ark) : roots?.ark;
        if (ark !== undefined) certChain.push(ark);
      }
      return { report: outblob, certChain };
    },
  };
}
