// The logger's two redaction layers (configured `redact` paths, and the last-line scrubber), the
// secrets a config contributes, and SAFEROUTER_LOG_LEVEL.
import { describe, expect, it } from 'vitest';
import { ConfigError, parseCatalogConfig } from '@saferouter/router';
import { generateApiKey } from '@saferouter/store';
import { loadGatewayConfig } from './config.js';
import {
  configuredSecrets,
  createLogger,
  createScrubber,
  lineWriter,
  LOG_LEVELS,
  REDACTED,
  wantsPretty,
  type LogLevel,
} from './logger.js';

const PROVIDER_KEY = 'upstream-secret-do-not-leak';
const ADMIN_KEY = 'sk-sr-admin-unit-0123456789abcdefghijklmnopqrstuvw';
const LOG_KEY = 'PRIVATE+KEY+e2e.test/saferouter/startup+1a2b3c4d+AaBbCcDdEeFfGgHhIiJjKkLlMmNnOoPpQqRrSsTtUuVvWwXx';

function capture(level: LogLevel = 'trace', secrets: readonly string[] = []) {
  const lines: string[] = [];
  const logger = createLogger({ level, destination: { write: (line) => void lines.push(line) }, secrets });
  return { logger, lines, text: () => lines.join('') };
}

describe('configured redaction (pino redact paths)', () => {
  it('replaces credential fields wherever the paths say, and keeps the rest', () => {
    const { logger, lines } = capture();
    logger.info(
      {
        reqId: 'req_1',
        authorization: 'a-plain-value-1',
        headers: { authorization: 'a-plain-value-2', cookie: 'a-plain-value-3', 'x-api-key': 'a-plain-value-4' },
        req: { headers: { authorization: 'a-plain-value-5' } },
        provider: { id: 'up', apiKey: 'a-plain-value-6' },
        providers: [{ id: 'up', apiKey: 'a-plain-value-7' }],
        config: {
          adminKey: 'a-plain-value-8',
          logKey: 'a-plain-value-9',
          databaseUrl: 'a-plain-value-10',
          redisUrl: 'a-plain-value-11',
        },
        adminKey: 'a-plain-value-12',
        logKey: 'a-plain-value-13',
        key: 'a-plain-value-14',
        secret: 'a-plain-value-15',
        token: 'a-plain-value-16',
        env: { FAKE_UP_KEY: 'a-plain-value-17' },
        user: { password: 'a-plain-value-18', secret: 'a-plain-value-19' },
      },
      'request',
    );
    const line = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(lines.join('')).not.toMatch(/a-plain-value/);
    expect(line).toMatchObject({
      reqId: 'req_1',
      authorization: REDACTED,
      headers: { authorization: REDACTED, cookie: REDACTED, 'x-api-key': REDACTED },
      req: { headers: { authorization: REDACTED } },
      provider: { id: 'up', apiKey: REDACTED },
      providers: [{ id: 'up', apiKey: REDACTED }],
      config: { adminKey: REDACTED, logKey: REDACTED, databaseUrl: REDACTED, redisUrl: REDACTED },
      adminKey: REDACTED,
      env: REDACTED,
      user: { password: REDACTED, secret: REDACTED },
      msg: 'request',
    });
  });
});

