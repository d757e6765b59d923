/**
 * Builds X.509 v3 certificates from @peculiar/asn1-x509 structures: the mock backend issues its
 * root → intermediate → leaf with it, and tests build hostile AMD-shaped chains. The caller
 * supplies the signing function, so the same code serves Ed25519 (noble) and RSASSA-PSS
 * (WebCrypto). (@peculiar/x509's generator is not used: it needs a reflect-metadata polyfill.)
 */
import { RsaSaPssParams, id_RSASSA_PSS, id_mgf1, sha384 } from '@peculiar/asn1-rsa';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier,
  AttributeTypeAndValue,
  AttributeValue,
  BasicConstraints,
  Certificate,
  Extension,
  Extensions,
  Name,
  RelativeDistinguishedName,
  SubjectPublicKeyInfo,
  TBSCertificate,
  Validity,
  Version,
  id_ce_basicConstraints,
} from '@peculiar/asn1-x509';
import { encodeIa5String, encodeInteger, encodeOid, integerContents } from './asn1.js';
import { OID } from './oids.js';

export type BuilderSignatureAlgorithm = 'ed25519' | 'rsa-pss-sha384';

export interface CertificateSpec {
  serial: number | bigint;
  issuer: Name;
  subject: Name;
  notBefore: Date;
  notAfter: Date;
  publicKeyInfo: SubjectPublicKeyInfo;
  extensions?: readonly Extension[];
  signatureAlgorithm: BuilderSignatureAlgorithm;
  /** Signs the TBSCertificate bytes with the issuer's key. */
  sign: (tbs: Uint8Array) => Uint8Array | Promise<Uint8Array>;
}

/** A Name of `organizationName` (optional) and `commonName`, both UTF8String. */
export function distinguishedName(commonName: string, organization?: string): Name {
  const rdn = (type: string, text: string): RelativeDistinguishedName =>
    new RelativeDistinguishedName([
      new AttributeTypeAndValue({ type, value: new AttributeValue({ utf8String: text }) }),
    ]);
  const rdns = organization === undefined ? [] : [rdn(OID.organizationName, organization)];
  return new Name([...rdns, rdn(OID.commonName, commonName)]);
}

/** The subject Name of a DER certificate, to issue certificates under it. */
export function subjectName(der: Uint8Array): Name {
  return AsnConvert.parse(der, Certificate).tbsCertificate.subject;
}

/** SubjectPublicKeyInfo from its DER (what WebCrypto's `exportKey('spki')` returns). */
export function publicKeyInfoFromDer(der: Uint8Array): SubjectPublicKeyInfo {
  return AsnConvert.parse(der, SubjectPublicKeyInfo);
}

/** SubjectPublicKeyInfo for a 32-byte Ed25519 key. */
export function ed25519PublicKeyInfo(key: Uint8Array): SubjectPublicKeyInfo {
  return new SubjectPublicKeyInfo({
    algorithm: new AlgorithmIdentifier({ algorithm: OID.ed25519 }),
    subjectPublicKey: key.slice().buffer,
  });
}

/** SubjectPublicKeyInfo for an uncompressed P-384 point. */
export function p384PublicKeyInfo(point: Uint8Array): SubjectPublicKeyInfo {
  const algorithm = new AlgorithmIdentifier({
    algorithm: OID.ecPublicKey,
    parameters: encodeOid(OID.secp384r1).buffer,
  });
  return new SubjectPublicKeyInfo({ algorithm, subjectPublicKey: point.slice().buffer });
}

/** The AlgorithmIdentifier AMD uses: RSASSA-PSS, SHA-384, MGF1-SHA-384, salt 48. */
export function rsaPssSha384Algorithm(): AlgorithmIdentifier {
  const params = new RsaSaPssParams({
    hashAlgorithm: new AlgorithmIdentifier({ algorithm: sha384.algorithm, parameters: null }),
    maskGenAlgorithm: new AlgorithmIdentifier({ algorithm: id_mgf1, parameters: AsnConvert.serialize(sha384) }),
    saltLength: 48,
  });
  return new AlgorithmIdentifier({ algorithm: id_RSASSA_PSS, parameters: AsnConvert.serialize(params) });
}

/** basicConstraints extension (CA or not), critical. */
export function basicConstraints(ca: boolean): Extension {
  return rawExtension(
    id_ce_basicConstraints,
    new Uint8Array(AsnConvert.serialize(new BasicConstraints({ cA: ca }))),
    true,
  );
}

/** An extension whose value is a DER INTEGER (AMD SPL extensions). */
export function integerExtension(id: string, value: number): Extension {
  return rawExtension(id, encodeInteger(value));
}

/** An extension whose value is a DER IA5String (AMD product name, CSP id). */
export function ia5Extension(id: string, value: string): Extension {
  return rawExtension(id, encodeIa5String(value));
}

/** An extension with `value` as the extnValue contents (AMD's hwid is the raw chip id). */
export function rawExtension(id: string, value: Uint8Array, critical = false): Extension {
  return new Extension({ extnID: id, critical, extnValue: new OctetString(value) });
}

/**
 * Builds and signs a certificate; returns its DER.
 *
 * @example
 * const der = await buildCertificate({ serial: 1, issuer: name, subject: name, notBefore, notAfter,
 *   publicKeyInfo: ed25519PublicKeyInfo(pub), signatureAlgorithm: 'ed25519', sign: (tbs) => ed25519.sign(tbs, secret) });
 */
export async function buildCertificate(spec: CertificateSpec): Promise<Uint8Array> {
  const algorithm =
    spec.signatureAlgorithm === 'ed25519'
      ? new AlgorithmIdentifier({ algorithm: OID.ed25519 })
      : rsaPssSha384Algorithm();
  const extensions = spec.extensions ?? [];
  const tbsCertificate = new TBSCertificate({
    version: Version.v3,
    serialNumber: integerContents(spec.serial),
    signature: algorithm,
    issuer: spec.issuer,
    validity: new Validity({ notBefore: spec.notBefore, notAfter: spec.notAfter }),
    subject: spec.subject,
    subjectPublicKeyInfo: spec.publicKeyInfo,
    ...(extensions.length > 0 ? { extensions: new Extensions([...extensions]) } : {}),
  });
  const signature = await spec.sign(new Uint8Array(AsnConvert.serialize(tbsCertificate)));
  const certificate = new Certificate({
    tbsCertificate,
    signatureAlgorithm: algorithm,
    signatureValue: signature.slice().buffer,
  });
  return new Uint8Array(AsnConvert.serialize(certificate));
}
