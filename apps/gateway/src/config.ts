/**
 * Reads the operator's environment into a typed config, once, at start. The catalog comes from
 * the JSON file named by `SAFEROUTER_CONFIG`, or the built-in default; a bad file stops the start
 * with an error that names the field.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism, homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseCorsOrigins, type CorsOrigins } from './cors-origins.js';
import { ConfigError, defaultCatalogConfig, parseCatalogConfig, type CatalogConfig } from '@saferouter/router';
import type { DestinationStream } from 'pino';
import { isLogLevel, LOG_LEVELS, type LogLevel } from './log-level.js';
import { decodeUserSecret } from './user-secret.js';

export interface GatewayConfig {
  port: number;
  host: string;
  dataDir: string;
  adminKey: string | undefined;
  configPath: string | undefined;
  catalog: CatalogConfig;
  bodyLimitBytes: number;
  connectTimeoutMs: number;
  firstByteTimeoutMs: number;
  /** Postgres URL; absent means SQLite under dataDir. */
  databaseUrl: string | undefined;
  /** Redis URL for per-key limits shared by replicas; absent means in-memory limits. */
  redisUrl: string | undefined;
  selfTopup: boolean;
  /**
   * Pause between the built-in demo model's stream chunks (SAFEROUTER_DEMO_CHUNK_DELAY_MS), so a
   * browser shows tokens arriving and a Stop button has something to stop. `loadGatewayConfig`
   * defaults it to 40 ms; absent or 0 (the tests' config): no pause.
   */
  demoChunkDelayMs?: number | undefined;
  /**
   * SAFEROUTER_STREAM_KEEPALIVE_MS: silence after which a stream gets a `: SAFEROUTER PROCESSING`
   * comment (and again after each such gap). Default 15 000.
   */
  keepAliveMs?: number | undefined;
  /**
   * SAFEROUTER_WORKERS: HTTP worker processes on one port (`auto`: one per CPU). More than one
   * needs Postgres (`DATABASE_URL`): on SQLite one process owns the database and the holds.
   * Default 1 (no cluster).
   */
  workers?: number | undefined;
  /** SAFEROUTER_REQUIRE_EHBP=1: request bodies on /v1/* must come sealed with EHBP. */
  requireEhbp?: boolean | undefined;
  /** SAFEROUTER_METRICS_PUBLIC=1: `GET /metrics` without the admin key. Default false. */
  metricsPublic?: boolean | undefined;
  /** SAFEROUTER_METRICS=0: no `/metrics` and no counting (default on; the bench compares both). */
  metrics?: boolean | undefined;
  /** SAFEROUTER_LOG_LEVEL: trace, debug, info, warn, error, fatal or silent; default info. */
  logLevel?: LogLevel | undefined;
  /**
   * Where log lines go instead of stdout (tests capture them here). Not read from the
   * environment: an operator's logs go to stdout, and the supervisor keeps them.
   */
  logDestination?: DestinationStream | undefined;
  /** configfs-tsm report root (SAFEROUTER_TSM_ROOT); default /sys/kernel/config/tsm/report. */
  tsmRoot: string | undefined;
  /**
   * The file measured as the gateway's binary (SAFEROUTER_MEASURED_BINARY); default the running
   * entry file, which for `pnpm start` is the deterministic bundle dist/server.mjs.
   */
  measuredBinary: string | undefined;
  /** Deployment name recorded in the transparency log (SAFEROUTER_AUDIENCE); default the host name. */
  audience: string | undefined;
  /**
   * C2SP signer key for the startup and audit logs' checkpoints (SAFEROUTER_LOG_KEY). Optional on
   * SQLite (one is generated on the first start and kept in the database, see log-key.ts);
   * required with DATABASE_URL, where replicas share one log.
   */
  logKey: string | undefined;
  /**
   * The secret `user` pseudonyms are keyed with (SAFEROUTER_USER_SECRET, 32 bytes in base64);
   * absent: generated on the first start and kept in the database (see user-secret.ts).
   */
  userSecret?: Uint8Array | undefined;
  /** Share of requests committed to the audit log (SAFEROUTER_AUDIT_RATE), 0 to 1; default 0.05. */
  auditRate: number;
  /** How long receipts are kept for lookup (SAFEROUTER_RECEIPT_RETENTION_DAYS); default 30. */
  receiptRetentionDays: number;
  /**
   * The built verifier page served at `/verify/` (SAFEROUTER_VERIFIER_DIR); absent: apps/verifier's
   * `dist/` next to the gateway's own (see `defaultVerifierDir`).
   */
  verifierDir?: string | undefined;
  /**
   * The built dashboard served at `/` (SAFEROUTER_DASHBOARD_DIR); absent: apps/dashboard's
   * `dist/` next to the gateway's own (see `defaultDashboardDir`).
   */
  dashboardDir?: string | undefined;
  /**
   * PEM files the gateway serves HTTPS with (SAFEROUTER_TLS_CERT, SAFEROUTER_TLS_KEY), both or
   * neither: TLS then ends inside the attested build, and quotes bind the certificate's key.
   * Absent: plain HTTP. The files are read, and checked to match, at start (`loadTls`).
   */
  tls?: { certPath: string; keyPath: string } | undefined;
  /**
   * SAFEROUTER_DRAIN_MS: on SIGTERM/SIGINT, how long requests and streams in flight may run
   * before they are ended (./shutdown.ts). Default 30 000.
   */
  drainMs?: number | undefined;
  /** SAFEROUTER_CORS_ORIGINS: origins a browser may call `/v1/*` from, or `*`; default none. */
  corsOrigins?: CorsOrigins | undefined;
  /**
   * SAFEROUTER_BYOK_FEE_PERCENT, in basis points (1/100 %): what a request served with the
   * caller's own provider key (BYOK) costs, as a share of what it would cost on the gateway's key.
   * Default 0 (free).
   */
  byokFeeBasisPoints?: number | undefined;
  /** SAFEROUTER_KEY_RELEASE_TIMEOUT_MS: how long a replica on Postgres waits for the deployment sealing key (default 30 000). */
  keyReleaseTimeoutMs?: number | undefined;
}

