/**
 * The gateway's structured log: pino, one JSON object a line on stdout, created once at start
 * (start.ts) and injected (`GatewayDeps.logger`); nothing here is module-level state.
 *
 * Secrets are kept out twice, because one layer is a list somebody has to remember to extend:
 *
 * 1. **Configured redaction** (pino's `redact`, see `REDACT_PATHS`): an `authorization` or
 *    `cookie` header, any `apiKey`, `key`, `secret`, `token`, `password`, `adminKey`, `logKey`,
 *    `userSecret`, connection URL or environment object in a logged object is replaced by
 *    `[redacted]` before it is serialized.
 * 2. **A last-line scrubber** (in front of the destination, see `createScrubber`): every finished
 *    line, message and error stack included, is searched for anything shaped like a secret (a
 *    SafeRouter key `sk-sr-…`, a `Bearer`/`Basic` credential, an `sk-…` provider key, a password
 *    in a URL) and for each secret this deployment was configured with (provider keys, the
 *    admin key, the log key: `LoggerOptions.secrets`); each is replaced by `[redacted]`. It works
 *    on the JSON text, so the line stays valid JSON and pretty output is scrubbed too.
 *
 * Pretty, human-readable output (pino-pretty) is only for a person at a terminal: `prettyStream()`
 * loads it on demand, and start.ts asks for it only when stdout is a TTY and no test runs.
 */
import pino, { type DestinationStream, type Logger } from 'pino';
import { batchedDestination } from './log-destination.js';
import type { LogLevel } from './log-level.js';

export type { Logger };
export { isLogLevel, LOG_LEVELS, type LogLevel } from './log-level.js';

/** What replaces a secret, in both layers. */
export const REDACTED = '[redacted]';

/**
 * Object paths whose values never reach the output (pino `redact`, fast-redact syntax). One
 * level of nesting covers `{ headers: { authorization } }` and `{ provider: { apiKey } }`; the
 * scrubber catches what a path list misses.
 */
export const REDACT_PATHS: readonly string[] = [
  'authorization',
  'cookie',
  'headers.authorization',
  'headers.cookie',
  'headers["x-api-key"]',
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  '*.authorization',
  '*.cookie',
  '*.headers.authorization',
  '*.headers["x-api-key"]',
  'apiKey',
  '*.apiKey',
  'providers[*].apiKey',
  'key',
  '*.key',
  'secret',
  '*.secret',
  'token',
  '*.token',
  'password',
  '*.password',
  'adminKey',
  '*.adminKey',
  'logKey',
  '*.logKey',
  'userSecret',
  '*.userSecret',
  'databaseUrl',
  '*.databaseUrl',
  'redisUrl',
  '*.redisUrl',
  'env',
  '*.env',
];

/**
 * Shapes of secrets, whoever's they are. Lookbehinds keep the label (`Bearer `, `postgres://`)
 * so a redacted line still says what was there.
 */
const SECRET_SHAPES: readonly string[] = [
  // A SafeRouter API key, whole or in part (a mistyped key is still a secret).
  String.raw`sk-sr-[A-Za-z0-9_-]+`,
  // Provider keys in the common `sk-…` shape (OpenAI, Anthropic, DeepSeek, …).
  String.raw`\bsk-[A-Za-z0-9_-]{16,}`,
  // An HTTP credential after its scheme, up to the end of the JSON string or the header value.
  String.raw`(?<=\b(?:bearer|basic)(?:\s|\\[nrt])+)[^\s"\\,;]+`,
  // The user:password part of a URL (postgres://user:pw@host, redis://:pw@host).
  String.raw`(?<=\b[a-z][a-z0-9+.-]*://)[^\s/@"]+(?=@)`,
];

/** Configured secrets shorter than this are not searched for (they would match ordinary text). */
export const MIN_SECRET_LENGTH = 8;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Every secret shape contains one of these: a line without any (most lines) skips the shapes'
 * regular expression, which costs ~3 µs on a 400-byte line against ~0.3 µs for this test.
 */
