/**
 * Test-only: a gateway for verifier tests (in process, SQLite, MOCK attestation, audit rate 1)
 * whose startup log is signed by a key the test holds, so it can forge validly signed forks, and
 * that can be restarted on the same data dir (same identity, a new start in the log).
 */
import { generateSignerKey, type GeneratedKey } from '@saferouter/tlog';
import type { GatewayConfig } from '../src/config.js';
import { startGateway, type RunningGateway } from '../src/start.js';
import { ADMIN_KEY, testGatewayConfig } from './helpers.js';

export const LOG_ORIGIN = 'e2e/saferouter/startup';

export function verifyLogKey(): Promise<GeneratedKey> {
  return generateSignerKey(LOG_ORIGIN);
}

/** Starts (or restarts) a gateway on `dataDir`; `close()` leaves the data dir in place. */
export function startVerifyGateway(options: {
  dataDir: string;
  logKey: GeneratedKey;
  upstreamUrl: string;
  verifierDir?: string;
  /** Serve HTTPS with these PEM files. */
  tls?: GatewayConfig['tls'];
}): Promise<RunningGateway> {
  const config = testGatewayConfig(options.upstreamUrl, options.dataDir, {
    logKey: options.logKey.skey,
    auditRate: 1,
    ...(options.verifierDir === undefined ? {} : { verifierDir: options.verifierDir }),
    ...(options.tls === undefined ? {} : { tls: options.tls }),
  });
  return startGateway(config, { FAKE_UP_KEY: 'upstream-secret' });
}

/** A user key with credit, made with the admin key. */
export async function userKeyFor(gatewayUrl: string): Promise<string> {
  const res = await fetch(`${gatewayUrl}/v1/keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'verify', credit_usd: '10' }),
  });
  if (res.status !== 201) throw new Error(`key creation failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { key: string }).key;
}
