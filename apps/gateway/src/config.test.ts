// The environment as the gateway reads it at start: the audit, receipt and demo pacing settings.
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '@saferouter/router';
import { loadGatewayConfig } from './config.js';

const base = { SAFEROUTER_DATA_DIR: '/tmp/sr-config-test' };

describe('SAFEROUTER_AUDIT_RATE', () => {
  it('defaults to 0.05 and takes any value from 0 to 1', () => {
    expect(loadGatewayConfig(base).auditRate).toBe(0.05);
    for (const [raw, value] of [
      ['0', 0],
      ['1', 1],
      ['0.5', 0.5],
      ['.25', 0.25],
      ['1e-2', 0.01],
      ['1.0', 1],
    ] as const) {
      expect(loadGatewayConfig({ ...base, SAFEROUTER_AUDIT_RATE: raw }).auditRate).toBe(value);
    }
  });

  it('stops the start on anything else, naming the variable', () => {
    for (const raw of ['-0.1', '1.01', '2', 'abc', '5%', 'NaN', 'Infinity', '0x1', '0,5']) {
      const fails = (): unknown => loadGatewayConfig({ ...base, SAFEROUTER_AUDIT_RATE: raw });
      expect(fails, raw).toThrow(ConfigError);
      expect(fails, raw).toThrow(/SAFEROUTER_AUDIT_RATE/);
    }
  });
});

describe('SAFEROUTER_RECEIPT_RETENTION_DAYS', () => {
  it('defaults to 30; 0 or junk stops the start, naming the variable', () => {
    expect(loadGatewayConfig(base).receiptRetentionDays).toBe(30);
    expect(loadGatewayConfig({ ...base, SAFEROUTER_RECEIPT_RETENTION_DAYS: '7' }).receiptRetentionDays).toBe(7);
    for (const raw of ['0', '-1', 'x', '1.5']) {
      expect(() => loadGatewayConfig({ ...base, SAFEROUTER_RECEIPT_RETENTION_DAYS: raw }), raw).toThrow(
        /SAFEROUTER_RECEIPT_RETENTION_DAYS/,
      );
    }
  });
});

describe('SAFEROUTER_DEMO_CHUNK_DELAY_MS', () => {
  it('defaults to 40 ms (demo streams a browser can watch); 0 turns the pacing off', () => {
    expect(loadGatewayConfig(base).demoChunkDelayMs).toBe(40);
    expect(loadGatewayConfig({ ...base, SAFEROUTER_DEMO_CHUNK_DELAY_MS: '' }).demoChunkDelayMs).toBe(40);
    expect(loadGatewayConfig({ ...base, SAFEROUTER_DEMO_CHUNK_DELAY_MS: '0' }).demoChunkDelayMs).toBe(0);
    expect(loadGatewayConfig({ ...base, SAFEROUTER_DEMO_CHUNK_DELAY_MS: '10000' }).demoChunkDelayMs).toBe(10_000);
  });

  it('stops the start on anything else, naming the variable', () => {
    for (const raw of ['-1', '1.5', 'fast', '10001', '1e9']) {
      expect(() => loadGatewayConfig({ ...base, SAFEROUTER_DEMO_CHUNK_DELAY_MS: raw }), raw).toThrow(
        /SAFEROUTER_DEMO_CHUNK_DELAY_MS/,
      );
    }
  });
});