const MAY_HOLD_A_SHAPE = /sk-|bearer|basic|:\/\//i;

/**
 * The last-line scrubber: a function from a log line (JSON text) to the same line with every
 * secret-shaped string and every configured secret replaced by `[redacted]`. Configured secrets
 * are matched exactly; shapes in any case.
 *
 * @param secrets values this deployment holds (provider keys, the admin key, the log key);
 *   `undefined`, empty and shorter than `MIN_SECRET_LENGTH` ones are skipped.
 * @example
 * const scrub = createScrubber(['upstream-secret']);
 * scrub('{"msg":"Bearer sk-sr-abc upstream-secret"}'); // '{"msg":"Bearer [redacted] [redacted]"}'
 */
export function createScrubber(secrets: readonly (string | undefined)[] = []): (line: string) => string {
  const literals = new Set<string>();
  for (const secret of secrets) {
    if (secret === undefined || secret.length < MIN_SECRET_LENGTH) continue;
    // A line is JSON: the secret appears as it is encoded inside a JSON string.
    literals.add(JSON.stringify(secret).slice(1, -1));
  }
  // Longest first, so a secret containing another is replaced whole.
  const exact = [...literals].sort((a, b) => b.length - a.length);
  const configured = exact.length === 0 ? undefined : new RegExp(exact.map(escapeRegExp).join('|'), 'g');
  const shapes = new RegExp(SECRET_SHAPES.join('|'), 'gi');
  return (line) => {
    let out = line;
    if (configured !== undefined && exact.some((secret) => out.includes(secret)))
      out = out.replace(configured, REDACTED);
    if (MAY_HOLD_A_SHAPE.test(out)) out = out.replace(shapes, REDACTED);
    return out;
  };
}

export interface LoggerOptions {
  level: LogLevel;
  /** Where lines go; default stdout, in batches (see log-destination.ts), flushed at exit. */
  destination?: DestinationStream | undefined;
  /** Configured secrets the scrubber replaces wherever they appear (see `createScrubber`). */
  secrets?: readonly (string | undefined)[] | undefined;
}

/**
 * `destination` behind the scrubber: every line written to it, by pino or by a `lineWriter`,
 * passes `scrub` first. `flush` and `flushSync` go through, so `logger.flush()` still works.
 */
function scrubbing(destination: DestinationStream, scrub: (line: string) => string): DestinationStream {
  const target = destination as DestinationStream & { flush?: (cb?: () => void) => void; flushSync?: () => void };
  return Object.assign(
    { write: (line: string) => target.write(scrub(line)) },
    target.flush === undefined ? {} : { flush: (cb?: () => void) => target.flush?.(cb) },
    target.flushSync === undefined ? {} : { flushSync: () => target.flushSync?.() },
  );
}

/**
 * The gateway's logger: JSON lines at `level`, both redaction layers on.
 *
 * @example
 * const logger = createLogger({ level: 'info', secrets: [env.SAFEROUTER_ADMIN_KEY] });
 * logger.info({ reqId, status: 200 }, 'request');
 */
export function createLogger(options: LoggerOptions): Logger {
  const scrub = createScrubber(options.secrets);
  return pino(
    { level: options.level, redact: { paths: [...REDACT_PATHS], censor: REDACTED } },
    scrubbing(options.destination ?? batchedDestination(), scrub),
  );
}

/** The fields of a fixed-shape line: flat, with values that are not secret. */
export type LineFields = Record<string, string | number | boolean | null | undefined>;

