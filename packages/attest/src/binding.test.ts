/**
 * The report_data binding and the measurement: exact byte layouts and the known answers quoted in docs/attestation.md.
 */
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { computeReportData } from './binding.js';
import { concatBytes, toHex, utf8 } from './bytes.js';
import { computeMeasurement } from './measurement.js';

const fill = (n: number, v: number): Uint8Array => new Uint8Array(n).fill(v);

describe('computeReportData', () => {
  it('is SHA-512 over the documented byte layout', () => {
    const input = { nonce: fill(32, 1), signingKey: fill(32, 2), sealingKey: fill(32, 3), measurement: fill(32, 4) };
    const manual = sha512(
      concatBytes(
        utf8('saferouter-attest-v1'),
        new Uint8Array([0]),
        fill(32, 1),
        fill(32, 2),
        fill(32, 3),
        fill(32, 4),
      ),
    );
    const out = computeReportData(input);
    expect(out).toHaveLength(64);
    expect(toHex(out)).toBe(toHex(manual));
  });

  it('pins a known answer (so the layout cannot drift unnoticed)', () => {
    const out = computeReportData({
      nonce: fill(32, 0),
      signingKey: fill(32, 0),
      sealingKey: fill(32, 0),
      measurement: fill(32, 0),
    });
    expect(toHex(out)).toBe(toHex(sha512(concatBytes(utf8('saferouter-attest-v1'), new Uint8Array(129)))));
  });

  it('matches the known answers in docs/attestation.md', () => {
    const z = (v: number) => fill(32, v);
    expect(toHex(computeReportData({ nonce: z(0), signingKey: z(0), sealingKey: z(0), measurement: z(0) }))).toBe(
      '393125b3de2ea3fbc815bb09de7b1636c212f5c74e3080ba35771f9aa0da178a91ec725b39041e673a075573bf43492fef033586b1ae4ed48964bc5a74c2ac1c',
    );
    expect(toHex(computeReportData({ nonce: z(1), signingKey: z(2), sealingKey: z(3), measurement: z(4) }))).toBe(
      'f5b05328b8ad5c3bb4e9e70cc857413f0aa669deb0b7b0b17d91f8af65ab82432c30f0fc06d0195da4aa7fead5f4aff2ee2ee11cdd7569a9898530de457ae57e',
    );
  });

  it('validates inputs with named errors', () => {
    const ok = { nonce: fill(32, 0), signingKey: fill(32, 0), sealingKey: fill(32, 0), measurement: fill(32, 0) };
    expect(() => computeReportData({ ...ok, nonce: fill(31, 0) })).toThrow(/nonce must be 32 bytes/);
    expect(() => computeReportData({ ...ok, sealingKey: 'x' as unknown as Uint8Array })).toThrow(TypeError);
    expect(() => computeReportData({ ...ok, measurement: fill(48, 0) })).toThrow(RangeError);
  });
});

