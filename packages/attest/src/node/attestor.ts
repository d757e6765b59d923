/**
 * `createAttestor`: the gateway's one entry to attestation. Picks the backend (SEV-SNP through
 * configfs-tsm when it exists, else through the /dev/sev-guest SNP_GET_REPORT ioctl; otherwise the
 * mock, with the reason), builds the sealer for it (sealing.ts: the SEV-SNP derived key, or the
 * mock's DEMO secret file), loads (or makes) the identity sealed under it, and turns a client's
 * nonce into an `AttestationBundle`: version 2, binding the TLS key too, when the gateway serves
 * TLS itself (`tlsSpkiSha256`), else version 1.
 */
import { stat } from 'node:fs/promises';
import { toBase64, toHex } from '../bytes.js';
import { computeReportData, NONCE_LENGTH, TLS_SPKI_SHA256_LENGTH } from '../binding.js';
import { parseBundle, type AttestationBundle } from '../bundle/schema.js';
import type { Backend } from '../checks.js';
import { PRODUCTS, type Product } from '../product.js';
import { assertBytes, assertNonEmptyString, assertOptionalFunction, checkObject } from '../validate.js';
import { AttestationError } from '../errors.js';
import type { EvidenceBackend } from './backend.js';
import { DEFAULT_TSM_ROOT } from './configfs-tsm.js';
import { loadOrCreateIdentity, type Identity } from './identity.js';
import type { FetchLike } from './kds.js';
import { createMockBackend } from './mock-backend.js';
import { createKeySealer, type KeySealer } from './sealing.js';
import type { Log } from './secure-files.js';
import { DEFAULT_SEV_GUEST_PATH } from './sev-guest-abi.js';
import { openSevGuest, sevGuestReportSource } from './sev-guest-device.js';
import { createSevSnpBackend } from './sev-snp-backend.js';

export { DEFAULT_SEV_GUEST_PATH };

export interface AttestorOptions {
  /** Directory for keys, the mock root and the VCEK cache (created 0700 under `<dataDir>/attest`). */
  dataDir: string;
  /** The gateway's measurement (32 bytes, from `computeMeasurement`). */
  measurement: Uint8Array;
  /** configfs-tsm report directory. Default '/sys/kernel/config/tsm/report'. */
  tsmRoot?: string;
  /** configfs-tsm entry name. Default 'saferouter'. */
  tsmEntry?: string;
  /** SEV guest device used (SNP_GET_REPORT ioctl) when configfs-tsm is missing. Default '/dev/sev-guest'. */
  sevGuestPath?: string;
  /** Fetch for AMD KDS (VCEK download). Default: none, so only host-supplied or cached VCEKs. */
  fetch?: FetchLike;
  /** Product, needed only to fetch a VCEK for a version-2 report. */
  product?: Product;
  log?: Log;
  /** Clock for bundle timestamps and mock certificates. Default: `() => new Date()`. */
  now?: () => Date;
  /**
   * SHA-256 of the SubjectPublicKeyInfo of the certificate the gateway serves TLS with (32 bytes,
   * `certificateSpkiSha256`). Given: quotes are version-2 bundles that bind it. Default: version 1.
   */
  tlsSpkiSha256?: Uint8Array | undefined;
  /**
   * SEV-SNP only: the 32-byte derived key the sealer's KEK comes from. Default: SNP_GET_DERIVED_KEY
   * on `sevGuestPath` (`SEALING_FIELD_SELECT`). For tests, and hosts that reach the device otherwise.
   */
  derivedKey?: (() => Promise<Uint8Array> | Uint8Array) | undefined;
}

export interface Attestor {
  readonly backend: Backend;
  /** True for the SEV-SNP backend. A mock attestor's bundles say hardware: false. */
  readonly hardware: boolean;
  /** Why the mock was chosen (log it); undefined for SEV-SNP. */
  readonly fallbackReason: string | undefined;
  readonly signingPublicKey: Uint8Array;
  /** The X25519 key quotes bind and EHBP/BYOK seal to: the local one, or the deployment's once adopted. */
  readonly sealingPublicKey: Uint8Array;
  readonly measurement: Uint8Array;
  /** The identity (sign with the ed25519 key, X25519 shared secrets). */
  readonly identity: Identity;
  /**
   * Seals secrets at rest for this build on this backend (the identity keys are sealed with it;
   * use it for the TLS key and BYOK keys). Mock: a DEMO secret file in the data dir.
   */
  readonly sealer: KeySealer;
  /** The persistent mock root (PEM) for the mock backend; undefined for SEV-SNP. */
  readonly mockRootPem: string | undefined;
  /** The TLS key hash quotes bind (version-2 bundles); undefined when they are version 1. */
  readonly tlsSpkiSha256: Uint8Array | undefined;
  /**
   * Serves the deployment's shared sealing key (32-byte X25519 scalar, released by another replica
   * of this build: key-release.ts) from now on; `secret` is zeroed. Quotes then bind its public
   * key. Call it before serving anything.
   *
   * @throws {TypeError | RangeError} when `secret` is not 32 bytes.
   */
  adoptSealingKey(secret: Uint8Array): void;
  /**
   * A bundle answering `nonce` (32 bytes).
   *
   * @throws {TypeError | RangeError} when `nonce` is not a 32-byte Uint8Array.
   */
  quote(nonce: Uint8Array): Promise<AttestationBundle>;
}

