/**
 * Test helper: a self-made PKI shaped exactly like AMD's (ARK-Milan → SEV-Milan → SEV-VCEK, or
 * the VLEK variant), with WebCrypto RSASSA-PSS keys and a P-384 leaf, plus a report re-signer.
 * Trusting its root via `trustedRoots` lets tests forge individual fields (TCB, chip id, VMPL)
 * and see exactly the intended check fail; without it, it is the "self-made root" attack.
 */
import { p384 } from '@noble/curves/nist.js';
import type { Extension, Name, SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import type { webcrypto } from 'node:crypto';
import type { Product } from '../product.js';
import { OFFSET, SIGNED_LENGTH } from '../report/layout.js';
import { type TcbParts } from '../report/tcb.js';
import {
  basicConstraints,
  buildCertificate,
  distinguishedName,
  ia5Extension,
  integerExtension,
  p384PublicKeyInfo,
  publicKeyInfoFromDer,
  rawExtension,
} from '../x509/cert-builder.js';
import { OID } from '../x509/oids.js';
import { derToPem } from '../x509/pem.js';

export interface SyntheticAmd {
  arkPem: string;
  intermediatePem: string;
  leafDer: Uint8Array;
  /** Intermediate then ARK (PEM). */
  chainPem: string;
  /** Re-signs a report copy with the leaf key (ECDSA P-384, little-endian r/s). */
  sign(report: Uint8Array): Uint8Array;
}

export interface SyntheticOptions {
  product?: Product;
  kind?: 'vcek' | 'vlek';
  tcb: TcbParts;
  chipId: Uint8Array;
  /** The hwid extension value; default `chipId` (Turin VCEKs carry 8 bytes). */
  hwid?: Uint8Array;
  notBefore?: Date;
  notAfter?: Date;
}

const subtle = globalThis.crypto.subtle;

async function rsaKey(): Promise<webcrypto.CryptoKeyPair> {
  return subtle.generateKey(
    { name: 'RSA-PSS', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-384' },
    true,
    ['sign', 'verify'],
  );
}

function rsaSigner(key: webcrypto.CryptoKey): (tbs: Uint8Array) => Promise<Uint8Array> {
  return async (tbs) =>
    new Uint8Array(await subtle.sign({ name: 'RSA-PSS', saltLength: 48 }, key, tbs as Uint8Array<ArrayBuffer>));
}

const amdName = (cn: string): Name => distinguishedName(cn, 'Advanced Micro Devices');

/** Builds the PKI. RSA-2048 keeps tests fast; the verifier does not care about modulus size. */
export async function makeSyntheticAmd(options: SyntheticOptions): Promise<SyntheticAmd> {
  const product = options.product ?? 'Milan';
  const kind = options.kind ?? 'vcek';
  const notBefore = options.notBefore ?? new Date('2020-01-01T00:00:00Z');
  const notAfter = options.notAfter ?? new Date('2045-01-01T00:00:00Z');
  const ark = await rsaKey();
  const inter = await rsaKey();
  const arkName = amdName(`ARK-${product}`);
  const interName = amdName(kind === 'vcek' ? `SEV-${product}` : `SEV-VLEK-${product}`);
  const spki = async (k: webcrypto.CryptoKey): Promise<SubjectPublicKeyInfo> =>
    publicKeyInfoFromDer(new Uint8Array(await subtle.exportKey('spki', k)));
  const arkDer = await buildCertificate({
    serial: 0x10000,
    issuer: arkName,
    subject: arkName,
    notBefore,
    notAfter,
    publicKeyInfo: await spki(ark.publicKey),
    extensions: [basicConstraints(true)],
    signatureAlgorithm: 'rsa-pss-sha384',
    sign: rsaSigner(ark.privateKey),
  });
  const interDer = await buildCertificate({
    serial: 0x10001,
    issuer: arkName,
    subject: interName,
    notBefore,
    notAfter,
    publicKeyInfo: await spki(inter.publicKey),
    extensions: [basicConstraints(true)],
    signatureAlgorithm: 'rsa-pss-sha384',
    sign: rsaSigner(ark.privateKey),
  });
  const leafSecret = p384.utils.randomSecretKey();
  const extensions: Extension[] = [
    integerExtension(OID.amdStructVersion, 1),
    ia5Extension(OID.amdProductName, product),
    integerExtension(OID.amdBlSpl, options.tcb.bootloader),
    integerExtension(OID.amdTeeSpl, options.tcb.tee),
    integerExtension(OID.amdSnpSpl, options.tcb.snp),
    integerExtension(OID.amdUcodeSpl, options.tcb.microcode),
  ];
  if (options.tcb.fmc !== undefined) extensions.push(integerExtension(OID.amdFmcSpl, options.tcb.fmc));
  extensions.push(
    kind === 'vcek'
      ? rawExtension(OID.amdHwid, options.hwid ?? options.chipId)
      : ia5Extension(OID.amdCspId, 'test-csp.example'),
  );
  const leafDer = await buildCertificate({
    serial: 0,
    issuer: interName,
    subject: amdName(kind === 'vcek' ? 'SEV-VCEK' : 'SEV-VLEK'),
    notBefore,
    notAfter,
    publicKeyInfo: p384PublicKeyInfo(p384.getPublicKey(leafSecret, false)),
    extensions,
    signatureAlgorithm: 'rsa-pss-sha384',
    sign: rsaSigner(inter.privateKey),
  });
  return {
    arkPem: derToPem(arkDer),
    intermediatePem: derToPem(interDer),
    leafDer,
    chainPem: derToPem(interDer) + derToPem(arkDer),
    sign(report: Uint8Array): Uint8Array {
      const out = report.slice();
      const sig = p384.sign(out.subarray(0, SIGNED_LENGTH), leafSecret, { prehash: true, lowS: false });
      out.fill(0, OFFSET.signatureR, OFFSET.signatureS + 72);
      out.set(sig.slice(0, 48).reverse(), OFFSET.signatureR);
      out.set(sig.slice(48, 96).reverse(), OFFSET.signatureS);
      return out;
    },
  };
}

/** Little-endian u32 write into a report copy. */
export function withU32(report: Uint8Array, offset: number, value: number): Uint8Array {
  const out = report.slice();
  new DataView(out.buffer).setUint32(offset, value, true);
  return out;
}

/** Copy of `report` with `bytes` written at `offset`. */
export function withBytes(report: Uint8Array, offset: number, bytes: Uint8Array): Uint8Array {
  const out = report.slice();
  out.set(bytes, offset);
  return out;
}

/** Copy with one bit flipped at `offset`. */
export function flipped(report: Uint8Array, offset: number, mask = 0x01): Uint8Array {
  const out = report.slice();
  out[offset] = (out[offset] as number) ^ mask;
  return out;
}
