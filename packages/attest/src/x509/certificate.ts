/**
 * X.509 certificate parsing for the attestation verifier: @peculiar/asn1-x509 decodes, and this
 * file reduces the result to the fields chain and TCB checks read, with the signature algorithm
 * pinned down to what AMD (RSASSA-PSS SHA-384, salt 48) and the mock CA (Ed25519) use. Anything
 * else parses as `unsupported` and fails the chain check.
 */
import { RSAPublicKey, RsaSaPssParams, id_RSASSA_PSS, id_mgf1, id_rsaEncryption, id_sha384 } from '@peculiar/asn1-rsa';
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier,
  BasicConstraints,
  Certificate as AsnCertificate,
  type Extension as AsnExtension,
  Version,
  id_ce_basicConstraints,
  type Name,
  type SubjectPublicKeyInfo,
} from '@peculiar/asn1-x509';
import { DerError, derOid, derString, parseBer, parseDer, toBytes, unsignedInteger } from './asn1.js';
import { OID } from './oids.js';

export type SignatureAlgorithm =
  { kind: 'rsa-pss-sha384' } | { kind: 'ed25519' } | { kind: 'unsupported'; detail: string };

export type PublicKeyInfo =
  | { kind: 'rsa'; modulus: Uint8Array; exponent: Uint8Array }
  | { kind: 'ec-p384'; point: Uint8Array }
  | { kind: 'ed25519'; key: Uint8Array }
  | { kind: 'unsupported'; detail: string };

export interface DistinguishedName {
  /** The Name's DER, compared byte for byte when linking issuer to subject. */
  der: Uint8Array;
  commonName: string | undefined;
}

export interface Extension {
  critical: boolean;
  /** extnValue's contents (the inner bytes of the OCTET STRING). */
  value: Uint8Array;
}

export interface Certificate {
  der: Uint8Array;
  /** The signed TBSCertificate bytes, exactly as they appear in `der`. */
  tbs: Uint8Array;
  serial: Uint8Array;
  signatureAlgorithm: SignatureAlgorithm;
  signature: Uint8Array;
  issuer: DistinguishedName;
  subject: DistinguishedName;
  notBefore: Date;
  notAfter: Date;
  publicKey: PublicKeyInfo;
  extensions: ReadonlyMap<string, Extension>;
  /** basicConstraints cA = TRUE. */
  isCa: boolean;
}

/**
 * Parses one DER certificate.
 *
 * @example
 * const vcek = parseCertificate(der);
 * vcek.subject.commonName; // 'SEV-VCEK'
 * @throws {DerError} (a RangeError) when the bytes are not a DER X.509 v3 certificate.
 */
export function parseCertificate(der: Uint8Array): Certificate {
  // parseDer re-encodes the whole certificate and demands the input bytes back, so every part
  // re-encoded below (names, algorithm identifiers) is byte-identical to what was signed.
  const cert = parseDer(der, AsnCertificate, 'Certificate');
  const tbs = cert.tbsCertificate;
  if (tbs.version !== Version.v3) throw new DerError('Certificate is not X.509 v3');
  // The original TBSCertificate encoding, kept by asn1-schema while parsing (asn1-x509 marks it raw).
  if (cert.tbsCertificateRaw === undefined) throw new DerError('TBSCertificate bytes are unavailable');
  const extensions = readExtensions(tbs.extensions ?? []);
  const signatureAlgorithm: SignatureAlgorithm = cert.signatureAlgorithm.isEqual(tbs.signature)
    ? readSignatureAlgorithm(cert.signatureAlgorithm)
    : { kind: 'unsupported', detail: 'signatureAlgorithm differs from the TBSCertificate signature field' };
  return {
    der,
    tbs: toBytes(cert.tbsCertificateRaw),
    serial: unsignedInteger(tbs.serialNumber, 'serialNumber'),
    signatureAlgorithm,
    signature: toBytes(cert.signatureValue),
    issuer: readName(tbs.issuer),
    subject: readName(tbs.subject),
    notBefore: tbs.validity.notBefore.getTime(),
    notAfter: tbs.validity.notAfter.getTime(),
    publicKey: readPublicKey(tbs.subjectPublicKeyInfo),
    extensions,
    isCa: isCa(extensions),
  };
}

