/**
 * The startup record moved from the gateway keeps its bytes: the nonce and the entry equal what
 * the gateway's former code (reproduced below as it was, node:crypto and all) produces, and
 * parseStartupRecord accepts them and rejects records that disagree with their attestation.
 */
import { createHash } from 'node:crypto';
import { bundleToJson, canonicalJson, toHex, type AttestationBundle } from '@saferouter/attest';
import type { Attestor } from '@saferouter/attest/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditError } from '../errors.js';
import { buildStartupRecord } from '../node/startup-log.js';
import { memoAttestor } from '../testing/attestor.js';
import { encodeStartupRecord, parseStartupRecord, startupNonce, type StartupRecord } from './startup-record.js';

/** apps/gateway/src/transparency/startup-record.ts before the move, verbatim but for names. */
const old = {
  encoder: new TextEncoder(),
  sha256: (data: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(data).digest()),
  startupNonce(time: string, audience: string): Uint8Array {
    return old.sha256(old.encoder.encode(`saferouter/startup/v1\n${time}\n${audience}`));
  },
  async build(input: { attestor: Attestor; audience: string; buildId: string; logKey: string; now: Date }) {
    const time = input.now.toISOString();
    const bundle: AttestationBundle = await input.attestor.quote(old.startupNonce(time, input.audience));
    const record = {
      type: 'saferouter/startup/v1',
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
        sha256: toHex(old.sha256(old.encoder.encode(bundleToJson(bundle)))),
        bundle,
      },
    };
    return { record, entry: old.encoder.encode(canonicalJson(record)) };
  },
};

let attestor: Attestor;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ attestor, cleanup } = await memoAttestor());
});
afterAll(() => cleanup());

const input = () => ({
  attestor,
  audience: 'gw.example.com',
  buildId: 'cd'.repeat(32),
  logKey: 'gw.example.com/saferouter/startup+01234567+AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
  now: new Date('2025-06-01T12:34:56.789Z'),
});

describe('startup record', () => {
  it('derives the same nonce as before (a fixed vector)', () => {
    const nonce = startupNonce('2025-06-01T12:34:56.789Z', 'gw.example.com');
    expect(toHex(nonce)).toBe(toHex(old.startupNonce('2025-06-01T12:34:56.789Z', 'gw.example.com')));
    expect(toHex(startupNonce('t', 'a'))).toBe(
      createHash('sha256').update('saferouter/startup/v1\nt\na').digest('hex'),
    );
  });

  it('encodes byte for byte as the gateway did', async () => {
    const before = await old.build(input());
    const after = await buildStartupRecord(input());
    expect(Buffer.from(after.entry).equals(Buffer.from(before.entry))).toBe(true);
    expect(after.record).toEqual(before.record);
    expect(Buffer.from(encodeStartupRecord(after.record)).equals(Buffer.from(before.entry))).toBe(true);
  });

  it('parses its own entries', async () => {
    const { record, entry } = await buildStartupRecord(input());
    expect(parseStartupRecord(entry)).toEqual(record);
  });

  const tamper = async (change: (r: StartupRecord) => void): Promise<unknown> => {
    const { record } = await buildStartupRecord(input());
    const copy = JSON.parse(JSON.stringify(record)) as StartupRecord;
    change(copy);
    try {
      parseStartupRecord(new TextEncoder().encode(JSON.stringify(copy)));
    } catch (error) {
      return error;
    }
    return undefined;
  };

  it.each<[string, (r: StartupRecord) => void, RegExp]>([
    ['another type', (r) => ((r as { type: string }).type = 'saferouter/startup/v2'), /type must be/],
    ['a bad time', (r) => (r.time = 'yesterday'), /time must be an ISO 8601 timestamp/],
    ['a missing key', (r) => delete (r.keys as Partial<StartupRecord['keys']>).sealing, /keys.sealing is missing/],
    ['uppercase hex', (r) => (r.build.id = r.build.id.toUpperCase()), /build.id must be 64 lowercase hex/],
    ['another bundle hash', (r) => (r.attestation.sha256 = '00'.repeat(32)), /attestation.sha256 does not match/],
    ['another signing key', (r) => (r.keys.signing = '00'.repeat(32)), /keys.signing does not match/],
    ['another audience', (r) => (r.audience = 'elsewhere'), /nonce/],
    ['a broken bundle', (r) => (r.attestation.bundle.version = 3 as 1), /attestation.bundle.version/],
  ])('rejects a record with %s', async (_name, change, message) => {
    const error = await tamper(change);
    expect(AuditError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(message);
  });

  it('rejects non-JSON and non-objects', () => {
    expect(() => parseStartupRecord(new TextEncoder().encode('x'))).toThrow(/not UTF-8 JSON/);
    expect(() => parseStartupRecord(new TextEncoder().encode('null'))).toThrow(/must be a JSON object/);
    expect(() => parseStartupRecord('x' as unknown as Uint8Array)).toThrow(TypeError);
  });
});