describe('computeReportData, version 2 (the TLS key bound too)', () => {
  const v1Input = { nonce: fill(32, 1), signingKey: fill(32, 2), sealingKey: fill(32, 3), measurement: fill(32, 4) };

  it('is SHA-512 over the documented v2 byte layout: a new domain, then the TLS SPKI hash last', () => {
    const manual = sha512(
      concatBytes(
        utf8('saferouter-attest-v2'),
        new Uint8Array([0]),
        fill(32, 1),
        fill(32, 2),
        fill(32, 3),
        fill(32, 4),
        fill(32, 5),
      ),
    );
    const out = computeReportData({ ...v1Input, tlsSpkiSha256: fill(32, 5) });
    expect(out).toHaveLength(64);
    expect(toHex(out)).toBe(toHex(manual));
  });

  it('matches the known answers in docs/attestation.md', () => {
    const z = (v: number) => fill(32, v);
    expect(
      toHex(
        computeReportData({ nonce: z(0), signingKey: z(0), sealingKey: z(0), measurement: z(0), tlsSpkiSha256: z(0) }),
      ),
    ).toBe(
      '0ffe11488801e9f3f44069f371bf6635ead769e37b8c623d02b4be2ddd4032301a3376af4165667f8de6f0a0f41913d66b27bf3ae9bd515d61bb48034716f5ad',
    );
    expect(toHex(computeReportData({ ...v1Input, tlsSpkiSha256: z(5) }))).toBe(
      '22da8f8007b819e201fab22d49452e05c2acbdee92ab0a954c12f3e3c7c9ab19f79ceffea4f8923dce878d85af8a3be745e15170c381233b54d1b371caa779c4',
    );
  });

  it('cannot collide with version 1: no TLS hash, or one that is all zero, gives other bytes', () => {
    const v1 = toHex(computeReportData(v1Input));
    expect(toHex(computeReportData({ ...v1Input, tlsSpkiSha256: undefined }))).toBe(v1);
    expect(toHex(computeReportData({ ...v1Input, tlsSpkiSha256: fill(32, 0) }))).not.toBe(v1);
    expect(toHex(computeReportData({ ...v1Input, tlsSpkiSha256: fill(32, 6) }))).not.toBe(
      toHex(computeReportData({ ...v1Input, tlsSpkiSha256: fill(32, 5) })),
    );
  });

  it('validates the TLS hash with a named error', () => {
    expect(() => computeReportData({ ...v1Input, tlsSpkiSha256: fill(31, 0) })).toThrow(
      /tlsSpkiSha256 must be 32 bytes/,
    );
    expect(() => computeReportData({ ...v1Input, tlsSpkiSha256: 'ab'.repeat(32) as unknown as Uint8Array })).toThrow(
      TypeError,
    );
  });
});

describe('computeMeasurement', () => {
  it('is sha256(binary ‖ JCS(providers) ‖ JCS(models))', () => {
    const binary = utf8('bundle bytes');
    const providers = [{ name: 'p', baseURL: 'https://x' }];
    const models = { m: { provider: 'p', price: 3 } };
    const expected = sha256(
      concatBytes(binary, utf8('[{"baseURL":"https://x","name":"p"}]'), utf8('{"m":{"price":3,"provider":"p"}}')),
    );
    expect(toHex(computeMeasurement({ binary, providers, models }))).toBe(toHex(expected));
  });

  it('matches the known answer in docs/attestation.md', () => {
    const providers = [{ id: 'openai', baseURL: 'https://api.openai.com/v1' }];
    const models = [{ provider: 'openai', id: 'gpt-4o-mini' }];
    expect(toHex(computeMeasurement({ binary: utf8('example'), providers, models }))).toBe(
      '65b9c6ecfd085c05dc4a51f03eb49e306636919aeec2dffd929bcf844f16a3b0',
    );
    // With the static files' manifest (checked with Python's hashlib and json, sort_keys, compact).
    const files = { '/verify/index.html': 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' };
    expect(toHex(computeMeasurement({ binary: utf8('example'), providers, models, files }))).toBe(
      'ed37053c38b25f746e36ab76ffab1c8b249a30f2787094bf91d67b8d0099f92c',
    );
  });

  it('does not depend on catalog member order', () => {
    const binary = new Uint8Array([1, 2, 3]);
    const a = computeMeasurement({ binary, providers: { a: 1, b: 2 }, models: [] });
    const b = computeMeasurement({ binary, providers: { b: 2, a: 1 }, models: [] });
    expect(toHex(a)).toBe(toHex(b));
  });

  it('validates its input', () => {
    expect(() => computeMeasurement({ binary: 'x' as unknown as Uint8Array, providers: [], models: [] })).toThrow(
      TypeError,
    );
    expect(() =>
      computeMeasurement(null as unknown as { binary: Uint8Array; providers: unknown; models: unknown }),
    ).toThrow(TypeError);
    expect(() => computeMeasurement({ binary: new Uint8Array(), providers: [Number.NaN], models: [] })).toThrow(
      RangeError,
    );
  });
});
