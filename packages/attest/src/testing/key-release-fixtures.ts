/**
 * Test helpers for key release: an in-memory `KeyReleaseStorage` with the contract of
 * `@saferouter/store`'s (the store's conformance suite checks the real ones), and an attestor
 * shaped like an SEV-SNP one whose quotes are reports re-signed by a synthetic AMD PKI, so a
 * hardware holder and requester can run the protocol here. The identity behind it is real
 * (sealed at rest under an SEV-SNP sealer with an injected derived key).
 */
import { toBase64, toHex } from '../bytes.js';
import { computeReportData } from '../binding.js';
import { parseBundle, type AttestationBundle } from '../bundle/schema.js';
import { OFFSET } from '../report/layout.js';
import { derToPem } from '../x509/pem.js';
import { loadOrCreateIdentity } from '../node/identity.js';
import type { KeyReleaseAttestor } from '../node/key-release.js';
import type {
  DeploymentKeyRow,
  KeyGrantRow,
  KeyHolderRow,
  KeyReleaseStorage,
  KeyRequestRow,
} from '../node/key-release-storage.js';
import { createKeySealer } from '../node/sealing.js';
import { withBytes, withU32, type SyntheticAmd } from './synthetic-amd.js';

export interface MemoryKeyReleaseStorage extends KeyReleaseStorage {
  readonly keys: Map<string, DeploymentKeyRow>;
  readonly holderRows: Map<string, KeyHolderRow>;
  readonly requests: Map<string, KeyRequestRow & { claimedBy: string | null; claimedAt: number | null }>;
  readonly grants: Map<string, KeyGrantRow>;
}

/** The storage, in memory (one process, so no races to handle). */
export function memoryKeyReleaseStorage(): MemoryKeyReleaseStorage {
  const keys = new Map<string, DeploymentKeyRow>();
  const holderRows = new Map<string, KeyHolderRow>();
  const requests: MemoryKeyReleaseStorage['requests'] = new Map();
  const grants = new Map<string, KeyGrantRow>();
  const build = (m: string, p: string) => `${m}/${p}`;
  const strip = ({
    claimedBy: _b,
    claimedAt: _a,
    ...row
  }: KeyRequestRow & { claimedBy: unknown; claimedAt: unknown }) => row;
  return {
    keys,
    holderRows,
    requests,
    grants,
    async claimDeploymentKey(rec) {
      const k = build(rec.measurement, rec.platform);
      if (!keys.has(k)) keys.set(k, { ...rec });
      return { ...(keys.get(k) as DeploymentKeyRow) };
    },
    async announceHolder(rec) {
      holderRows.set(`${build(rec.measurement, rec.platform)}/${rec.holder}`, { ...rec });
    },
    async holders(measurement, platform) {
      return [...holderRows.values()]
        .filter((h) => h.measurement === measurement && h.platform === platform)
        .sort((a, b) => b.seenAt - a.seenAt);
    },
    async removeHolder(measurement, platform, holder) {
      holderRows.delete(`${build(measurement, platform)}/${holder}`);
    },
    async insertRequest(rec) {
      if (requests.has(rec.id)) throw new Error('conflict');
      requests.set(rec.id, { ...rec, refusal: null, claimedBy: null, claimedAt: null });
    },
    async getRequest(id) {
      const r = requests.get(id);
      return r === undefined ? undefined : strip(r);
    },
    async pendingRequests(measurement, platform, now, limit) {
      return [...requests.values()]
        .filter(
          (r) =>
            r.measurement === measurement &&
            r.platform === platform &&
            r.refusal === null &&
            r.expiresAt > now &&
            !grants.has(r.id),
        )
        .sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id))
        .slice(0, limit)
        .map(strip);
    },
    async claimRequest(id, holder, at, staleBefore) {
      const r = requests.get(id);
      if (r === undefined || r.refusal !== null) return false;
      if (r.claimedBy !== null && r.claimedBy !== holder && (r.claimedAt ?? 0) >= staleBefore) return false;
      r.claimedBy = holder;
      r.claimedAt = at;
      return true;
    },
    async refuseRequest(id, reason) {
      const r = requests.get(id);
      if (r !== undefined && r.refusal === null) r.refusal = reason;
    },
    async insertGrant(rec) {
      if (!requests.has(rec.requestId) || grants.has(rec.requestId)) return false;
      grants.set(rec.requestId, { ...rec });
      return true;
    },
    async takeGrant(requestId) {
      const g = grants.get(requestId);
      grants.delete(requestId);
      return g;
    },
    async deleteRequest(id) {
      requests.delete(id);
      grants.delete(id);
    },
    async deleteExpired(now) {
      let n = 0;
      for (const [id, r] of requests)
        if (r.expiresAt <= now) {
          requests.delete(id);
          grants.delete(id);
          n++;
        }
      return n;
    },
  };
}

/** The CHIP_ID of the synthetic PKI's chip. */
export const SYNTHETIC_CHIP = new Uint8Array(64).fill(0x5a);

export interface SyntheticHardwareOptions {
  dataDir: string;
  /** The app measurement (32 bytes). */
  measurement: Uint8Array;
  pki: SyntheticAmd;
  /** A VCEK-style report to start from (the Milan VLEK vector's, say). */
  baseReport: Uint8Array;
  /** The launch MEASUREMENT written into each report (48 bytes). Default: the base report's. */
  launch?: Uint8Array | undefined;
  /** The derived key its sealer's KEK comes from (one per chip). Default 0xd1… */
  derivedKey?: Uint8Array | undefined;
}

/**
 * A hardware-shaped attestor: `hardware: true`, bundles with `backend: 'sev-snp'` whose reports
 * bind report_data and are signed by `pki` (trust `pki.arkPem` to verify them).
 */
export async function syntheticHardwareAttestor(options: SyntheticHardwareOptions): Promise<KeyReleaseAttestor> {
  const { pki, measurement } = options;
  const derived = options.derivedKey ?? new Uint8Array(32).fill(0xd1);
  const sealer = await createKeySealer({
    backend: 'sev-snp',
    measurement,
    dataDir: options.dataDir,
    derivedKey: () => derived.slice(),
  });
  const identity = await loadOrCreateIdentity(options.dataDir, { sealer });
  const chain = [derToPem(pki.leafDer), pki.intermediatePem, pki.arkPem];
  return {
    hardware: true,
    measurement: measurement.slice(),
    signingPublicKey: identity.signingPublicKey,
    get sealingPublicKey() {
      return identity.sealingPublicKey;
    },
    identity,
    sealer,
    adoptSealingKey: (secret) => identity.adoptSealingKey(secret),
    async quote(nonce): Promise<AttestationBundle> {
      const reportData = computeReportData({
        nonce,
        signingKey: identity.signingPublicKey,
        sealingKey: identity.sealingPublicKey,
        measurement,
      });
      let report = withU32(options.baseReport, OFFSET.signerInfo, 0);
      report = withBytes(report, OFFSET.chipId, SYNTHETIC_CHIP);
      report = withBytes(report, OFFSET.reportData, reportData);
      if (options.launch !== undefined) report = withBytes(report, OFFSET.measurement, options.launch);
      return parseBundle({
        version: 1,
        backend: 'sev-snp',
        hardware: true,
        measurement: toHex(measurement),
        signingKey: toHex(identity.signingPublicKey),
        sealingKey: toHex(identity.sealingPublicKey),
        nonce: toHex(nonce),
        reportData: toHex(reportData),
        report: toBase64(pki.sign(report)),
        certChain: chain,
        timestamp: new Date().toISOString(),
      });
    },
  };
}
