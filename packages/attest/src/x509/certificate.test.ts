/**
 * Certificate parsing on the shared AMD vectors (DER only, TBS bytes exactly as signed), the
 * builder's output read back, and the pinned roots against the shared copies.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate as AsnCertificate } from '@peculiar/asn1-x509';
import { describe, expect, it } from 'vitest';
import { bytesEqual, toHex } from '../bytes.js';
import { AMD_ROOTS } from '../amd-roots/index.js';
import { milanVcek, milanVlek, snpVectorText } from '../testing/vectors.js';
import { parseCertificate } from './certificate.js';
import {
  basicConstraints,
  buildCertificate,
  distinguishedName,
  ed25519PublicKeyInfo,
  integerExtension,
  rsaPssSha384Algorithm,
} from './cert-builder.js';
import { verifyCertificateSignature } from './cert-signature.js';
import { OID } from './oids.js';
import { pemToDerList } from './pem.js';

/** Every AMD certificate in the shared vectors and the pinned roots. */
function amdCertificates(): Uint8Array[] {
  const pems = Object.values(AMD_ROOTS).flatMap((r) => [r.ark, r.ask, r.asvk]);
  return [milanVcek().cert, milanVlek().cert, ...pems.flatMap((pem) => pemToDerList(pem))];
}

describe('parseCertificate', () => {
  it('reads the Milan VCEK vector', () => {
    const c = parseCertificate(milanVcek().cert);
    expect(c.subject.commonName).toBe('SEV-VCEK');
    expect(c.issuer.commonName).toBe('SEV-Milan');
    expect(c.signatureAlgorithm).toEqual({ kind: 'rsa-pss-sha384' });
    expect(c.publicKey.kind).toBe('ec-p384');
    expect(toHex(c.serial)).toBe('00');
    expect(c.notAfter.toISOString()).toBe('2029-09-24T00:55:28.000Z');
    expect(toHex(c.extensions.get(OID.amdHwid)!.value).slice(0, 16)).toBe('3ac3fe21e13fb099');
    expect(c.isCa).toBe(false);
  });

  it('reads the VLEK vector (CSP id, no hwid)', () => {
    const c = parseCertificate(milanVlek().cert);
    expect(c.subject.commonName).toBe('SEV-VLEK');
    expect(c.extensions.has(OID.amdHwid)).toBe(false);
    expect(c.extensions.has(OID.amdCspId)).toBe(true);
  });

  it('rejects garbage and truncation', () => {
    const der = milanVcek().cert;
    expect(() => parseCertificate(der.subarray(0, der.length - 1))).toThrow(RangeError);
    expect(() => parseCertificate(new Uint8Array([1, 2, 3]))).toThrow(RangeError);
    expect(() => parseCertificate(new Uint8Array())).toThrow(RangeError);
  });

  it('rejects BER that is not DER: one certificate has exactly one encoding', () => {
    const der = milanVcek().cert;
    expect(toHex(der.subarray(0, 4))).toBe('3082054c');
    const body = der.subarray(4);
    const variants: Record<string, Uint8Array> = {
      'trailing byte': new Uint8Array([...der, 0]),
      'non-minimal length': new Uint8Array([0x30, 0x83, 0x00, 0x05, 0x4c, ...body]),
      'indefinite length': new Uint8Array([0x30, 0x80, ...body, 0, 0]),
    };
    const unusedBits = der.slice();
    unusedBits[der.length - 0x200 - 1] = 1; // the signature BIT STRING's unused-bits octet
    expect(toHex(der.subarray(der.length - 0x200 - 5, der.length - 0x200))).toBe('0382020100');
    variants['signature with unused bits'] = unusedBits;
    for (const [name, bytes] of Object.entries(variants)) {
      expect(() => parseCertificate(bytes), name).toThrow(/not DER/);
    }
  });

  it('gives the TBSCertificate bytes exactly as they appear in every AMD certificate', () => {
    for (const der of amdCertificates()) {
      const c = parseCertificate(der);
      // All of them are 256..65535 bytes long, so the TBSCertificate starts after a 4-byte header.
      expect(bytesEqual(c.tbs, der.subarray(4, 4 + c.tbs.length))).toBe(true);
      expect(c.signatureAlgorithm).toEqual({ kind: 'rsa-pss-sha384' });
    }
  });
});

