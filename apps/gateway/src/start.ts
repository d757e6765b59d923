/**
 * Starts a gateway from a `GatewayConfig`: opens the store, resolves the admin key, builds the
 * catalog and serves the app. Used by the `server.ts` entry point and by end-to-end tests,
 * which start the real server on a free port.
 */
import type { AddressInfo } from 'node:net';
import { redisErrorLogger } from './redis-errors.js';
import { createReplayGuard } from './replay-guard.js';
import { loadServedFiles } from './static-files.js';
import type { Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { serve } from '@hono/node-server';
import { createCatalog } from '@saferouter/router';
import { openStore, type Store } from '@saferouter/store';
import type { Limiter } from '@saferouter/billing';
import cluster from 'node:cluster';
import { toHex } from '@saferouter/attest';
import {
  acquireDeploymentKey,
  createAttestor,
  createKeyReleaser,
  type Attestor,
  type KeyReleaser,
} from '@saferouter/attest/node';
import { AUDIT_LOG, logOrigin, STARTUP_LOG } from '@saferouter/audit';
import {
  appendStartupRecord,
  openStartupRecord,
  auditSampler,
  createAuditLog,
  createReceiptIssuer,
  storedOrigin,
  type AuditLog,
  type StartupLog,
} from '@saferouter/audit/node';
import { createApp, type Gateway } from './app.js';
import { measureGateway, type GatewayMeasurement } from './measure.js';
import { resolveUserSecret } from './user-secret.js';
import { resolveLogSignerKey } from './log-key.js';
import { resolveAdminKey } from './admin-key.js';
import type { GatewayConfig } from './config.js';
import { openTls, readTlsFiles } from './tls.js';
import { drainServer } from './shutdown.js';
import { configuredSecrets, createLogger, prettyStream, wantsPretty, type Logger } from './logger.js';
import { createMetrics, type Metrics } from './metrics.js';
import { clusterMetrics } from './cluster.js';

export interface RunningGateway {
  url: string;
  port: number;
  gateway: Gateway;
  store: Store;
  /** The admin key, only when this start generated it (print it once). */
  generatedAdminKey: string | undefined;
  attestor: Attestor;
  measurement: GatewayMeasurement;
  startupLog: StartupLog;
  auditLog: AuditLog;
  /** Where `/verify/` serves the verifier page from (it may not be built). */
  verifierDir: string;
  /** Where `/` serves the dashboard from (it may not be built). */
  dashboardDir: string;
  /** The gateway's logger (SAFEROUTER_LOG_LEVEL), for the entry point's own lines. */
  logger: Logger;
  /**
   * Stops gracefully (./shutdown.ts): no new connections, `/ready` answers 503, requests and
   * streams in flight get up to `ms` to finish (then are ended, and settle for what they
   * delivered); batched writes and the audit log are flushed and everything is closed. Later
   * calls, and `close()`, return the first call's promise.
   */
  drain(ms: number): Promise<void>;
  /** `drain(0)`: ends what is in flight at once, then flushes and closes. */
  close(): Promise<void>;
}

export { defaultDashboardDir, defaultVerifierDir } from './static-files.js';

/** Endpoint statistics are read from the last hour of answers, at most this many. */
const STATS_WINDOW_MS = 3_600_000;
const STATS_SAMPLES = 5_000;

/** In a cluster worker, `/metrics` answers the primary's aggregate of every worker's registry. */
function workerMetrics(metrics: Metrics): Metrics {
  if (!cluster.isWorker) return metrics;
  const scrape = clusterMetrics(metrics.registry);
  return { ...metrics, scrape };
}

/** How a process takes part in a start (see cluster.ts for SAFEROUTER_WORKERS). */
export interface StartOptions {
  /** A worker: this start's startup entry, appended by the primary, is opened, not appended. */
  startupIndex?: number | undefined;
  /** False: everything is set up (and the startup entry appended) but no port is opened. */
  listen?: boolean | undefined;
}

/**
 * @param entryFile the running entry (server.ts passes its own file); measured as the binary
 *   unless `config.measuredBinary` names another.
 */
export async function startGateway(
  config: GatewayConfig,
  env: Record<string, string | undefined>,
  entryFile?: string,
  options: StartOptions = {},
): Promise<RunningGateway> {
  // First, so a bad certificate or key stops the start before anything is opened or logged. A key
  // sealed to the build (`saferouter-attest tls-csr --measurement`) is opened once the sealer exists.
  const tlsFiles = config.tls === undefined ? undefined : readTlsFiles(config.tls);
  let tls = tlsFiles === undefined || tlsFiles.sealed ? undefined : openTls(tlsFiles);
  // Every secret the config holds is scrubbed from every line (see logger.ts); pretty output only
  // for a person at a terminal.
  const logger = createLogger({
    level: config.logLevel ?? 'info',
    destination: config.logDestination ?? (wantsPretty(process.stdout, process.env) ? await prettyStream() : undefined),
    secrets: configuredSecrets(config, env),
  });
  const binaryPath = config.measuredBinary ?? entryFile ?? process.argv[1] ?? '';
  // The dashboard and the verifier page are snapshotted now: the bytes served are the bytes measured.
  const served = loadServedFiles({ dashboardDir: config.dashboardDir, verifierDir: config.verifierDir });
  const measurement = await measureGateway(binaryPath, config.catalog, served.manifest);
  const attestationLog = (level: 'info' | 'warn', message: string): void =>
    logger[level === 'warn' ? 'warn' : 'info'](`attestation: ${message}`);
  const attestor = await createAttestor({
    dataDir: config.dataDir,
    measurement: measurement.measurement,
    // Serving TLS itself: quotes are version 2 and bind the certificate's key.
    ...(tlsFiles === undefined ? {} : { tlsSpkiSha256: tlsFiles.spkiSha256 }),
    ...(config.tsmRoot === undefined ? {} : { tsmRoot: config.tsmRoot }),
    // AMD's key distribution service, only asked when the host supplies no VCEK (real hardware).
    fetch: (url, init) => fetch(url, init),
    log: attestationLog,
  });
  if (tlsFiles !== undefined) {
    tls ??= openTls(tlsFiles, attestor.sealer);
    if (!tls.sealed)
      logger.warn(
        `tls: the TLS key ${tlsFiles.paths.keyPath} is plaintext on disk; seal it to this build with saferouter-attest tls-csr --measurement (docs/attestation.md §13)`,
      );
  }
  const store = await openStore({ dataDir: config.dataDir, databaseUrl: config.databaseUrl });
  // Replicas on Postgres serve one sealing key per build (attested key release, docs/attestation.md):
  // adopted before the startup record binds it and before anything is served. Every serving
  // process answers other replicas' requests; a cluster primary (which closes its store once its
  // workers start) leaves that to its workers, which load the key it cached.
  let keyReleaser: KeyReleaser | undefined;
  if (store.kind === 'postgres') {
    try {
      const key = await acquireDeploymentKey({
        storage: store.keyRelease,
        attestor,
        dataDir: config.dataDir,
        timeoutMs: config.keyReleaseTimeoutMs,
        log: attestationLog,
      });
      if (options.listen !== false) {
        keyReleaser = createKeyReleaser({
          storage: store.keyRelease,
          attestor,
          platform: key.platform,
          log: attestationLog,
        });
        keyReleaser.start();
      }
    } catch (err) {
      await store.close();
      throw err;
    }
  }
  let limiter: Limiter | undefined;
  if (config.redisUrl) {
    // Loaded only when configured, so a single-box install never loads a Redis client.
    const { createRedisLimiter } = await import('@saferouter/billing/redis');
    limiter = createRedisLimiter({ url: config.redisUrl, onError: redisErrorLogger(logger, 'limiter') });
  }
  const admin = await resolveAdminKey(store, config.adminKey);
  const userSecret = await resolveUserSecret(store, config.userSecret);
  const logSignerKey = await resolveLogSignerKey(store, config.logKey, config.audience);
  // One start, one startup entry: a worker opens the one its primary appended.
  const startupLog =
    options.startupIndex === undefined
      ? await appendStartupRecord({
          storage: store.tlog.log(STARTUP_LOG),
          attestor,
          buildId: measurement.binarySha256,
          audience: config.audience,
          logSignerKey,
        })
      : await openStartupRecord({
          storage: store.tlog.log(STARTUP_LOG),
          attestor,
          audience: config.audience,
          logSignerKey,
          index: options.startupIndex,
        });
  // The audit log sits beside the startup log (<audience>/saferouter/audit), signed by the same key.
  const auditStorage = store.tlog.log(AUDIT_LOG);
  const auditLog = await createAuditLog({
    store: store.audit,
    storage: auditStorage,
    signer: startupLog.key.signer,
    verifier: startupLog.key.verifier,
    origin: await storedOrigin(auditStorage, logOrigin(startupLog.record.audience, 'audit')),
  });
  auditLog.start();
  // A receipt per response, signed on the request path: ~50 µs of Ed25519 on this class of CPU.
  // Off-loading it (a worker thread, WebCrypto's thread pool) measured no gain on a 2-core host
  // and added latency; see the issue notes.
  const receipts = createReceiptIssuer({
    sign: (message) => attestor.identity.sign(message),
    signingPublicKey: attestor.signingPublicKey,
    measurement: toHex(attestor.measurement),
    startupIndex: startupLog.index,
  });
  const catalog = createCatalog(config.catalog, {
    env,
    connectTimeoutMs: config.connectTimeoutMs,
    firstByteTimeoutMs: config.firstByteTimeoutMs,
    demoChunkDelayMs: config.demoChunkDelayMs,
  });
  // EHBP: bodies sealed to the attested sealing key; a replayed sealed request is refused.
  const replay = await createReplayGuard(config.redisUrl, redisErrorLogger(logger, 'replay guard'));
  const gateway = createApp({
    store,
    catalog,
    adminKeyHash: admin.hash,
    bodyLimitBytes: config.bodyLimitBytes,
    selfTopup: config.selfTopup,
    attestor,
    startupLog,
    audit: {
      log: auditLog,
      issuer: receipts,
      sample: auditSampler(config.auditRate),
      retentionDays: config.receiptRetentionDays,
    },
    verifierFiles: served.verifier,
    dashboardFiles: served.dashboard,
    docsFiles: served.docs,
    ehbp: {
      dh: (peer) => attestor.identity.sealingSharedSecret(peer),
      publicKey: attestor.sealingPublicKey,
      replay,
      required: config.requireEhbp === true,
    },
    userSecret,
    logger,
    ...(config.metrics === false ? {} : { metrics: workerMetrics(createMetrics({ catalog })) }),
    metricsPublic: config.metricsPublic === true,
    byokFeeBasisPoints: config.byokFeeBasisPoints ?? 0,
    ...(config.keepAliveMs === undefined ? {} : { keepAliveMs: config.keepAliveMs }),
    ...(limiter ? { limiter } : {}),
    corsOrigins: config.corsOrigins ?? [],
    readiness: limiter === undefined ? [] : [{ name: 'redis', check: limiter.ping.bind(limiter) }],
  });
  // Holds left by a crashed replica (Postgres) are released once they expire. On SQLite holds
  // live in the gateway's memory and die with it.
  const sweep = setInterval(() => {
    gateway.billing
      .expireHolds()
      .catch((err: unknown) => logger.error({ err }, 'billing: releasing expired holds failed'));
  }, 60_000);
  sweep.unref();
  // provider.sort by latency/throughput reads recent answers: seeded from the activity log at
  // start, and on Postgres refreshed from every replica's answers once a minute.
  const loadStats = (): Promise<void> =>
    store.activity
      .endpointSamples(Date.now() - STATS_WINDOW_MS, STATS_SAMPLES)
      .then((samples) => gateway.endpointStats.load(samples))
      .catch((err: unknown) => logger.error({ err }, 'routing: loading endpoint statistics failed'));
  await loadStats();
  const statsRefresh = store.kind === 'postgres' ? setInterval(() => void loadStats(), 60_000) : undefined;
  statsRefresh?.unref();

  // A cluster primary (`listen: false`) only records the start; its workers serve.
  const server = options.listen === false ? undefined : await listen();
  async function listen(): Promise<Server> {
    const opened = await new Promise<Server>((resolveServer) => {
      const s = serve(
        {
          fetch: gateway.app.fetch,
          port: config.port,
          hostname: config.host,
          ...(tls === undefined
            ? {}
            : { createServer: createHttpsServer, serverOptions: { cert: tls.cert, key: tls.key } }),
        },
        () => resolveServer(s as Server),
      );
    });
    // Slow upstreams stream for minutes: no server-side request timeout on our side.
    opened.requestTimeout = 0;
    opened.headersTimeout = 60_000;
    opened.keepAliveTimeout = 65_000;
    return opened;
  }
  const port = server === undefined ? 0 : (server.address() as AddressInfo).port;
  const shownHost = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;

  let stopping: Promise<void> | undefined;
  const stop = async (drainMs: number): Promise<void> => {
    const drained = server === undefined ? { cut: 0 } : await drainServer(server, gateway.lifecycle, drainMs);
    if (drained.cut > 0) {
      logger.warn(
        `shutdown: ended ${drained.cut} request(s) still running after ${drainMs} ms; each settles for what it delivered`,
      );
    }
    clearInterval(sweep);
    if (statsRefresh !== undefined) clearInterval(statsRefresh);
    await keyReleaser?.stop();
    await gateway.close();
    await auditLog.close();
    await limiter?.close();
    await replay.close();
    await catalog.close();
    await store.close();
    logger.flush();
  };

  return {
    url: `${tls === undefined ? 'http' : 'https'}://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${port}`,
    port,
    gateway,
    store,
    generatedAdminKey: admin.generated,
    attestor,
    measurement,
    startupLog,
    auditLog,
    verifierDir: served.verifierDir,
    dashboardDir: served.dashboardDir,
    logger,
    drain: (ms) => (stopping ??= stop(ms)),
    close: () => (stopping ??= stop(0)),
  };
}
