import { describe, expect, it } from 'vitest';
import { bytesBeforeReceipt } from './receipt-check.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

describe('bytesBeforeReceipt', () => {
  it('cuts a raw SSE stream just before the receipt comment line', () => {
    const before = 'data: {"a":1}\n\ndata: {"b":2}\n\n';
    expect(dec(bytesBeforeReceipt(enc(`${before}: saferouter-receipt abc.def.ghi\n\ndata: [DONE]\n\n`)))).toBe(before);
    const crlf = 'data: {"a":1}\r\n\r\n';
    expect(dec(bytesBeforeReceipt(enc(`${crlf}: saferouter-receipt x\r\n\r\n`)))).toBe(crlf);
  });

  it('leaves a non-stream body, or the words inside a data line, alone', () => {
    const body = '{"content":": saferouter-receipt is only a comment at the start of a line"}';
    expect(dec(bytesBeforeReceipt(enc(body)))).toBe(body);
    expect(bytesBeforeReceipt(new Uint8Array(0)).length).toBe(0);
  });
});