async function exists(path: string, directory: boolean): Promise<boolean> {
  try {
    const info = await stat(path);
    return directory ? info.isDirectory() : true;
  } catch {
    return false;
  }
}

/** Which SEV-SNP guest interface this host offers, in the attestor's order of preference. */
async function detectGuest(tsmRoot: string, sevGuestPath: string): Promise<'configfs-tsm' | 'sev-guest' | 'none'> {
  if (await exists(tsmRoot, true)) return 'configfs-tsm';
  if (await exists(sevGuestPath, false)) return 'sev-guest';
  return 'none';
}

export interface HostSealerOptions {
  dataDir: string;
  /** The app measurement (32 bytes) the sealed secrets are bound to. */
  measurement: Uint8Array;
  /** configfs-tsm report directory. Default '/sys/kernel/config/tsm/report'. */
  tsmRoot?: string | undefined;
  /** Default '/dev/sev-guest'. */
  sevGuestPath?: string | undefined;
  derivedKey?: (() => Promise<Uint8Array> | Uint8Array) | undefined;
  log?: Log | undefined;
}

async function sealerFor(
  guest: 'configfs-tsm' | 'sev-guest' | 'none',
  options: HostSealerOptions & { tsmRoot: string; sevGuestPath: string },
): Promise<KeySealer> {
  const common = { measurement: options.measurement, dataDir: options.dataDir, log: options.log };
  if (guest === 'none') return createKeySealer({ backend: 'mock', ...common });
  if (options.derivedKey === undefined && !(await exists(options.sevGuestPath, false)))
    throw new AttestationError(
      'backend',
      `sealing keys at rest needs ${options.sevGuestPath} (SNP_GET_DERIVED_KEY): configfs-tsm (${options.tsmRoot}) gives reports but no derived key, and ${options.sevGuestPath} does not exist; load the sev-guest driver or give the gateway access to the device`,
    );
  return createKeySealer({
    backend: 'sev-snp',
    ...common,
    sevGuestPath: options.sevGuestPath,
    derivedKey: options.derivedKey,
  });
}

/**
 * The sealer `createAttestor` would use on this host, for tools that run beside the gateway
 * (`saferouter-attest tls-csr`): SEV-SNP (derived key through /dev/sev-guest) when the host has a
 * SEV-SNP guest interface, else the mock (DEMO).
 *
 * @example
 * const sealer = await createHostSealer({ dataDir, measurement });
 * @throws {TypeError | RangeError} for malformed options.
 * @throws {AttestationError} (check 'backend') on SEV-SNP when /dev/sev-guest gives no derived key.
 */
export async function createHostSealer(options: HostSealerOptions): Promise<KeySealer> {
  checkObject(options, 'options');
  for (const key of ['tsmRoot', 'sevGuestPath'] as const) {
    if (options[key] !== undefined) assertNonEmptyString(options[key], `options.${key}`);
  }
  assertOptionalFunction(options.derivedKey, 'options.derivedKey');
  const tsmRoot = options.tsmRoot ?? DEFAULT_TSM_ROOT;
  const sevGuestPath = options.sevGuestPath ?? DEFAULT_SEV_GUEST_PATH;
  return sealerFor(await detectGuest(tsmRoot, sevGuestPath), { ...options, tsmRoot, sevGuestPath });
}

/**
 * Builds the attestor.
 *
 * @example
 * const attestor = await createAttestor({ dataDir, measurement, fetch, log: (l, m) => console[l](m) });
 * if (attestor.fallbackReason) console.warn(attestor.fallbackReason);
 * const bundle = await attestor.quote(nonce);
 * @throws {TypeError | RangeError} for malformed options.
 * @throws {AttestationError} (check 'backend') when /dev/sev-guest exists without configfs-tsm
 *   but cannot be opened (permissions, no FFI); on SEV-SNP, when /dev/sev-guest cannot give the
 *   derived key the sealer needs.
 * @throws {Error} when key files are corrupt or fail authentication (tampered, another chip).
 */
