/**
 * The record every gateway start appends to the startup log: which build (measurement and the
 * binary's hash), which keys, for which deployment, when, and the attestation that vouches for
 * it, whole, so the record can be checked offline. The attestation answers a nonce derived from
 * the record itself, so it cannot be a quote replayed from another start:
 *
 *   nonce = SHA-256( "saferouter/startup/v1\n" ‖ time ‖ "\n" ‖ audience )
 *
 * The entry is the RFC 8785 canonical JSON of the record (UTF-8), at most 64 KiB.
 */
import { createHash } from 'node:crypto';
import { bundleToJson, canonicalJson, toHex, type AttestationBundle } from '@saferouter/attest';
import type { Attestor } from '@saferouter/attest/node';

export const STARTUP_RECORD_TYPE = 'saferouter/startup/v1';

export interface StartupRecord {
  type: typeof STARTUP_RECORD_TYPE;
  /** ISO 8601. */
  time: string;
  audience: string;
  build: { id: string; measurement: string };
  keys: { signing: string; sealing: string; log: string };
  attestation: { backend: string; hardware: boolean; sha256: string; bundle: AttestationBundle };
}

const encoder = new TextEncoder();
const sha256 = (data: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(data).digest());

/** The nonce a start's attestation answers. */
export function startupNonce(time: string, audience: string): Uint8Array {
  return sha256(encoder.encode(`${STARTUP_RECORD_TYPE}\n${time}\n${audience}`));
}

export async function buildStartupRecord(input: {
  attestor: Attestor;
  audience: string;
  /** SHA-256 of the measured binary, hex. */
  buildId: string;
  /** The log key's C2SP verifier key. */
  logKey: string;
  now: Date;
}): Promise<{ record: StartupRecord; entry: Uint8Array }> {
  const time = input.now.toISOString();
  const bundle = await input.attestor.quote(startupNonce(time, input.audience));
  const record: StartupRecord = {
    type: STARTUP_RECORD_TYPE,
    time,
    audience: input.audience,
    build: { id: input.buildId, measurement: toHex(input.attestor.measurement) },
    keys: {
      signing: toHex(input.attestor.signingPublicKey),
      sealing: toHex(input.attestor.sealingPublicKey),
      log: input.logKey,
    },
    attestation: {
      backend: bundle.backend,
      hardware: bundle.hardware,
      sha256: toHex(sha256(encoder.encode(bundleToJson(bundle)))),
      bundle,
    },
  };
  return { record, entry: encoder.encode(canonicalJson(record)) };
}
