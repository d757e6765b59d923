/** Strict base64: round trips and rejection of every non-canonical spelling. */
import { describe, expect, it } from 'vitest';
import { TlogError } from '../errors.js';
import { decodeBase64, encodeBase64 } from './base64.js';

describe('base64', () => {
  it('round-trips every length and byte value like the platform encoder', () => {
    for (let n = 0; n < 70; n++) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 37 + n) & 0xff);
      const text = encodeBase64(bytes);
      expect(text).toBe(Buffer.from(bytes).toString('base64'));
      expect([...decodeBase64(text)]).toEqual([...bytes]);
    }
  });

  it.each([['AQI'], ['AQID='], ['AQ=D'], ['A==='], ['AR=='], ['AQJ='], ['AQ\nID'], ['AQ-_'], ['é===']])(
    'rejects %j',
    (text) => {
      expect(() => decodeBase64(text)).toThrow(TlogError);
    },
  );

  it('rejects wrong argument types', () => {
    expect(() => decodeBase64(1 as unknown as string)).toThrow(TypeError);
    expect(() => encodeBase64('x' as unknown as Uint8Array)).toThrow(TypeError);
  });
});
