/**
 * `createApp(deps)`: the gateway's Hono app. It receives everything it uses (store, catalog,
 * clock) and reads nothing from the environment or disk, so tests build it with fakes and call
 * `app.request()`. One sub-app per domain, one error handler speaking OpenAI's error shape.
 */
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import type { Attestor } from '@saferouter/attest/node';
import { createEndpointStats, type Catalog, type EndpointStats } from '@saferouter/router';
import { timeOrderedId, type ActivityEntry, type ReceiptRecord, type Store } from '@saferouter/store';
import { createBilling, createMemoryLimiter, type Billing, type Limiter } from '@saferouter/billing';
import { createMeteredChat, type Evidence } from '@saferouter/metering';
import { createBatchWriter, type BatchWriter } from './batch-writer.js';
import type { AppEnv } from './env.js';
import { ApiError, handleError, notFound } from './errors.js';
import { createKeyAuth, type KeyAuth } from './middleware/auth.js';
import { chatRoutes } from './routes/chat.js';
import { modelRoutes } from './routes/models.js';
import { keyRoutes, ownKeyRoute } from './routes/keys.js';
import { creditRoutes } from './routes/credits.js';
import { activityRoutes } from './routes/activity.js';
import { attestationRoutes } from './routes/attestation.js';
import { transparencyRoutes } from './routes/transparency.js';
import type { AuditLog, ReceiptIssuer, StartupLog } from '@saferouter/audit/node';
import { receiptRoutes } from './routes/receipts.js';
import { verifierRoutes } from './routes/verifier.js';
import { dashboardRoutes } from './routes/dashboard.js';
import { generationRoutes } from './routes/generation.js';
import { responsesRoutes } from './routes/responses.js';
import { KEYS_PATH } from '@saferouter/ehbp';
import { ehbp, hpkeKeysHandler, setupRecipient, type ReplayGuard } from '@saferouter/ehbp/server';
import { createByok } from './byok.js';
import { byokRoutes } from './routes/byok.js';
import { readRawBody } from './body.js';
import { requestHeader } from './request-header.js';
import { loadStaticFiles, type StaticFiles } from './static-files.js';
import { apiCors, isPreflight, type CorsOrigins } from './cors.js';
import { createLifecycle, type Lifecycle } from './shutdown.js';
import { readyRoutes, type ReadinessCheck } from './routes/ready.js';
import { silentLogger, type Logger } from './logger.js';
import { createRequestLog } from './request-log.js';
import type { Metrics } from './metrics.js';
import { countInflight, metricsRoutes } from './routes/metrics.js';
import { docsRoutes } from './routes/docs.js';
import { dashboardTops } from './routes/dashboard.js';
import { buildOpenApiDocument } from './openapi.js';

