/**
 * Attestation endpoints, public and CORS-open so a verifier in any browser can call them:
 * - `POST /attestation/quote` `{ "nonce": "<64 hex>" }` → a fresh `AttestationBundle` binding the
 *   nonce, the gateway's signing and sealing keys and its measurement (see docs/attestation.md).
 * - `GET /attestation/verifying-key` → the keys, the measurement, the backend, the startup log's
 *   verifier key and this instance's index in it (`startupIndex`, so a verifier need not scan the
 *   log). A mock backend says so: `backend: "mock"`, `hardware: false`.
 */
import { Hono } from 'hono';
import { bundleToJson, fromHex, toHex } from '@saferouter/attest';
import type { Attestor } from '@saferouter/attest/node';
import type { AppEnv } from '../env.js';
import { readJson } from '../body.js';
import { ApiError } from '../errors.js';

const NONCE = /^[0-9a-fA-F]{64}$/;

/**
 * @param startupLog the startup transparency log's C2SP verifier key, published alongside, and
 * this instance's entry index in that log.
 */
export function attestationRoutes(attestor: Attestor, startupLog?: { vkey: string; index: number }): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.post('/quote', async (c) => {
    const body = await readJson(c, 4096);
    const nonce = typeof body === 'object' && body !== null ? (body as { nonce?: unknown }).nonce : undefined;
    if (typeof nonce !== 'string' || !NONCE.test(nonce)) {
      throw new ApiError(
        400,
        'invalid_request_error',
        'invalid_nonce',
        'Body must be {"nonce": "<64 hex characters>"}: 32 random bytes chosen by the verifier.',
      );
    }
    const bundle = await attestor.quote(fromHex(nonce.toLowerCase()));
    c.header('cache-control', 'no-store');
    c.header('content-type', 'application/json');
    return c.body(bundleToJson(bundle));
  });

  app.get('/verifying-key', (c) =>
    c.json({
      signingKey: toHex(attestor.signingPublicKey),
      sealingKey: toHex(attestor.sealingPublicKey),
      algorithm: 'ed25519',
      measurement: toHex(attestor.measurement),
      backend: attestor.backend,
      hardware: attestor.hardware,
      ...(startupLog === undefined ? {} : { transparencyLogKey: startupLog.vkey, startupIndex: startupLog.index }),
      ...(attestor.hardware
        ? {}
        : {
            notice:
              'MOCK attestation backend (demo): not running on AMD SEV-SNP hardware; bundles prove nothing about hardware.',
          }),
    }),
  );

  return app;
}