describe('buildCertificate', () => {
  it('writes certificates the parser reads back, with the time types of RFC 5280', async () => {
    const secret = ed25519.utils.randomSecretKey();
    const name = distinguishedName('Test Root', 'Test Org');
    const der = await buildCertificate({
      serial: 0x80,
      issuer: name,
      subject: name,
      notBefore: new Date('2049-12-31T23:59:59.500Z'),
      notAfter: new Date('2050-01-01T00:00:00Z'),
      publicKeyInfo: ed25519PublicKeyInfo(ed25519.getPublicKey(secret)),
      extensions: [basicConstraints(true), integerExtension(OID.amdSnpSpl, 0x80)],
      signatureAlgorithm: 'ed25519',
      sign: (tbs) => ed25519.sign(tbs, secret),
    });
    const c = parseCertificate(der);
    expect(c.subject.commonName).toBe('Test Root');
    expect(c.isCa).toBe(true);
    expect(toHex(c.serial)).toBe('80');
    expect(c.notBefore.toISOString()).toBe('2049-12-31T23:59:59.000Z');
    expect(c.notAfter.toISOString()).toBe('2050-01-01T00:00:00.000Z');
    const validity = AsnConvert.parse(der, AsnCertificate).tbsCertificate.validity;
    expect(validity.notBefore.utcTime).toBeDefined();
    expect(validity.notAfter.generalTime).toBeDefined();
    expect(toHex(c.extensions.get(OID.amdSnpSpl)!.value)).toBe('02020080');
    expect(await verifyCertificateSignature(c, c)).toEqual({ ok: true });
  });

  it("writes AMD's RSASSA-PSS AlgorithmIdentifier byte for byte", () => {
    const vlek = AsnConvert.parse(milanVlek().cert, AsnCertificate);
    expect(toHex(new Uint8Array(AsnConvert.serialize(rsaPssSha384Algorithm())))).toBe(
      toHex(new Uint8Array(AsnConvert.serialize(vlek.signatureAlgorithm))),
    );
  });
});

describe('pinned AMD roots', () => {
  it('are byte-identical to the shared vectors', () => {
    const files: Record<string, [string, string]> = {
      Milan: ['amd-roots/ask_ark_milan.pem', 'amd-roots/ask_ark_milan_vlek.pem'],
      Genoa: ['amd-roots/ask_ark_genoa.pem', 'amd-roots/ask_ark_genoa_vlek.pem'],
      Turin: ['amd-roots/ask_ark_turin_vcek.pem', 'amd-roots/ask_ark_turin_vlek.pem'],
    };
    for (const [product, [vcekFile, vlekFile]] of Object.entries(files)) {
      const [ask, ark] = pemToDerList(snpVectorText(vcekFile));
      const [asvk, ark2] = pemToDerList(snpVectorText(vlekFile));
      const pinned = AMD_ROOTS[product as keyof typeof AMD_ROOTS];
      expect(toHex(pemToDerList(pinned.ark)[0]!)).toBe(toHex(ark!));
      expect(toHex(pemToDerList(pinned.ark)[0]!)).toBe(toHex(ark2!));
      expect(toHex(pemToDerList(pinned.ask)[0]!)).toBe(toHex(ask!));
      expect(toHex(pemToDerList(pinned.asvk)[0]!)).toBe(toHex(asvk!));
    }
  });

  it('chain up: each ARK is self-signed and signs its ASK and ASVK (RSASSA-PSS SHA-384)', async () => {
    for (const [product, roots] of Object.entries(AMD_ROOTS)) {
      const ark = parseCertificate(pemToDerList(roots.ark)[0]!);
      expect(ark.subject.commonName).toBe(`ARK-${product}`);
      expect(await verifyCertificateSignature(ark, ark)).toEqual({ ok: true });
      for (const pem of [roots.ask, roots.asvk]) {
        expect(await verifyCertificateSignature(parseCertificate(pemToDerList(pem)[0]!), ark)).toEqual({ ok: true });
      }
    }
  });
});