export interface GatewayDeps {
  store: Store;
  catalog: Catalog;
  /** Hex SHA-256 of the admin key. */
  adminKeyHash: string;
  clock?: () => number;
  /** Largest accepted request body; default 4 MiB. */
  bodyLimitBytes?: number;
  /** How long a key lookup is cached (bounds revocation delay on other replicas); default 500 ms. */
  keyCacheTtlMs?: number;
  /** Per-key limits; default in memory (use the Redis limiter when replicas share limits). */
  limiter?: Limiter;
  /** Let a key top itself up (SAFEROUTER_SELF_TOPUP=1, for demos). */
  selfTopup?: boolean;
  /** How often batched activity is written; default 200 ms. */
  activityFlushMs?: number;
  /** Serves `/attestation/*` when set (the server always sets it; unit tests may not). */
  attestor?: Attestor;
  /** Serves `/attestation/transparency/*` when set. */
  startupLog?: StartupLog;
  /**
   * Receipts and the audit log (the server always sets it; unit tests may not): a signed receipt
   * for every request that reached an upstream, a `sample()` share committed to `log`, receipts
   * kept `retentionDays` for `GET /v1/receipts/{id}`, and `/attestation/audit/*`.
   */
  audit?: { log: AuditLog; issuer: ReceiptIssuer; sample: () => boolean; retentionDays: number };
  /**
   * Serves the static verifier page at `/verify/` from this directory (apps/verifier's built
   * `dist/`) when set; read per request, so a missing build answers 503, never a crash.
   */
  verifierDir?: string;
  /** The verifier page as snapshotted (and measured) at start; preferred over `verifierDir`. */
  verifierFiles?: StaticFiles;
  /**
   * The dashboard (apps/dashboard's built `dist/`) as snapshotted (and measured) at start, served
   * at `/` and the app's routes (./routes/dashboard.ts). Absent: no dashboard routes at all.
   */
  dashboardFiles?: StaticFiles;
  /**
   * The API reference's assets (`scalar.js`, built into apps/gateway/dist/docs) as snapshotted
   * (and measured) at start, served at `/docs/`. Absent: `/docs` answers 503; `/openapi.json`
   * is always served.
   */
  docsFiles?: StaticFiles;
  /**
   * EHBP (request and response bodies sealed to the attested X25519 sealing key): the key pair,
   * its public half (served at `/.well-known/hpke-keys`), the replay guard (Redis when replicas
   * share one), and whether plaintext bodies on `/v1/*` are refused.
   */
  ehbp?: { dh: (peer: Uint8Array) => Uint8Array; publicKey: Uint8Array; replay: ReplayGuard; required: boolean };
  /**
   * The deployment's secret for `user` pseudonyms (`HMAC-SHA256(secret, key id ‖ user)` goes
   * upstream). Absent: `user` is dropped, never forwarded raw.
   */
  userSecret?: Uint8Array;
  /** Observed endpoint latency/throughput for `provider.sort`; default a fresh in-memory one. */
  endpointStats?: EndpointStats;
  /** Silence before a stream gets a `: SAFEROUTER PROCESSING` comment; default 15 000 ms. */
  keepAliveMs?: number;
  /** SAFEROUTER_CORS_ORIGINS: origins a browser may call `/v1/*` from (./cors.ts); default none. */
  corsOrigins?: CorsOrigins;
  /** What `GET /ready` asks besides the store (Redis when configured); see ./routes/ready.ts. */
  readiness?: readonly ReadinessCheck[];
  /** How long each readiness check may take; default 1000 ms. */
  readyTimeoutMs?: number;
  /**
   * Where the gateway logs (a request line per request, errors): pino, from ./logger.ts. Default
   * silent, so tests that do not look at logs stay quiet.
   */
  logger?: Logger;
  /** Prometheus metrics (./metrics.ts), served at `GET /metrics` when set. */
  metrics?: Metrics;
  /** SAFEROUTER_METRICS_PUBLIC=1: `/metrics` without the admin key. */
  metricsPublic?: boolean;
  /**
   * SAFEROUTER_BYOK_FEE_PERCENT in basis points: what a request served with the caller's own
   * provider key costs, as a share of the gateway-key price (./byok.ts); default 0. BYOK itself
   * (`/v1/byok`) needs `attestor`: keys are sealed to its sealing key and re-sealed by its sealer.
   */
  byokFeeBasisPoints?: number;
}

export interface Gateway {
  app: Hono<AppEnv>;
  auth: KeyAuth;
  billing: Billing;
  activity: BatchWriter<ActivityEntry>;
  endpointStats: EndpointStats;
  /** `deps.metrics`, when set. */
  metrics: Metrics | undefined;
  /** Requests in flight and the draining flag, for a graceful shutdown (./shutdown.ts). */
  lifecycle: Lifecycle;
  /** Flushes batched writes and stops timers. Does not close the store. */
  close(): Promise<void>;
}