/** SAFEROUTER_TLS_CERT and SAFEROUTER_TLS_KEY: both paths, or neither. */
function tlsFrom(env: Record<string, string | undefined>): GatewayConfig['tls'] {
  const cert = env.SAFEROUTER_TLS_CERT || undefined;
  const key = env.SAFEROUTER_TLS_KEY || undefined;
  if (cert === undefined && key === undefined) return undefined;
  if (key === undefined)
    throw new ConfigError(
      'SAFEROUTER_TLS_KEY',
      'required with SAFEROUTER_TLS_CERT: the private key of that certificate',
    );
  if (cert === undefined)
    throw new ConfigError(
      'SAFEROUTER_TLS_CERT',
      'required with SAFEROUTER_TLS_KEY: the certificate (PEM) for that key',
    );
  return { certPath: resolve(cert), keyPath: resolve(key) };
}

/** A number in [0, 1], like `0.05` or `1`. */
function rateFrom(env: Record<string, string | undefined>, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = /^\s*(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?\s*$/i.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new ConfigError(name, `expected a number from 0 to 1, got '${raw}'`);
  return n;
}

function intFrom(env: Record<string, string | undefined>, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new ConfigError(name, `expected a non-negative integer, got '${raw}'`);
  return n;
}

function positiveIntFrom(env: Record<string, string | undefined>, name: string, fallback: number): number {
  const n = intFrom(env, name, fallback);
  if (n < 1) throw new ConfigError(name, `expected a whole number of at least 1, got '${env[name] ?? ''}'`);
  return n;
}

/** Most worker processes accepted: far more than the cores of any machine this runs on. */
const MAX_WORKERS = 64;

/**
 * SAFEROUTER_WORKERS: `auto` (one per CPU) or 1 to 64; default 1. More than one needs
 * DATABASE_URL: on SQLite one process owns the database file and keeps the holds in its memory,
 * so several processes could not keep admission exact. That is refused, not worked around by
 * forwarding every money operation to one process (which would put the single process back on
 * the hot path and gain nothing over one worker).
 */
function workersFrom(env: Record<string, string | undefined>): number {
  const name = 'SAFEROUTER_WORKERS';
  const raw = env[name]?.trim() ?? '';
  if (raw === '') return 1;
  const n = raw === 'auto' ? availableParallelism() : /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_WORKERS) {
    throw new ConfigError(name, `expected 'auto' or a whole number from 1 to ${MAX_WORKERS}, got '${raw}'`);
  }
  if (n > 1 && !env.DATABASE_URL) {
    throw new ConfigError(
      name,
      `${n} workers need DATABASE_URL (Postgres): on SQLite one process owns the database and the holds, so run one worker (SAFEROUTER_WORKERS=1) or use Postgres`,
    );
  }
  return n;
}