export async function createAttestor(options: AttestorOptions): Promise<Attestor> {
  checkObject(options, 'options');
  assertNonEmptyString(options.dataDir, 'options.dataDir');
  assertBytes(options.measurement, 'options.measurement', 32);
  for (const key of ['tsmRoot', 'tsmEntry', 'sevGuestPath'] as const) {
    if (options[key] !== undefined) assertNonEmptyString(options[key], `options.${key}`);
  }
  assertOptionalFunction(options.fetch, 'options.fetch');
  assertOptionalFunction(options.log, 'options.log');
  assertOptionalFunction(options.now, 'options.now');
  assertOptionalFunction(options.derivedKey, 'options.derivedKey');
  if (options.tlsSpkiSha256 !== undefined)
    assertBytes(options.tlsSpkiSha256, 'options.tlsSpkiSha256', TLS_SPKI_SHA256_LENGTH);
  if (options.product !== undefined && !PRODUCTS.includes(options.product))
    throw new RangeError('options.product must be Milan, Genoa or Turin');
  const now = options.now ?? (() => new Date());
  const tsmRoot = options.tsmRoot ?? DEFAULT_TSM_ROOT;
  const sevGuestPath = options.sevGuestPath ?? DEFAULT_SEV_GUEST_PATH;
  const measurement = options.measurement.slice();
  const tlsSpkiSha256 = options.tlsSpkiSha256?.slice();
  const guest = await detectGuest(tsmRoot, sevGuestPath);
  // Fail at startup, not at the first quote, when the device cannot be opened.
  if (guest === 'sev-guest') (await openSevGuest(sevGuestPath)).close();
  const sealer = await sealerFor(guest, {
    dataDir: options.dataDir,
    measurement,
    tsmRoot,
    sevGuestPath,
    derivedKey: options.derivedKey,
    log: options.log,
  });
  const identity = await loadOrCreateIdentity(options.dataDir, { sealer, log: options.log });

  let backend: EvidenceBackend;
  let fallbackReason: string | undefined;
  let mockRootPem: string | undefined;
  if (guest === 'configfs-tsm') {
    backend = createSevSnpBackend({
      tsmRoot,
      tsmEntry: options.tsmEntry,
      dataDir: options.dataDir,
      fetch: options.fetch,
      product: options.product,
      log: options.log,
    });
  } else if (guest === 'sev-guest') {
    backend = createSevSnpBackend({
      dataDir: options.dataDir,
      fetch: options.fetch,
      product: options.product,
      log: options.log,
      source: sevGuestReportSource(sevGuestPath),
    });
    options.log?.(
      'info',
      `configfs-tsm (${tsmRoot}) is absent: getting reports through the SNP_GET_REPORT ioctl on ${sevGuestPath} (no host certificate table; the VCEK comes from AMD KDS or the cache)`,
    );
  } else {
    const mock = await createMockBackend({ dataDir: options.dataDir, now, log: options.log });
    backend = mock;
    mockRootPem = mock.rootPem;
    fallbackReason = `no AMD SEV-SNP guest interface (neither ${tsmRoot} nor ${sevGuestPath} exists): using the MOCK attestation backend; its bundles say hardware: false and prove nothing about hardware`;
    options.log?.('warn', fallbackReason);
  }

  let queue: Promise<unknown> = Promise.resolve();
  return {
    backend: backend.kind,
    hardware: backend.hardware,
    fallbackReason,
    signingPublicKey: identity.signingPublicKey,
    get sealingPublicKey() {
      return identity.sealingPublicKey;
    },
    measurement,
    identity,
    sealer,
    mockRootPem,
    tlsSpkiSha256,
    adoptSealingKey(secret: Uint8Array): void {
      identity.adoptSealingKey(secret);
    },
    quote(nonce: Uint8Array): Promise<AttestationBundle> {
      assertBytes(nonce, 'nonce', NONCE_LENGTH);
      const sealingKey = identity.sealingPublicKey;
      const reportData = computeReportData({
        nonce,
        signingKey: identity.signingPublicKey,
        sealingKey,
        measurement,
        tlsSpkiSha256,
      });
      // One configfs-tsm entry is shared, so quotes run one at a time.
      const run = queue.then(async () => {
        const evidence = await backend.collect(reportData, measurement);
        return parseBundle({
          ...(tlsSpkiSha256 === undefined ? { version: 1 } : { version: 2, tlsSpkiSha256: toHex(tlsSpkiSha256) }),
          backend: backend.kind,
          hardware: backend.hardware,
          measurement: toHex(measurement),
          signingKey: toHex(identity.signingPublicKey),
          sealingKey: toHex(sealingKey),
          nonce: toHex(nonce),
          reportData: toHex(reportData),
          report: toBase64(evidence.report),
          certChain: evidence.certChain,
          timestamp: now().toISOString(),
        });
      });
      queue = run.catch(() => undefined);
      return run;
    },
  };
}