/**
 * A writer for lines of one fixed shape, built only from fields that are not secret (the request
 * line, one per request): the same line pino would write for `logger[level](fields, msg)` — its
 * level number, time, pid and hostname (and a child's bindings), the fields, then `msg` — into
 * the same destination, so through the same scrubber; but serialized by one `JSON.stringify`
 * instead of pino's per-key serializer and redaction, which cost ~10 µs per request line under
 * load (CPU profiles, `pnpm bench` with BENCH_SECOND=quiet). It applies no redact paths: the
 * shape has none of the redacted fields (a test pins both properties).
 *
 * @example
 * const requestLine = lineWriter(logger, 'request');
 * requestLine('info', { reqId, status: 200 });
 */
export function lineWriter(
  logger: Logger,
  msg: string,
): (level: 'debug' | 'info' | 'warn', fields: LineFields) => void {
  const internals = logger as unknown as Record<symbol, unknown>;
  const stream = internals[pino.symbols.streamSym] as DestinationStream;
  const bindings = internals[pino.symbols.chindingsSym] as string;
  const tail = `"msg":${JSON.stringify(msg)}}\n`;
  return (level, fields) => {
    if (!logger.isLevelEnabled(level)) return;
    const body = JSON.stringify(fields);
    const head = `{"level":${logger.levels.values[level] ?? 30},"time":${Date.now()}${bindings},`;
    stream.write(body.length > 2 ? `${head}${body.slice(1, -1)},${tail}` : `${head}${tail}`);
  };
}

/** A logger that writes nothing: `createApp`'s default, so unit tests stay quiet. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/**
 * Human-readable lines on stdout (pino-pretty), for an operator at a terminal. Loaded on demand,
 * so a production start (stdout not a TTY) never loads it; lines reach it already scrubbed.
 */
export async function prettyStream(): Promise<DestinationStream> {
  const { default: pretty } = await import('pino-pretty');
  return pretty({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', sync: true });
}

/** Whether start.ts asks for pretty output: stdout is a terminal, and no test runner is running. */
export function wantsPretty(stdout: { isTTY?: boolean | undefined }, env: Record<string, string | undefined>): boolean {
  return stdout.isTTY === true && env.VITEST === undefined && env.NODE_ENV !== 'test';
}

/** What `configuredSecrets` reads: the parts of the gateway's config that hold or name secrets. */
export interface SecretSources {
  adminKey?: string | undefined;
  logKey?: string | undefined;
  userSecret?: Uint8Array | undefined;
  databaseUrl?: string | undefined;
  redisUrl?: string | undefined;
  catalog: { providers: readonly { apiKeyEnv: string | undefined; headers: Record<string, string> }[] };
}

/** Header names whose values a provider entry may use for credentials. */
const SECRET_HEADER = /auth|key|token|secret|cookie|signature/i;

/**
 * Every secret this deployment was configured with, for the scrubber: the admin key, the log
 * key, the user pseudonym secret (as given and as base64), each provider's API key (read from
 * the variable its `apiKeyEnv` names), credential-like provider header values, and the passwords
 * in the database and Redis URLs.
 *
 * @example createLogger({ level: config.logLevel, secrets: configuredSecrets(config, process.env) });
 */
export function configuredSecrets(config: SecretSources, env: Record<string, string | undefined>): string[] {
  const secrets = [config.adminKey, config.logKey, env.SAFEROUTER_USER_SECRET?.trim()];
  if (config.userSecret !== undefined) secrets.push(Buffer.from(config.userSecret).toString('base64'));
  for (const provider of config.catalog.providers) {
    if (provider.apiKeyEnv !== undefined) secrets.push(env[provider.apiKeyEnv]);
    for (const [name, value] of Object.entries(provider.headers)) if (SECRET_HEADER.test(name)) secrets.push(value);
  }
  for (const url of [config.databaseUrl, config.redisUrl]) {
    if (url === undefined) continue;
    try {
      const password = new URL(url).password;
      secrets.push(password, decodeURIComponent(password));
    } catch {
      // Not a URL the scrubber's URL shape would see either; the driver will refuse it.
    }
  }
  return secrets.filter((s): s is string => s !== undefined && s !== '');
}