/**
 * A strict on/off switch: `1`, `0`, or unset (or empty) for off; anything else stops the start,
 * so a `true` or `yes` meant to open something is not silently read as off.
 */
function switchFrom(env: Record<string, string | undefined>, name: string): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '' || raw === '0') return false;
  if (raw === '1') return true;
  throw new ConfigError(name, `expected 1 (on) or 0 (off), got '${raw}'`);
}

/** SAFEROUTER_LOG_LEVEL: one of `LOG_LEVELS`, any case; default info. */
function logLevelFrom(env: Record<string, string | undefined>): LogLevel {
  const name = 'SAFEROUTER_LOG_LEVEL';
  const raw = env[name]?.trim().toLowerCase() ?? '';
  if (raw === '') return 'info';
  if (!isLogLevel(raw)) throw new ConfigError(name, `expected one of ${LOG_LEVELS.join(', ')}, got '${env[name]}'`);
  return raw;
}

/** SAFEROUTER_DRAIN_MS: whole milliseconds, 0 (end everything at once) to one hour; default 30 000. */
function drainMsFrom(env: Record<string, string | undefined>): number {
  const name = 'SAFEROUTER_DRAIN_MS';
  const raw = env[name]?.trim() ?? '';
  if (raw === '') return 30_000;
  const ms = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(ms <= 3_600_000))
    throw new ConfigError(name, `expected whole milliseconds from 0 to 3600000, got '${env[name]}'`);
  return ms;
}

/** SAFEROUTER_DEMO_CHUNK_DELAY_MS: 0 to 10000 ms, default 40. */
function demoChunkDelayFrom(env: Record<string, string | undefined>): number {
  const name = 'SAFEROUTER_DEMO_CHUNK_DELAY_MS';
  const ms = intFrom(env, name, 40);
  if (ms > 10_000) throw new ConfigError(name, `expected at most 10000 ms, got ${ms}`);
  return ms;
}

/**
 * SAFEROUTER_BYOK_FEE_PERCENT: a percentage from 0 to 100 with at most two decimals (`2.5`,
 * `0.25`), returned in basis points so no float reaches the money math; default 0.
 */
export function byokFeeFrom(env: Record<string, string | undefined>): number {
  const name = 'SAFEROUTER_BYOK_FEE_PERCENT';
  const raw = env[name]?.trim() ?? '';
  if (raw === '') return 0;
  const m = /^(\d{1,3})(?:\.(\d{1,2}))?$/.exec(raw);
  const bp = m === null ? Number.NaN : Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
  if (!(bp <= 10_000))
    throw new ConfigError(name, `expected a percentage from 0 to 100 with at most two decimals, got '${env[name]}'`);
  return bp;
}

function userSecretFrom(env: Record<string, string | undefined>): Uint8Array | undefined {
  const raw = env.SAFEROUTER_USER_SECRET;
  if (raw === undefined || raw === '') return undefined;
  const secret = decodeUserSecret(raw);
  // The value is a secret: the message describes it, never repeats it.
  if (secret === undefined)
    throw new ConfigError(
      'SAFEROUTER_USER_SECRET',
      `expected 32 bytes in base64 (44 characters, e.g. from \`openssl rand -base64 32\`), got ${raw.trim().length} characters that are not that`,
    );
  return secret;
}

