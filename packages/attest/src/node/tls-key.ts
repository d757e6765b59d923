/**
 * The gateway's TLS key and the certificate signing request for it, so that TLS can end inside
 * the attested build. The key is made once, as an ECDSA P-256 PKCS#8 PEM file
 * `<dataDir>/attest/tls-key.pem` (mode 0600, created atomically like the identity keys), reused
 * afterwards, and never printed; the CSR (PKCS#10, RFC 2986) is what the operator has a CA sign.
 * Until a later release seals it to the VM, the key is a file the host can read, like every other
 * key in the data dir (docs/attestation.md says so).
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { Attributes, CertificationRequest, CertificationRequestInfo } from '@peculiar/asn1-csr';
import { ExtensionRequest, id_pkcs9_at_extensionRequest } from '@peculiar/asn1-pkcs9';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier,
  Attribute,
  Extension,
  GeneralName,
  SubjectAlternativeName,
  id_ce_subjectAltName,
} from '@peculiar/asn1-x509';
import { toBase64 } from '../bytes.js';
import { assertNonEmptyString } from '../validate.js';
import { distinguishedName, publicKeyInfoFromDer } from '../x509/cert-builder.js';
import { spkiSha256 } from '../x509/spki.js';
import { attestDir } from './identity.js';
import { createExclusive, readPrivate, type Log } from './secure-files.js';

export const TLS_KEY_FILE = 'tls-key.pem';

/** ECDSA signature algorithms by curve (RFC 5758): the hash matches the curve's strength. */
const ECDSA = {
  prime256v1: { oid: '1.2.840.10045.4.3.2', hash: 'sha256' },
  secp384r1: { oid: '1.2.840.10045.4.3.3', hash: 'sha384' },
} as const;

type Curve = keyof typeof ECDSA;

export interface TlsKey {
  /** Where the key lives (`<dataDir>/attest/tls-key.pem`). */
  readonly path: string;
  /** True when this call made it. */
  readonly created: boolean;
  /** SHA-256 of its SubjectPublicKeyInfo: what a version-2 bundle binds once a certificate carries it. */
  readonly spkiSha256: Uint8Array;
  /**
   * A PKCS#10 certificate signing request (PEM) for `names`: subject CN = the first name, and a
   * subjectAltName extension request with every name (a DNS name, lowercased, or an IP address).
   *
   * @throws {RangeError} when `names` is empty or a name is neither a host name nor an IP address.
   */
  csr(names: readonly string[]): string;
}

/** The TLS key's path under a gateway data dir. */
export function tlsKeyPath(dataDir: string): string {
  return join(attestDir(dataDir), TLS_KEY_FILE);
}

function curveOf(key: KeyObject, path: string): Curve {
  const curve = key.asymmetricKeyType === 'ec' ? key.asymmetricKeyDetails?.namedCurve : undefined;
  if (curve === 'prime256v1' || curve === 'secp384r1') return curve;
  throw new Error(`${path} is not an ECDSA P-256 or P-384 key: refusing to use it for TLS`);
}

const HOST_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/i;

function generalName(name: string): GeneralName {
  if (typeof name !== 'string') throw new TypeError('each name must be a string');
  if (isIP(name) !== 0) return new GeneralName({ iPAddress: name });
  const labels = name.split('.');
  const ok =
    name.length <= 253 &&
    labels.every((label, i) => HOST_LABEL.test(label) || (i === 0 && label === '*' && labels.length > 2));
  if (!ok) throw new RangeError(`'${name.slice(0, 80)}' is neither a host name nor an IP address`);
  return new GeneralName({ dNSName: name.toLowerCase() });
}

function pem(label: string, der: Uint8Array): string {
  const body = toBase64(der)
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
}

/**
 * Checks the names a CSR would carry, before anything is written.
 *
 * @example
 * assertTlsNames(['router.example.com', '203.0.113.7']);
 * @throws {TypeError} when `names` is not an array of strings.
 * @throws {RangeError} when it is empty or a name is neither a host name nor an IP address.
 */
export function assertTlsNames(names: readonly string[]): void {
  subjectAltNames(names);
}

function subjectAltNames(names: readonly string[]): SubjectAlternativeName {
  if (!Array.isArray(names)) throw new TypeError('names must be an array of host names');
  if (names.length === 0) throw new RangeError('names must list at least one host name');
  return new SubjectAlternativeName(names.map(generalName));
}

function buildCsr(privateKey: KeyObject, curve: Curve, spkiDer: Uint8Array, names: readonly string[]): string {
  const altNames = subjectAltNames(names);
  const extension = new Extension({
    extnID: id_ce_subjectAltName,
    critical: false,
    extnValue: new OctetString(AsnConvert.serialize(altNames)),
  });
  const info = new CertificationRequestInfo({
    version: 0,
    subject: distinguishedName((names[0] as string).toLowerCase()),
    subjectPKInfo: publicKeyInfoFromDer(spkiDer),
    attributes: new Attributes([
      new Attribute({
        type: id_pkcs9_at_extensionRequest,
        values: [AsnConvert.serialize(new ExtensionRequest([extension]))],
      }),
    ]),
  });
  const infoDer = new Uint8Array(AsnConvert.serialize(info));
  const { oid, hash } = ECDSA[curve];
  // node:crypto signs ECDSA in the DER (r, s) form X.509 and PKCS#10 use.
  const signature = sign(hash, infoDer, privateKey);
  const request = new CertificationRequest({
    certificationRequestInfo: info,
    signatureAlgorithm: new AlgorithmIdentifier({ algorithm: oid }),
    signature: new Uint8Array(signature).buffer,
  });
  return pem('CERTIFICATE REQUEST', new Uint8Array(AsnConvert.serialize(request)));
}

/**
 * Loads the TLS key from `<dataDir>/attest/tls-key.pem`, making it (ECDSA P-256, mode 0600) the
 * first time. The private key never leaves this module.
 *
 * @example
 * const key = await loadOrCreateTlsKey('/var/lib/saferouter');
 * process.stdout.write(key.csr(['router.example.com']));
 * @throws {TypeError | RangeError} when `dataDir` is not a non-empty string.
 * @throws {Error} when the file exists but is not an ECDSA P-256/P-384 private key in PEM.
 */
export async function loadOrCreateTlsKey(dataDir: string, log?: Log): Promise<TlsKey> {
  assertNonEmptyString(dataDir, 'dataDir');
  const path = tlsKeyPath(dataDir);
  const fresh = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
  const created = await createExclusive(path, fresh.export({ type: 'pkcs8', format: 'pem' }));
  if (created) log?.('info', `created ${path}`);
  const text = new TextDecoder().decode(await readPrivate(path, log));
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: text, format: 'pem' });
  } catch {
    // Never the parser's message: it could quote the file.
    throw new Error(`${path} is not a PEM private key: refusing to use it for TLS`);
  }
  const curve = curveOf(privateKey, path);
  const spkiDer = new Uint8Array(createPublicKey(privateKey).export({ type: 'spki', format: 'der' }));
  return {
    path,
    created,
    spkiSha256: spkiSha256(spkiDer),
    csr: (names) => buildCsr(privateKey, curve, spkiDer, names),
  };
}
