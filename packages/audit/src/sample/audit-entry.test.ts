/**
 * The audit entry format: the exact canonical bytes, commitments as SHA-256(salt ‖ bytes), and
 * strict parsing (every malformed variant rejected with an AuditError naming the fault).
 */
import { createHash, randomBytes } from 'node:crypto';
import { canonicalJson } from '@saferouter/attest';
import { describe, expect, it } from 'vitest';
import { AuditError } from '../errors.js';
import { auditEntry, commitment, parseAuditEntry } from './audit-entry.js';

const a = 'aa'.repeat(32);
const b = 'bb'.repeat(32);
const c = 'cc'.repeat(32);
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const enc = new TextEncoder();

describe('auditEntry', () => {
  it('is the canonical JSON with sorted keys', () => {
    const entry = auditEntry({ requestCommitment: a, responseCommitment: b, receiptSha256: c });
    expect(text(entry)).toBe(
      `{"receipt_sha256":"${c}","request_commitment":"${a}","response_commitment":"${b}","v":1}`,
    );
    expect(text(entry)).toBe(canonicalJson({ v: 1, request_commitment: a, response_commitment: b, receipt_sha256: c }));
    expect(parseAuditEntry(entry)).toEqual({ requestCommitment: a, responseCommitment: b, receiptSha256: c });
  });

  it('equals canonicalJson (RFC 8785) for any commitments', () => {
    for (let i = 0; i < 100; i++) {
      const [x, y, z] = [0, 1, 2].map(() => randomBytes(32).toString('hex')) as [string, string, string];
      expect(text(auditEntry({ requestCommitment: x, responseCommitment: y, receiptSha256: z }))).toBe(
        canonicalJson({ v: 1, request_commitment: x, response_commitment: y, receipt_sha256: z }),
      );
    }
  });

  it('names a malformed field', () => {
    expect(() => auditEntry({ requestCommitment: a.toUpperCase(), responseCommitment: b, receiptSha256: c })).toThrow(
      /fields.requestCommitment must be 64 lowercase hex/,
    );
    expect(() =>
      auditEntry({ requestCommitment: a, responseCommitment: 1 as unknown as string, receiptSha256: c }),
    ).toThrow(TypeError);
  });
});

describe('commitment', () => {
  it('is SHA-256(salt ‖ bytes)', () => {
    const salt = new Uint8Array(32).fill(7);
    const bytes = enc.encode('hello');
    expect(commitment(salt, bytes)).toBe(createHash('sha256').update(salt).update(bytes).digest('hex'));
  });

  it('wants a 32-byte salt', () => {
    expect(() => commitment(new Uint8Array(31), new Uint8Array(0))).toThrow(/salt must be 32 bytes/);
    expect(() => commitment('x' as unknown as Uint8Array, new Uint8Array(0))).toThrow(TypeError);
  });
});

describe('parseAuditEntry', () => {
  const good = `{"receipt_sha256":"${c}","request_commitment":"${a}","response_commitment":"${b}","v":1}`;
  it.each([
    ['whitespace', good.replace(',', ', '), /canonical/],
    [
      'reordered keys',
      `{"v":1,"receipt_sha256":"${c}","request_commitment":"${a}","response_commitment":"${b}"}`,
      /canonical/,
    ],
    ['an extra member', good.replace('"v":1', '"v":1,"x":2'), /x is not an audit entry member/],
    [
      'a missing member',
      `{"receipt_sha256":"${c}","request_commitment":"${a}","v":1}`,
      /response_commitment is missing/,
    ],
    ['version 2', good.replace('"v":1', '"v":2'), /v must be 1/],
    ['uppercase hex', good.replace(a, a.toUpperCase()), /request_commitment must be 64 lowercase hex/],
    ['short hex', good.replace(b, 'bb'), /response_commitment must be 64 lowercase hex/],
    ['not JSON', 'nope', /not UTF-8 JSON/],
    ['an array', '[1]', /must be a JSON object/],
  ])('rejects %s', (_name, input, message) => {
    let error: unknown;
    try {
      parseAuditEntry(enc.encode(input));
    } catch (e) {
      error = e;
    }
    expect(AuditError.isInstance(error)).toBe(true);
    expect((error as AuditError).code).toBe('malformed');
    expect((error as AuditError).message).toMatch(message);
  });

  it('rejects invalid UTF-8 and oversized input', () => {
    expect(() => parseAuditEntry(new Uint8Array([0x7b, 0xff, 0x7d]))).toThrow(/UTF-8/);
    expect(() => parseAuditEntry(new Uint8Array(5000))).toThrow(/longer than 4096/);
  });
});