describe('SAFEROUTER_WORKERS', () => {
  const pg = { ...base, DATABASE_URL: 'postgres://127.0.0.1/test', SAFEROUTER_LOG_KEY: 'PRIVATE+KEY+test' };

  it('defaults to 1; takes a count or auto (one per CPU) with Postgres', () => {
    expect(loadGatewayConfig(base).workers).toBe(1);
    expect(loadGatewayConfig({ ...base, SAFEROUTER_WORKERS: '1' }).workers).toBe(1);
    expect(loadGatewayConfig({ ...pg, SAFEROUTER_WORKERS: '4' }).workers).toBe(4);
    expect(loadGatewayConfig({ ...pg, SAFEROUTER_WORKERS: 'auto' }).workers).toBe(availableParallelism());
  });

  it('refuses more than one on SQLite, saying to use Postgres', () => {
    expect(() => loadGatewayConfig({ ...base, SAFEROUTER_WORKERS: '2' })).toThrow(
      /SAFEROUTER_WORKERS.*need DATABASE_URL \(Postgres\)/,
    );
  });

  it('stops the start on anything else, naming the variable', () => {
    for (const raw of ['0', '-1', '1.5', 'all', '65', '2x']) {
      expect(() => loadGatewayConfig({ ...pg, SAFEROUTER_WORKERS: raw }), raw).toThrow(ConfigError);
      expect(() => loadGatewayConfig({ ...pg, SAFEROUTER_WORKERS: raw }), raw).toThrow(/SAFEROUTER_WORKERS/);
    }
  });
});

describe('SAFEROUTER_BYOK_FEE_PERCENT', () => {
  it('defaults to 0 and reads a percentage with up to two decimals as basis points', () => {
    expect(loadGatewayConfig(base).byokFeeBasisPoints).toBe(0);
    for (const [raw, bp] of [
      ['0', 0],
      ['', 0],
      ['2.5', 250],
      ['2.50', 250],
      ['0.01', 1],
      ['0.1', 10],
      [' 7 ', 700],
      ['100', 10_000],
      ['100.00', 10_000],
    ] as const) {
      expect(loadGatewayConfig({ ...base, SAFEROUTER_BYOK_FEE_PERCENT: raw }).byokFeeBasisPoints, raw).toBe(bp);
    }
  });

  it('stops the start on anything else, naming the variable', () => {
    for (const raw of ['-1', '100.01', '101', '2.555', '5%', 'abc', '1e1', '.5', '2.', '0x10', 'NaN', '1,5']) {
      const fails = (): unknown => loadGatewayConfig({ ...base, SAFEROUTER_BYOK_FEE_PERCENT: raw });
      expect(fails, raw).toThrow(ConfigError);
      expect(fails, raw).toThrow(/SAFEROUTER_BYOK_FEE_PERCENT/);
    }
  });
});

describe('SAFEROUTER_USER_SECRET', () => {
  it('is absent by default, and reads 32 bytes of base64 (whitespace around ignored)', () => {
    expect(loadGatewayConfig(base).userSecret).toBeUndefined();
    expect(loadGatewayConfig({ ...base, SAFEROUTER_USER_SECRET: '' }).userSecret).toBeUndefined();
    const bytes = Uint8Array.from({ length: 32 }, (_, i) => i * 7);
    const raw = Buffer.from(bytes).toString('base64');
    expect(loadGatewayConfig({ ...base, SAFEROUTER_USER_SECRET: raw }).userSecret).toEqual(bytes);
    expect(loadGatewayConfig({ ...base, SAFEROUTER_USER_SECRET: ` ${raw}\n` }).userSecret).toEqual(bytes);
  });

  it('stops the start on anything else, naming the variable and never echoing the value', () => {
    const b64 = (n: number): string => Buffer.alloc(n, 0xab).toString('base64');
    for (const raw of [
      b64(31),
      b64(33),
      b64(32).replace(/=$/, ''), // unpadded
      Buffer.alloc(32, 0xab).toString('base64url'), // base64url alphabet
      Buffer.alloc(32, 0xab).toString('hex'),
      `${b64(32).slice(0, 42)}B=`, // non-zero trailing bits: not the canonical encoding of 32 bytes
      'not-a-secret-at-all-but-long-enough-to-look-like-one',
    ]) {
      const fails = (): unknown => loadGatewayConfig({ ...base, SAFEROUTER_USER_SECRET: raw });
      expect(fails, raw).toThrow(ConfigError);
      expect(fails, raw).toThrow(/SAFEROUTER_USER_SECRET/);
      let message = '';
      try {
        fails();
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message, raw).not.toContain(raw);
    }
  });
});
