/**
 * The AttestationBundle schema and its JSON helpers.
 */
import { describe, expect, it } from 'vitest';
import { toBase64 } from '../bytes.js';
import { AttestationError } from '../errors.js';
import { AMD_ROOTS } from '../amd-roots/index.js';
import { bundleFromJson, bundleToJson, parseBundle, safeParseBundle, type AttestationBundle } from './schema.js';

const valid: AttestationBundle = {
  version: 1,
  backend: 'sev-snp',
  hardware: true,
  measurement: 'aa'.repeat(32),
  signingKey: 'bb'.repeat(32),
  sealingKey: 'cc'.repeat(32),
  nonce: 'dd'.repeat(32),
  reportData: 'ee'.repeat(64),
  report: toBase64(new Uint8Array(1184)),
  certChain: [AMD_ROOTS.Milan.ask, AMD_ROOTS.Milan.ark],
  timestamp: '2026-11-24T05:00:00.000Z',
};

describe('AttestationBundle schema', () => {
  it('accepts a well-formed bundle and drops unknown members', () => {
    expect(parseBundle({ ...valid, extra: 1 })).toEqual(valid);
  });

  it.each([
    ['version', { version: 3 }],
    ['version 2 without tlsSpkiSha256', { version: 2 }],
    ['version 2 with an uppercase tlsSpkiSha256', { version: 2, tlsSpkiSha256: 'AB'.repeat(32) }],
    ['version 2 with a short tlsSpkiSha256', { version: 2, tlsSpkiSha256: 'ab'.repeat(31) }],
    ['backend', { backend: 'tdx' }],
    ['hardware', { hardware: 'yes' }],
    ['nonce length', { nonce: 'dd'.repeat(31) }],
    ['uppercase hex', { signingKey: 'BB'.repeat(32) }],
    ['reportData length', { reportData: 'ee'.repeat(32) }],
    ['report base64', { report: 'not base64!' }],
    ['empty certChain', { certChain: [] }],
    ['certChain entry', { certChain: ['hello'] }],
    ['timestamp', { timestamp: 'yesterday' }],
  ])('rejects a bad %s', (_name, patch) => {
    const r = safeParseBundle({ ...valid, ...patch });
    expect(r.ok).toBe(false);
  });

  it('accepts version 2 with the TLS key hash, and keeps it through canonical JSON', () => {
    const v2: AttestationBundle = { ...valid, version: 2, tlsSpkiSha256: 'ab'.repeat(32) };
    expect(parseBundle({ ...v2, extra: 1 })).toEqual(v2);
    expect(bundleFromJson(bundleToJson(v2))).toEqual(v2);
    expect(bundleToJson(v2)).toContain('"tlsSpkiSha256":"abab');
    // A version-1 bundle carries no TLS hash: one sent along is dropped like any unknown member.
    expect(parseBundle({ ...valid, tlsSpkiSha256: 'ab'.repeat(32) })).toEqual(valid);
  });

  it('names the issues and throws AttestationError(schema)', () => {
    const r = safeParseBundle({ ...valid, nonce: 'x' });
    expect(r.ok === false && r.issues.join()).toMatch(/nonce/);
    try {
      parseBundle(null);
      expect.unreachable();
    } catch (e) {
      expect(AttestationError.isInstance(e) && e.check).toBe('schema');
    }
  });

  it('round-trips through canonical JSON', () => {
    const text = bundleToJson(valid);
    expect(text.startsWith('{"backend":"sev-snp","certChain":[')).toBe(true);
    expect(bundleFromJson(text)).toEqual(valid);
    expect(bundleToJson(bundleFromJson(text))).toBe(text);
    expect(() => bundleFromJson('{')).toThrow(AttestationError);
    expect(() => bundleFromJson(1 as unknown as string)).toThrow(TypeError);
  });
});