describe('lineWriter (the request line)', () => {
  const fields = {
    reqId: 'req_2',
    method: 'POST',
    path: '/v1/chat/completions',
    keyId: 'key_1',
    status: 200,
    latencyMs: 12.5,
    costUsd: '0.000017',
    stream: true,
    error: null,
    note: 'quote " backslash \\ newline \n é ✓',
  };
  const withoutTime = (line: string): Record<string, unknown> => {
    const { time, ...rest } = JSON.parse(line) as Record<string, unknown>;
    expect(typeof time).toBe('number');
    return rest;
  };

  it('writes the line pino writes for the same fields and message, child bindings included', () => {
    const { logger, lines } = capture('info');
    for (const target of [logger, logger.child({ worker: 3 })]) {
      lines.length = 0;
      target.info(fields, 'request');
      lineWriter(target, 'request')('info', fields);
      expect(lines).toHaveLength(2);
      expect(withoutTime(lines[1]!)).toEqual(withoutTime(lines[0]!));
      expect(Object.keys(JSON.parse(lines[1]!) as object)).toEqual(Object.keys(JSON.parse(lines[0]!) as object));
      expect(lines[1]!.endsWith('\n')).toBe(true);
    }
  });

  it('goes through the scrubber, honours the level, and writes an empty shape', () => {
    const { logger, lines, text } = capture('info', [PROVIDER_KEY]);
    const line = lineWriter(logger, 'request');
    line('info', { reqId: 'req_3', error: `upstream said ${PROVIDER_KEY} and Bearer ${ADMIN_KEY}` });
    line('debug', { reqId: 'req_4' });
    line('warn', {});
    expect(lines).toHaveLength(2);
    expect(text()).not.toContain(PROVIDER_KEY);
    expect(text()).not.toContain(ADMIN_KEY);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 30, reqId: 'req_3', msg: 'request' });
    expect(JSON.parse(lines[1]!)).toMatchObject({ level: 40, msg: 'request' });
  });
});

describe('the last-line scrubber', () => {
  const userKey = generateApiKey().secret;

  it('replaces every secret shape, in the message, in fields and in error stacks', () => {
    const { logger, text } = capture('trace', [PROVIDER_KEY]);
    const forms = [
      userKey,
      `Bearer ${userKey}`,
      `bearer ${PROVIDER_KEY}`,
      'Bearer opaque.jwt.token-value',
      'Basic dXNlcjpwYXNzd29yZA==',
      userKey.slice(0, 20), // part of a key
      'sk-sr-typo', // a mistyped key is still a secret
      'sk-proj-abcdefghijklmnopqrstuvwx', // an OpenAI-shaped provider key
      'postgres://saferouter:pg-password-123@db:5432/saferouter',
      'redis://:redis-password-456@cache:6379',
      PROVIDER_KEY,
    ];
    for (const form of forms) {
      logger.info(`message with ${form} inside`);
      logger.info({ detail: form, nested: { deeper: [form] } }, 'field');
      logger.error({ err: new Error(`failed with ${form}`) }, 'error');
    }
    const out = text();
    for (const needle of [
      userKey,
      userKey.slice(0, 20),
      'sk-sr-typo',
      PROVIDER_KEY,
      'opaque.jwt.token-value',
      'dXNlcjpwYXNzd29yZA',
      'sk-proj-abcdefghijklmnopqrstuvwx',
      'pg-password-123',
      'redis-password-456',
    ]) {
      expect(out).not.toContain(needle);
    }
    // What was there stays readable, and every line is still JSON.
    expect(out).toContain(`Bearer ${REDACTED}`);
    expect(out).toContain(`postgres://${REDACTED}@db:5432/saferouter`);
    for (const line of out.trim().split('\n')) expect(() => JSON.parse(line) as unknown).not.toThrow();
  });

  it('finds configured secrets as JSON encodes them, whatever characters they hold', () => {
    const odd = 'quote"back\\slash\ttab-secret';
    const { logger, text } = capture('trace', [odd, ADMIN_KEY, LOG_KEY]);
    logger.info({ value: odd, admin: `key ${ADMIN_KEY}`, log: LOG_KEY }, `all of them: ${odd} ${LOG_KEY}`);
    const out = text();
    expect(out).not.toContain(JSON.stringify(odd).slice(1, -1));
    expect(out).not.toContain(ADMIN_KEY);
    expect(out).not.toContain(LOG_KEY);
    expect(out).not.toContain('PRIVATE+KEY');
    expect(JSON.parse(out)).toMatchObject({ value: REDACTED, log: REDACTED });
  });

  it('skips configured values too short to be secrets, and leaves ordinary text alone', () => {
    const scrub = createScrubber(['short', undefined, '']);
    const line = '{"msg":"short request to /v1/models answered 200 for key_0123456789abcdef"}';
    expect(scrub(line)).toBe(line);
  });

  it('replaces a secret that contains another one whole', () => {
    const scrub = createScrubber(['abcdefgh', 'abcdefgh-and-more']);
    expect(scrub('{"msg":"abcdefgh-and-more"}')).toBe(`{"msg":"${REDACTED}"}`);
  });
});