function readName(name: Name): DistinguishedName {
  let commonName: string | undefined;
  for (const rdn of name) {
    for (const atv of rdn) {
      if (atv.type === OID.commonName) commonName = derString(AsnConvert.serialize(atv.value), 'commonName');
    }
  }
  return { der: new Uint8Array(AsnConvert.serialize(name)), commonName };
}

function readExtensions(list: readonly AsnExtension[]): Map<string, Extension> {
  const out = new Map<string, Extension>();
  for (const ext of list) {
    if (out.has(ext.extnID)) throw new DerError(`duplicate extension ${ext.extnID}`);
    out.set(ext.extnID, { critical: ext.critical, value: toBytes(ext.extnValue.buffer) });
  }
  return out;
}

function isCa(extensions: ReadonlyMap<string, Extension>): boolean {
  const bc = extensions.get(id_ce_basicConstraints);
  return bc !== undefined && parseDer(bc.value, BasicConstraints, 'basicConstraints').cA;
}

function readPublicKey(spki: SubjectPublicKeyInfo): PublicKeyInfo {
  const id = spki.algorithm.algorithm;
  const params = spki.algorithm.parameters;
  const key = toBytes(spki.subjectPublicKey);
  if (id === id_rsaEncryption || id === id_RSASSA_PSS) {
    const rsa = parseDer(key, RSAPublicKey, 'RSAPublicKey');
    return {
      kind: 'rsa',
      modulus: unsignedInteger(rsa.modulus, 'modulus'),
      exponent: unsignedInteger(rsa.publicExponent, 'exponent'),
    };
  }
  if (id === OID.ecPublicKey) {
    const curve = params instanceof ArrayBuffer ? namedCurve(params) : 'missing';
    if (curve !== OID.secp384r1) return { kind: 'unsupported', detail: `EC key on curve ${curve}, expected P-384` };
    if (key.length !== 97 || key[0] !== 4)
      return { kind: 'unsupported', detail: 'P-384 key is not an uncompressed point' };
    return { kind: 'ec-p384', point: key };
  }
  if (id === OID.ed25519) {
    if (key.length !== 32) return { kind: 'unsupported', detail: 'Ed25519 key is not 32 bytes' };
    return { kind: 'ed25519', key };
  }
  return { kind: 'unsupported', detail: `public key algorithm ${id}` };
}

function namedCurve(params: ArrayBuffer): string {
  try {
    return derOid(params, 'EC parameters');
  } catch {
    return 'missing';
  }
}

function readSignatureAlgorithm(alg: AlgorithmIdentifier): SignatureAlgorithm {
  const params = alg.parameters;
  if (alg.algorithm === OID.ed25519) {
    return params === undefined ? { kind: 'ed25519' } : { kind: 'unsupported', detail: 'Ed25519 with parameters' };
  }
  if (alg.algorithm !== id_RSASSA_PSS) return { kind: 'unsupported', detail: `signature algorithm ${alg.algorithm}` };
  if (!(params instanceof ArrayBuffer)) return { kind: 'unsupported', detail: 'RSASSA-PSS without parameters' };
  // BER, not DER, here and for the MGF1 hash: AMD's ARK, ASK and VCEK certificates write out
  // the DEFAULT trailerField. The values that matter are all checked below.
  const pss = parseBer(params, RsaSaPssParams, 'RSASSA-PSS-params');
  const mgf = pss.maskGenAlgorithm;
  const mgfHash =
    mgf.algorithm === id_mgf1 && mgf.parameters instanceof ArrayBuffer
      ? hashOid(parseBer(mgf.parameters, AlgorithmIdentifier, 'MGF1 hash'))
      : '';
  if (
    hashOid(pss.hashAlgorithm) !== id_sha384 ||
    mgfHash !== id_sha384 ||
    pss.saltLength !== 48 ||
    pss.trailerField !== 1
  ) {
    return { kind: 'unsupported', detail: 'RSASSA-PSS parameters are not SHA-384 / MGF1-SHA-384 / salt 48' };
  }
  return { kind: 'rsa-pss-sha384' };
}

/** The OID of a hash AlgorithmIdentifier whose parameters are absent or NULL. */
function hashOid(alg: AlgorithmIdentifier): string {
  return alg.parameters === undefined || alg.parameters === null ? alg.algorithm : 'unexpected-parameters';
}