/** SAFEROUTER_REQUIRE_EHBP: a request body that is not sealed never reaches a handler. */
const requireSealedBody: MiddlewareHandler<AppEnv> = async (c, next) => {
  const hasBody =
    requestHeader(c, 'transfer-encoding') !== undefined || Number(requestHeader(c, 'content-length') ?? '0') > 0;
  if (hasBody && c.get('ehbp') === undefined) {
    throw new ApiError(
      400,
      'invalid_request_error',
      'ehbp_required',
      'This gateway accepts request bodies only sealed with EHBP (SAFEROUTER_REQUIRE_EHBP=1): fetch /.well-known/hpke-keys, verify it against the attestation, and seal the body (createSecureFetch in @saferouter/verify does both).',
    );
  }
  await next();
};

/** Paths with a fixed set of methods: anything else on them is a 405, not a 404. */
const allowedMethods = new Map<string, readonly string[]>([
  ['/v1/chat/completions', ['POST']],
  ['/v1/responses', ['POST']],
  ['/v1/generation', ['GET']],
  ['/v1/models', ['GET']],
  ['/v1/keys', ['GET', 'POST']],
  ['/v1/key', ['GET']],
  ['/v1/credits', ['GET']],
  ['/v1/credits/topup', ['POST']],
  ['/v1/activity', ['GET']],
  ['/v1/activity/stats', ['GET']],
  ['/v1/byok', ['GET', 'POST']],
  ['/health', ['GET']],
  ['/ready', ['GET']],
  ['/metrics', ['GET']],
  ['/openapi.json', ['GET']],
  ['/docs', ['GET']],
  ['/attestation/quote', ['POST', 'OPTIONS']],
  ['/.well-known/hpke-keys', ['GET', 'OPTIONS']],
  ['/attestation/verifying-key', ['GET', 'OPTIONS']],
]);

