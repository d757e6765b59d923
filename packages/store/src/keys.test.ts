/** Unit tests for API key generation, hashing, format checks and constant-time comparison. */

import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { API_KEY_LENGTH, constantTimeEqualHex, generateApiKey, hashApiKey, isApiKeyFormat } from './keys.js';

describe('generateApiKey', () => {
  it('produces sk-sr- + 43 base64url chars, key_ + 16 hex, a 12-char prefix with … and its hash', () => {
    const k = generateApiKey();
    expect(k.secret).toMatch(/^sk-sr-[A-Za-z0-9_-]{43}$/);
    expect(k.secret).toHaveLength(49);
    expect(API_KEY_LENGTH).toBe(49);
    expect(k.id).toMatch(/^key_[0-9a-f]{16}$/);
    expect(k.prefix).toBe(`${k.secret.slice(0, 12)}…`);
    expect(k.hash).toBe(hashApiKey(k.secret));
    expect(isApiKeyFormat(k.secret)).toBe(true);
  });

  it('encodes exactly 32 random bytes', () => {
    const body = Buffer.from(generateApiKey().secret.slice(6), 'base64url');
    expect(body).toHaveLength(32);
  });

  it('never repeats a secret or an id', () => {
    const keys = Array.from({ length: 1000 }, () => generateApiKey());
    expect(new Set(keys.map((k) => k.secret)).size).toBe(1000);
    expect(new Set(keys.map((k) => k.id)).size).toBe(1000);
    expect(new Set(keys.map((k) => k.hash)).size).toBe(1000);
  });
});

describe('hashApiKey', () => {
  it('is lowercase hex SHA-256 of the UTF-8 secret', () => {
    // Published vector: SHA-256("abc").
    expect(hashApiKey('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(hashApiKey('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    const secret = generateApiKey().secret;
    expect(hashApiKey(secret)).toBe(createHash('sha256').update(Buffer.from(secret, 'utf8')).digest('hex'));
    expect(hashApiKey(secret)).toMatch(/^[0-9a-f]{64}$/);
    // Non-ASCII input is hashed as UTF-8, not UTF-16 or latin1.
    expect(hashApiKey('é')).toBe(
      createHash('sha256')
        .update(Buffer.from([0xc3, 0xa9]))
        .digest('hex'),
    );
  });

  it('rejects a non-string with TypeError', () => {
    expect(() => hashApiKey(undefined as unknown as string)).toThrow(TypeError);
  });
});

describe('isApiKeyFormat', () => {
  const body = 'A'.repeat(43);
  it.each([
    ['a generated key', generateApiKey().secret, true],
    ['a hand-made well-formed key', `sk-sr-${body}`, true],
    ['base64url - and _', `sk-sr-${'-_'.repeat(21)}x`, true],
    ['wrong prefix', `sk-xx-${body}`, false],
    ['OpenAI-style key', `sk-${body}`, false],
    ['one char short', `sk-sr-${body.slice(1)}`, false],
    ['one char long', `sk-sr-${body}A`, false],
    ['standard base64 +', `sk-sr-${body.slice(1)}+`, false],
    ['padding =', `sk-sr-${body.slice(1)}=`, false],
    ['whitespace', ` sk-sr-${body.slice(1)}`, false],
    ['trailing newline', `sk-sr-${body}\n`, false],
    ['empty', '', false],
  ])('%s', (_label, input, want) => {
    expect(isApiKeyFormat(input)).toBe(want);
  });

  it('answers false for non-strings without throwing', () => {
    for (const v of [undefined, null, 49, {}, ['sk-sr-'], Buffer.from(`sk-sr-${body}`)]) {
      expect(isApiKeyFormat(v)).toBe(false);
    }
  });
});

describe('constantTimeEqualHex', () => {
  const h = hashApiKey('x');
  it.each([
    ['equal', h, h, true],
    ['equal ignoring case', h, h.toUpperCase(), true],
    ['one nibble differs', h, `${h.slice(0, -1)}${h.endsWith('0') ? '1' : '0'}`, false],
    ['length mismatch', h, h.slice(0, -2), false],
    ['odd length', 'abc', 'abc', false],
    ['non-hex but equal', 'zz', 'zz', false],
    ['non-hex that Buffer would truncate to the same bytes', 'abzz', 'abyy', false],
    ['both empty', '', '', false],
    ['one empty', '', h, false],
  ])('%s', (_label, a, b, want) => {
    expect(constantTimeEqualHex(a, b)).toBe(want);
  });

  it('throws TypeError for non-strings', () => {
    expect(() => constantTimeEqualHex(undefined as unknown as string, h)).toThrow(TypeError);
    expect(() => constantTimeEqualHex(h, null as unknown as string)).toThrow(TypeError);
  });
});