describe('configuredSecrets', () => {
  it('collects the admin key, the log key, provider keys, credential headers and URL passwords', () => {
    const catalog = parseCatalogConfig({
      providers: [
        { id: 'up', baseUrl: 'http://up.invalid/v1', apiKeyEnv: 'FAKE_UP_KEY' },
        {
          id: 'hdr',
          baseUrl: 'http://hdr.invalid/v1',
          headers: { 'x-api-key': 'header-secret-value', 'http-referer': 'https://saferouter.example' },
        },
      ],
      models: [],
    });
    const secrets = configuredSecrets(
      {
        adminKey: ADMIN_KEY,
        logKey: LOG_KEY,
        databaseUrl: 'postgres://u:p%40ss-word@db/x',
        redisUrl: undefined,
        catalog,
      },
      { FAKE_UP_KEY: PROVIDER_KEY },
    );
    expect(secrets).toEqual(
      expect.arrayContaining([ADMIN_KEY, LOG_KEY, PROVIDER_KEY, 'header-secret-value', 'p%40ss-word', 'p@ss-word']),
    );
    expect(secrets).not.toContain('https://saferouter.example');
  });

  it('collects the user pseudonym secret, as given and as base64', () => {
    const userSecret = new Uint8Array(32).fill(7);
    const encoded = Buffer.from(userSecret).toString('base64');
    const secrets = configuredSecrets(
      { userSecret, catalog: parseCatalogConfig({ providers: [], models: [] }) },
      { SAFEROUTER_USER_SECRET: ` ${encoded}\n` },
    );
    expect(secrets.filter((s) => s === encoded)).toHaveLength(2);
    const scrub = createScrubber(secrets);
    expect(scrub(`{"msg":"env ${encoded}"}`)).toBe(`{"msg":"env ${REDACTED}"}`);
  });
});

describe('SAFEROUTER_LOG_LEVEL', () => {
  const base = { SAFEROUTER_DATA_DIR: '/tmp/sr-logger-test' };

  it('defaults to info and takes every pino level and silent, in any case', () => {
    expect(loadGatewayConfig(base).logLevel).toBe('info');
    for (const level of LOG_LEVELS) {
      expect(loadGatewayConfig({ ...base, SAFEROUTER_LOG_LEVEL: level }).logLevel).toBe(level);
      expect(loadGatewayConfig({ ...base, SAFEROUTER_LOG_LEVEL: ` ${level.toUpperCase()} ` }).logLevel).toBe(level);
    }
  });

  it('stops the start on anything else, naming the variable', () => {
    for (const raw of ['verbose', 'warning', '30', 'info,debug', 'off']) {
      const fails = (): unknown => loadGatewayConfig({ ...base, SAFEROUTER_LOG_LEVEL: raw });
      expect(fails, raw).toThrow(ConfigError);
      expect(fails, raw).toThrow(/SAFEROUTER_LOG_LEVEL/);
    }
  });

  it('filters lines below the level; silent writes nothing', () => {
    const warn = capture('warn');
    warn.logger.info('quiet');
    warn.logger.warn('loud');
    expect(warn.lines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(['loud']);
    const silent = capture('silent');
    silent.logger.fatal('nothing');
    expect(silent.lines).toEqual([]);
  });
});

describe('pretty output', () => {
  it('only at a terminal, and never under a test runner', () => {
    expect(wantsPretty({ isTTY: true }, {})).toBe(true);
    expect(wantsPretty({ isTTY: false }, {})).toBe(false);
    expect(wantsPretty({}, {})).toBe(false);
    expect(wantsPretty({ isTTY: true }, { VITEST: 'true' })).toBe(false);
    expect(wantsPretty({ isTTY: true }, { NODE_ENV: 'test' })).toBe(false);
  });
});