export function createApp(deps: GatewayDeps): Gateway {
  const clock = deps.clock ?? Date.now;
  const lifecycle = createLifecycle();
  const logger = deps.logger ?? silentLogger();
  // One line per request, with its chat fields taken from the activity entries metering records.
  const requestLog = createRequestLog({ logger });
  const auth = createKeyAuth({
    store: deps.store,
    adminKeyHash: deps.adminKeyHash,
    clock,
    logger,
    ...(deps.keyCacheTtlMs === undefined ? {} : { cacheTtlMs: deps.keyCacheTtlMs }),
  });
  const metrics = deps.metrics;
  const billing = createBilling({ store: metrics?.wrapBillingStore(deps.store.billing) ?? deps.store.billing, clock });
  const limiter = deps.limiter ?? createMemoryLimiter({ clock });
  const activity = createBatchWriter<ActivityEntry>((batch) => deps.store.activity.insertMany(batch), {
    what: 'activity entries',
    logger,
    flushIntervalMs: deps.activityFlushMs ?? 200,
  });
  const newId = (): string => timeOrderedId('act');
  const audit = deps.audit;
  // Receipts are kept for lookup off the request path: the client already holds its own.
  const receipts = createBatchWriter<ReceiptRecord>((batch) => deps.store.audit.putReceipts(batch), {
    what: 'receipts',
    logger,
    flushIntervalMs: deps.activityFlushMs ?? 200,
  });
  const evidence: Evidence | undefined =
    audit === undefined
      ? undefined
      : {
          issuer: audit.issuer,
          sample: audit.sample,
          keepReceipt: (record) => receipts.push(record),
          addSample: (sample) => deps.store.audit.addSample(sample),
        };
  const endpointStats = deps.endpointStats ?? createEndpointStats();
  // BYOK: provider keys sealed by clients to the attested sealing key (./byok.ts).
  const attestor = deps.attestor;
  const byok =
    attestor === undefined
      ? undefined
      : createByok({
          store: deps.store,
          measurement: attestor.measurement,
          // Read per use: a replica on Postgres adopts the deployment's sealing key at start.
          sealingPublicKey: () => attestor.sealingPublicKey,
          open: (enc, ciphertext, info) =>
            setupRecipient(
              (peer) => attestor.identity.sealingSharedSecret(peer),
              attestor.sealingPublicKey,
              enc,
              info,
            ).open(ciphertext),
          providers: () => deps.catalog.providers(),
          clock,
          warn: (message) => logger.warn(message),
        });
  const chat = requestLog.meter(
    createMeteredChat({
      catalog: deps.catalog,
      billing,
      limiter,
      activity: requestLog.activity(metrics?.wrapActivity(activity) ?? activity),
      clock,
      newId,
      evidence,
      userSecret: deps.userSecret,
      stats: endpointStats,
      keepAliveMs: deps.keepAliveMs,
      log: (message, err) => logger.error({ err }, message),
      byok: byok === undefined ? undefined : (keyId) => byok.ownKeys(keyId),
      byokFeeBasisPoints: deps.byokFeeBasisPoints,
    }),
  );
  // Receipts past their retention are dropped hourly.
  const retention =
    audit === undefined
      ? undefined
      : setInterval(() => {
          deps.store.audit
            .expireReceipts(clock() - audit.retentionDays * 86_400_000)
            .catch((err: unknown) => logger.error({ err }, 'receipts: expiring old receipts failed'));
        }, 3_600_000);
  retention?.unref();
  const app = new Hono<AppEnv>();

  // First: a graceful shutdown waits for everything that got this far.
  app.use('*', lifecycle.middleware);

  app.use('*', async (c, next) => {
    // Time-ordered (req_ + 32 hex), so the activity log's request_id index grows at its edge.
    const id = timeOrderedId('req');
    c.set('requestId', id);
    c.header('x-request-id', id);
    await next();
  });
  // Right after the id, before anything that can answer: every request gets its line.
  app.use('*', requestLog.middleware);
  app.use('*', async (c, next) => {
    const allowed = allowedMethods.get(c.req.path);
    if (
      allowed &&
      !allowed.includes(c.req.method) &&
      !(c.req.method === 'HEAD' && allowed.includes('GET')) &&
      !(isPreflight(c) && c.req.path.startsWith('/v1/'))
    ) {
      throw new ApiError(
        405,
        'invalid_request_error',
        'method_not_allowed',
        `Method ${c.req.method} is not allowed on ${c.req.path}. Allowed: ${allowed.join(', ')}.`,
        {
          allow: allowed.join(', '),
        },
      );
    }
    await next();
  });

  if (metrics !== undefined) {
    app.use('/v1/chat/completions', countInflight(metrics));
    app.use('/v1/responses', countInflight(metrics));
    app.route(
      '/',
      metricsRoutes({ metrics, requireAdmin: deps.metricsPublic === true ? undefined : auth.requireAdmin }),
    );
  }

  // Before EHBP and auth: a preflight carries neither a sealed body nor a key.
  app.use('/v1/*', apiCors(deps.corsOrigins ?? []));

  app.get('/health', (c) => c.json({ status: 'ok' }));
  app.route(
    '/',
    readyRoutes({
      checks: [{ name: deps.store.kind, check: () => deps.store.ping() }, ...(deps.readiness ?? [])],
      draining: () => lifecycle.draining,
      timeoutMs: deps.readyTimeoutMs,
    }),
  );
  const verifierFiles =
    deps.verifierFiles ?? (deps.verifierDir === undefined ? undefined : loadStaticFiles(deps.verifierDir));
  if (verifierFiles !== undefined) app.route('/verify', verifierRoutes(verifierFiles));
  // The document lists what this app serves, so it is built from the same deps.
  app.route(
    '/',
    docsRoutes({
      document: () =>
        buildOpenApiDocument({
          attestation: deps.attestor !== undefined,
          transparency: deps.startupLog !== undefined,
          audit: audit !== undefined,
          ehbp: deps.ehbp !== undefined,
          verifier: verifierFiles !== undefined,
          metrics: metrics === undefined ? 'off' : deps.metricsPublic === true ? 'public' : 'admin',
          dashboard: deps.dashboardFiles === undefined ? undefined : dashboardTops(deps.dashboardFiles),
        }),
      files: deps.docsFiles ?? new Map(),
    }),
  );

  // Public trust endpoints: anyone, from any origin, may check this gateway.
  if (deps.attestor !== undefined) {
    app.use(
      '/attestation/*',
      cors({
        origin: '*',
        allowMethods: ['GET', 'POST', 'OPTIONS'],
        allowHeaders: ['content-type'],
        exposeHeaders: ['x-request-id'],
      }),
    );
    app.route(
      '/attestation',
      attestationRoutes(
        deps.attestor,
        deps.startupLog && { vkey: deps.startupLog.key.verifier.vkey, index: deps.startupLog.index },
      ),
    );
  }
  if (deps.startupLog !== undefined) {
    if (deps.attestor === undefined) app.use('/attestation/*', cors({ origin: '*', allowMethods: ['GET', 'OPTIONS'] }));
    app.route(
      '/attestation/transparency',
      transparencyRoutes(deps.startupLog.reader, deps.startupLog.key.verifier.vkey),
    );
  }
  if (audit !== undefined) {
    app.route('/attestation/audit', transparencyRoutes(audit.log.reader, deps.startupLog?.key.verifier.vkey ?? ''));
  }

  const bodyLimit = deps.bodyLimitBytes ?? 4 * 1024 * 1024;
  if (deps.ehbp !== undefined) {
    const sealing = deps.ehbp;
    app.get(KEYS_PATH, hpkeKeysHandler(sealing.publicKey));
    app.options(KEYS_PATH, (c) =>
      c.body(null, 204, { 'access-control-allow-origin': '*', 'access-control-allow-methods': 'GET, OPTIONS' }),
    );
    // Before auth: a sealed request is opened (or refused) before anything else reads it, and
    // every answer to it, errors included, leaves sealed.
    app.use(
      '/v1/*',
      ehbp({
        dh: sealing.dh,
        publicKey: sealing.publicKey,
        replay: sealing.replay,
        maxBodyBytes: bodyLimit,
        // The sealed body: the plaintext limit plus framing and tags, read straight from Node.
        readBody: (c) => readRawBody(c as Context<AppEnv>, bodyLimit + 64 * 1024),
        // On every /v1 request, sealed or not: the Node header read, not Hono's web Headers.
        readHeader: (c, name) => requestHeader(c as Context<AppEnv>, name),
      }),
    );
    if (sealing.required) app.use('/v1/*', requireSealedBody);
  }

  const isKeysPath = (path: string): boolean => path === '/v1/keys' || path.startsWith('/v1/keys/');
  app.use('/v1/*', (c, next) => (isKeysPath(c.req.path) ? auth.requireAdmin(c, next) : auth.requireKey(c, next)));
  app.route('/v1', chatRoutes({ chat, bodyLimitBytes: bodyLimit }));
  app.route('/v1', responsesRoutes({ chat, bodyLimitBytes: bodyLimit, clock }));
  app.route('/v1', generationRoutes({ store: deps.store, flush: () => activity.flush() }));
  app.route('/v1', modelRoutes(deps.catalog));
  app.route('/v1', keyRoutes({ store: deps.store, billing, auth, clock }));
  app.route('/v1', ownKeyRoute(deps.store, { selfTopup: deps.selfTopup ?? false }));
  app.route('/v1', creditRoutes({ store: deps.store, billing, selfTopup: deps.selfTopup ?? false }));
  app.route('/v1', activityRoutes(deps.store, clock));
  app.route('/v1', receiptRoutes(deps.store, audit?.log.reader));
  if (byok !== undefined) app.route('/v1', byokRoutes(byok));
  // Last: the dashboard claims only `/`, its own files and its routes, never a path above.
  if (deps.dashboardFiles !== undefined) app.route('/', dashboardRoutes(deps.dashboardFiles));

  app.notFound(notFound);
  app.onError(handleError);

  return {
    app,
    auth,
    billing,
    activity,
    endpointStats,
    metrics,
    lifecycle,
    async close() {
      if (retention !== undefined) clearInterval(retention);
      requestLog.close();
      await auth.close();
      await activity.close();
      await receipts.close();
      if (deps.limiter === undefined) await limiter.close();
    },
  };
}