/** Loads the catalog the way the gateway does: `SAFEROUTER_CONFIG` or the default catalog. */
export function loadCatalogConfig(path: string | undefined): CatalogConfig {
  if (path === undefined || path === '') return defaultCatalogConfig;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(
      'SAFEROUTER_CONFIG',
      `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ConfigError('SAFEROUTER_CONFIG', `${path} is not valid JSON: ${(err as Error).message}`);
  }
  return parseCatalogConfig(json);
}

export function loadGatewayConfig(env: Record<string, string | undefined>): GatewayConfig {
  const port = intFrom(env, 'PORT', 8080);
  if (port > 65535) throw new ConfigError('PORT', `must be at most 65535, got ${port}`);
  if (env.DATABASE_URL && !env.SAFEROUTER_LOG_KEY) {
    throw new ConfigError(
      'SAFEROUTER_LOG_KEY',
      'required with DATABASE_URL: replicas share one transparency log, so they must sign its checkpoints with one key. Generate one with `pnpm -s saferouter-tlog keygen <name>` and give every replica the same value',
    );
  }
  const configPath =
    env.SAFEROUTER_CONFIG === undefined || env.SAFEROUTER_CONFIG === '' ? undefined : resolve(env.SAFEROUTER_CONFIG);
  return {
    port,
    host: env.HOST ?? '0.0.0.0',
    dataDir: resolve(env.SAFEROUTER_DATA_DIR || join(homedir(), '.saferouter')),
    adminKey: env.SAFEROUTER_ADMIN_KEY,
    configPath,
    catalog: loadCatalogConfig(configPath),
    bodyLimitBytes: intFrom(env, 'SAFEROUTER_BODY_LIMIT', 4 * 1024 * 1024),
    connectTimeoutMs: intFrom(env, 'SAFEROUTER_CONNECT_TIMEOUT_MS', 10_000),
    firstByteTimeoutMs: intFrom(env, 'SAFEROUTER_FIRST_BYTE_TIMEOUT_MS', 60_000),
    databaseUrl: env.DATABASE_URL || undefined,
    redisUrl: env.REDIS_URL || undefined,
    selfTopup: env.SAFEROUTER_SELF_TOPUP === '1' || env.SAFEROUTER_SELF_TOPUP === 'true',
    demoChunkDelayMs: demoChunkDelayFrom(env),
    keepAliveMs: positiveIntFrom(env, 'SAFEROUTER_STREAM_KEEPALIVE_MS', 15_000),
    workers: workersFrom(env),
    requireEhbp: env.SAFEROUTER_REQUIRE_EHBP === '1' || env.SAFEROUTER_REQUIRE_EHBP === 'true',
    metricsPublic: switchFrom(env, 'SAFEROUTER_METRICS_PUBLIC'),
    metrics:
      env.SAFEROUTER_METRICS === undefined || env.SAFEROUTER_METRICS === ''
        ? true
        : switchFrom(env, 'SAFEROUTER_METRICS'),
    logLevel: logLevelFrom(env),
    tsmRoot: env.SAFEROUTER_TSM_ROOT || undefined,
    measuredBinary: env.SAFEROUTER_MEASURED_BINARY ? resolve(env.SAFEROUTER_MEASURED_BINARY) : undefined,
    audience: env.SAFEROUTER_AUDIENCE || undefined,
    logKey: env.SAFEROUTER_LOG_KEY || undefined,
    userSecret: userSecretFrom(env),
    auditRate: rateFrom(env, 'SAFEROUTER_AUDIT_RATE', 0.05),
    receiptRetentionDays: positiveIntFrom(env, 'SAFEROUTER_RECEIPT_RETENTION_DAYS', 30),
    verifierDir: env.SAFEROUTER_VERIFIER_DIR ? resolve(env.SAFEROUTER_VERIFIER_DIR) : undefined,
    dashboardDir: env.SAFEROUTER_DASHBOARD_DIR ? resolve(env.SAFEROUTER_DASHBOARD_DIR) : undefined,
    tls: tlsFrom(env),
    drainMs: drainMsFrom(env),
    corsOrigins: parseCorsOrigins(env.SAFEROUTER_CORS_ORIGINS),
    byokFeeBasisPoints: byokFeeFrom(env),
    keyReleaseTimeoutMs: positiveIntFrom(env, 'SAFEROUTER_KEY_RELEASE_TIMEOUT_MS', 30_000),
  };
}
