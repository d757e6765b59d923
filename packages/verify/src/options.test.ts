import { describe, expect, it } from 'vitest';
import { checkOptions } from './options.js';
import { verifyGateway } from './verify-gateway.js';

describe('options', () => {
  it('normalises the gateway URL', () => {
    expect(checkOptions('https://gw.example.com/', {})).toBe('https://gw.example.com');
    expect(checkOptions('http://127.0.0.1:8080/base//', {})).toBe('http://127.0.0.1:8080/base');
  });

  it.each([
    ['ftp://x', {}, /http/],
    ['not a url', {}, /http\(s\) URL/],
    ['http://x', { expectedMeasurement: 'abc' }, /64 hex/],
    ['http://x', { expectedLaunchMeasurement: 'ab'.repeat(32) }, /96 hex/],
    ['http://x', { quorum: 1 }, /quorum/],
    ['http://x', { witnesses: ['a'], quorum: 2 }, /quorum/],
    ['http://x', { timeoutMs: 0 }, /timeoutMs/],
    ['http://x', { strict: 'yes' }, /strict/],
    ['https://x', { tlsPeerCertificates: 'yes' }, /tlsPeerCertificates must be a function/],
  ])('rejects %s with %j', (url, options, message) => {
    expect(() => checkOptions(url, options as never)).toThrow(message);
  });

  it('verifyGateway throws only for malformed arguments', async () => {
    await expect(verifyGateway('file:///etc/passwd')).rejects.toThrow(RangeError);
    await expect(verifyGateway(42 as never)).rejects.toThrow(TypeError);
  });
});
