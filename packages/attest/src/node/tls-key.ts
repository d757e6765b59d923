/**
 * The gateway's TLS key and the certificate signing request for it, so that TLS can end inside
 * the attested build. The key is made once, as ECDSA P-256 PKCS#8 PEM, reused afterwards, and
 * never printed; the CSR (PKCS#10, RFC 2986) is what the operator has a CA sign.
 *
 * Given a sealer, the PEM is sealed at rest in `<dataDir>/attest/tls-key.pem.sealed` like the
 * identity keys (sealed-files.ts: a plaintext `tls-key.pem` is sealed and removed; a key another
 * build sealed is replaced, and then needs a new certificate). Without one it is the plaintext
 * file `tls-key.pem` (mode 0600) that SAFEROUTER_TLS_KEY reads today.
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
import { loadOrCreateSealed } from './sealed-files.js';
import type { KeySealer } from './sealing.js';
import { attestDir, createExclusive, readPrivate, type Log } from './secure-files.js';

/** The plaintext key file (no sealer), PKCS#8 PEM. */
export const TLS_KEY_FILE = 'tls-key.pem';
/** The sealed key file (a sealed-blob JSON document holding the PEM). */
export const SEALED_TLS_KEY_FILE = 'tls-key.pem.sealed';
/** What the TLS key is sealed for (the blob's `context`). */
export const TLS_SEAL_CONTEXT = 'tls.key-pem';

/** ECDSA signature algorithms by curve (RFC 5758): the hash matches the curve's strength. */
const ECDSA = {
  prime256v1: { oid: '1.2.840.10045.4.3.2', hash: 'sha256' },
  secp384r1: { oid: '1.2.840.10045.4.3.3', hash: 'sha384' },
} as const;

type Curve = keyof typeof ECDSA;

export interface TlsKey {
  /** Where the key lives (`<dataDir>/attest/tls-key.pem`, or `tls-key.pem.sealed` when sealed). */
  readonly path: string;
  /** True when this call made it (also when it replaced a key another build sealed). */
  readonly created: boolean;
  /** True when the key is sealed at rest. */
  readonly sealed: boolean;
  /** SHA-256 of its SubjectPublicKeyInfo: what a version-2 bundle binds once a certificate carries it. */
  readonly spkiSha256: Uint8Array;
  /**
   * A PKCS#10 certificate signing request (PEM) for `names`: subject CN = the first name, and a
   * subjectAltName extension request with every name (a DNS name, lowercased, or an IP address).
   *
   * @throws {RangeError} when `names` is empty or a name is neither a host name nor an IP address.
   */
  csr(names: readonly string[]): string;
  /**
   * The private key as PKCS#8 PEM, for the TLS server (node:tls takes nothing else). Never log
   * or print it.
   */
  privateKeyPem(): string;
}

export interface TlsKeyOptions {
  /** Seals the key at rest (`attestor.sealer`, or `createKeySealer`). Without it: plaintext PEM. */
  sealer?: KeySealer | undefined;
  log?: Log | undefined;
}

/** The TLS key's path under a gateway data dir (`sealed`: the sealed file). */
export function tlsKeyPath(dataDir: string, sealed = false): string {
  return join(attestDir(dataDir), sealed ? SEALED_TLS_KEY_FILE : TLS_KEY_FILE);
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

function parseTlsKey(text: string, path: string): { privateKey: KeyObject; curve: Curve } {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: text, format: 'pem' });
  } catch {
    // Never the parser's message: it could quote the file.
    throw new Error(`${path} is not a PEM private key: refusing to use it for TLS`);
  }
  return { privateKey, curve: curveOf(privateKey, path) };
}

const freshPem = (): string =>
  generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;

/**
 * Loads the TLS key, making it (ECDSA P-256) the first time: sealed in
 * `<dataDir>/attest/tls-key.pem.sealed` when `options.sealer` is given, else the plaintext
 * `<dataDir>/attest/tls-key.pem` (mode 0600). Sealed, a plaintext key file is sealed and removed,
 * and a key another build sealed is replaced (warning: it needs a new certificate).
 *
 * @example
 * const key = await loadOrCreateTlsKey('/var/lib/saferouter', { sealer: attestor.sealer });
 * process.stdout.write(key.csr(['router.example.com']));
 * @throws {TypeError | RangeError} when `dataDir` is not a non-empty string.
 * @throws {Error} when the file is not an ECDSA P-256/P-384 private key in PEM, or a sealed file
 *   fails authentication.
 */
export async function loadOrCreateTlsKey(dataDir: string, options: TlsKeyOptions | Log = {}): Promise<TlsKey> {
  assertNonEmptyString(dataDir, 'dataDir');
  const { sealer, log } = typeof options === 'function' ? { sealer: undefined, log: options } : options;
  let path: string;
  let created: boolean;
  let text: string;
  if (sealer === undefined) {
    path = tlsKeyPath(dataDir);
    created = await createExclusive(path, freshPem());
    if (created) log?.('info', `created ${path}`);
    text = new TextDecoder().decode(await readPrivate(path, log));
  } else {
    path = tlsKeyPath(dataDir, true);
    const sealed = await loadOrCreateSealed({
      path,
      legacyPath: tlsKeyPath(dataDir),
      context: TLS_SEAL_CONTEXT,
      sealer,
      generate: () => new TextEncoder().encode(freshPem()),
      check: (secret, file) => void parseTlsKey(new TextDecoder().decode(secret), file),
      replacedNote:
        'the TLS certificate for the old key no longer fits: make a CSR for the new key (saferouter-attest tls-csr) and have it signed',
      log,
    });
    created = sealed.origin === 'created' || sealed.origin === 'replaced';
    text = new TextDecoder().decode(sealed.secret);
    sealed.secret.fill(0);
  }
  const { privateKey, curve } = parseTlsKey(text, path);
  const spkiDer = new Uint8Array(createPublicKey(privateKey).export({ type: 'spki', format: 'der' }));
  return {
    path,
    created,
    sealed: sealer !== undefined,
    spkiSha256: spkiSha256(spkiDer),
    csr: (names) => buildCsr(privateKey, curve, spkiDer, names),
    privateKeyPem: () => privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
  };
}
