/**
 * The page's input rules, without a browser: which links run at once, when the gateway field
 * defaults to the page's own origin (only on a gateway's /verify), how a pasted receipt is tidied,
 * and what a shareable link keeps (never the receipt).
 */
import { describe, expect, it } from 'vitest';
import {
  cleanReceipt,
  initialInputs,
  isServedByGateway,
  shareableSearch,
  verifiesItsOwnHost,
  type PageLocation,
} from '../src/inputs.js';

const at = (href: string): PageLocation => {
  const u = new URL(href);
  return { search: u.search, pathname: u.pathname, origin: u.origin, protocol: u.protocol };
};

describe('initialInputs', () => {
  it('runs at once only when the link names a gateway', () => {
    const named = initialInputs(
      at('https://pages.example/saferouter/?gateway=https%3A%2F%2Fgw.example&measurement=ab'),
    );
    expect(named).toEqual({
      inputs: { gateway: 'https://gw.example', expectedMeasurement: 'ab', receipt: '', acceptNewLog: false },
      autoRun: true,
    });
    expect(initialInputs(at('https://pages.example/saferouter/')).autoRun).toBe(false);
    expect(initialInputs(at('https://pages.example/saferouter/?gateway=%20%20')).autoRun).toBe(false);
  });

  it("defaults the gateway to the page's origin on a gateway's /verify, and nowhere else", () => {
    for (const href of [
      'https://gw.example/verify',
      'https://gw.example/verify/',
      'http://gw:8080/verify/index.html',
    ]) {
      const { inputs, autoRun } = initialInputs(at(href));
      expect(inputs.gateway, href).toBe(new URL(href).origin);
      expect(autoRun, href).toBe(false);
    }
    for (const href of [
      'https://pages.example/saferouter/',
      'https://pages.example/saferouter/verify/',
      'https://gw.example/verify/other.html',
    ]) {
      expect(initialInputs(at(href)).inputs.gateway, href).toBe('');
    }
    // A named gateway wins over the default.
    expect(initialInputs(at('https://gw.example/verify/?gateway=https://other.example')).inputs.gateway).toBe(
      'https://other.example',
    );
  });

  it('does not treat a file:// page as served by a gateway', () => {
    expect(isServedByGateway({ search: '', pathname: '/verify/', origin: 'null', protocol: 'file:' })).toBe(false);
  });
});

describe('cleanReceipt', () => {
  const jws = 'eyJhbGciOiJFZERTQSJ9.eyJ2IjoxfQ.c2lnbmF0dXJl';
  it('keeps a bare JWS and drops what comes with a paste', () => {
    expect(cleanReceipt(jws)).toBe(jws);
    expect(cleanReceipt(`  ${jws}\n`)).toBe(jws);
    expect(cleanReceipt(`X-SafeRouter-Receipt: ${jws}`)).toBe(jws);
    expect(cleanReceipt(`x-saferouter-receipt:${jws}\r\n`)).toBe(jws);
    expect(cleanReceipt(`: saferouter-receipt ${jws}\n\n`)).toBe(jws);
    expect(cleanReceipt(`${jws.slice(0, 20)}\n${jws.slice(20)}`)).toBe(jws);
    expect(cleanReceipt('   ')).toBe('');
  });
});

describe('shareableSearch and verifiesItsOwnHost', () => {
  it('links to the gateway and the measurement, never the receipt', () => {
    const search = shareableSearch({
      gateway: 'https://gw.example',
      expectedMeasurement: 'ab'.repeat(32),
      receipt: 'secret.receipt.here',
      acceptNewLog: true,
    });
    expect(search).toBe(`?gateway=https%3A%2F%2Fgw.example&measurement=${'ab'.repeat(32)}`);
    expect(shareableSearch({ gateway: 'http://x', expectedMeasurement: '', receipt: '', acceptNewLog: false })).toBe(
      '?gateway=http%3A%2F%2Fx',
    );
  });

  it('notices when the page verifies the host that served it', () => {
    expect(verifiesItsOwnHost('https://gw.example/', at('https://gw.example/verify/'))).toBe(true);
    expect(verifiesItsOwnHost('https://gw.example:8443', at('https://gw.example/verify/'))).toBe(false);
    expect(verifiesItsOwnHost('not a url', at('https://gw.example/verify/'))).toBe(false);
  });
});
