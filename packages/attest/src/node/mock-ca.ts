/**
 * The mock backend's certificate authority, shaped like AMD's: a persistent Ed25519 root (the
 * ARK role) kept under the data dir, and an intermediate (ASK role) and leaf (VCEK role) issued
 * fresh by each process with throwaway keys. The leaf carries AMD-style TCB (all zero) and hwid
 * extensions so the verifier's binding checks run on mock evidence too.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { bytesEqual } from '../bytes.js';
import { MOCK_INTERMEDIATE_NAME, MOCK_LEAF_NAME, MOCK_PRODUCT_NAME, MOCK_ROOT_NAME } from '../mock-format.js';
import { parseCertificate } from '../x509/certificate.js';
import {
  basicConstraints,
  buildCertificate,
  distinguishedName,
  ed25519PublicKeyInfo,
  ia5Extension,
  integerExtension,
  rawExtension,
  subjectName,
} from '../x509/cert-builder.js';
import { OID } from '../x509/oids.js';
import { derToPem, pemToDerList } from '../x509/pem.js';
import { attestDir } from './identity.js';
import { mockChipId } from './mock-report.js';
import { createExclusive, loadOrCreateSecret, readPrivate, type Log } from './secure-files.js';

export const MOCK_ROOT_KEY_FILE = 'mock-root-ed25519.key';
export const MOCK_ROOT_CERT_FILE = 'mock-root.pem';
const ORG = 'SafeRouter (demo, not hardware)';
const DAY = 86_400_000;
/** Issued intermediates and leaves live this long; the backend re-issues well before. */
export const MOCK_ISSUE_VALIDITY_MS = 90 * DAY;

export interface MockRoot {
  pem: string;
  publicKey: Uint8Array;
  secret: Uint8Array;
}

export interface MockIssued {
  /** PEM chain, leaf first: leaf, intermediate, root. */
  chain: [string, string, string];
  chipId: Uint8Array;
  /** Signs with the leaf key. */
  sign: (message: Uint8Array) => Uint8Array;
  notAfter: Date;
}

/**
 * Loads the persistent mock root from `<dataDir>/attest/`, creating key and certificate on first
 * use (20-year validity).
 *
 * @throws {Error} when the stored certificate does not match the stored key.
 */
export async function loadOrCreateMockRoot(dataDir: string, now: Date, log?: Log): Promise<MockRoot> {
  const dir = attestDir(dataDir);
  const { secret } = await loadOrCreateSecret(
    join(dir, MOCK_ROOT_KEY_FILE),
    32,
    () => ed25519.utils.randomSecretKey(),
    log,
  );
  const publicKey = ed25519.getPublicKey(secret);
  const certPath = join(dir, MOCK_ROOT_CERT_FILE);
  const name = distinguishedName(MOCK_ROOT_NAME, ORG);
  const der = await buildCertificate({
    serial: 1,
    issuer: name,
    subject: name,
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + 20 * 365 * DAY),
    publicKeyInfo: ed25519PublicKeyInfo(publicKey),
    extensions: [basicConstraints(true)],
    signatureAlgorithm: 'ed25519',
    sign: (tbs) => ed25519.sign(tbs, secret),
  });
  if (await createExclusive(certPath, derToPem(der))) log?.('info', `created mock root certificate ${certPath}`);
  const pem = new TextDecoder().decode(await readPrivate(certPath, log));
  const stored = pemToDerList(pem)[0];
  const key = stored === undefined ? undefined : parseCertificate(stored).publicKey;
  if (key?.kind !== 'ed25519' || !bytesEqual(key.key, publicKey)) {
    throw new Error(`${certPath} does not match ${MOCK_ROOT_KEY_FILE}; remove both to make a new mock root`);
  }
  return { pem, publicKey, secret };
}

/** Issues a fresh intermediate and leaf under `root`. */
export async function issueMockChain(root: MockRoot, now: Date): Promise<MockIssued> {
  const notBefore = new Date(now.getTime() - 60_000);
  const notAfter = new Date(now.getTime() + MOCK_ISSUE_VALIDITY_MS);
  const rootDer = pemToDerList(root.pem)[0] as Uint8Array;
  const rootName = subjectName(rootDer);
  const interSecret = ed25519.utils.randomSecretKey();
  const interName = distinguishedName(MOCK_INTERMEDIATE_NAME, ORG);
  const interDer = await buildCertificate({
    serial: serial(),
    issuer: rootName,
    subject: interName,
    notBefore,
    notAfter,
    publicKeyInfo: ed25519PublicKeyInfo(ed25519.getPublicKey(interSecret)),
    extensions: [basicConstraints(true)],
    signatureAlgorithm: 'ed25519',
    sign: (tbs) => ed25519.sign(tbs, root.secret),
  });
  const leafSecret = ed25519.utils.randomSecretKey();
  const chipId = mockChipId(root.publicKey);
  const extensions = [
    integerExtension(OID.amdStructVersion, 0),
    ia5Extension(OID.amdProductName, MOCK_PRODUCT_NAME),
    integerExtension(OID.amdBlSpl, 0),
    integerExtension(OID.amdTeeSpl, 0),
    integerExtension(OID.amdSnpSpl, 0),
    integerExtension(OID.amdUcodeSpl, 0),
    rawExtension(OID.amdHwid, chipId),
  ];
  const leafDer = await buildCertificate({
    serial: serial(),
    issuer: interName,
    subject: distinguishedName(MOCK_LEAF_NAME, ORG),
    notBefore,
    notAfter,
    publicKeyInfo: ed25519PublicKeyInfo(ed25519.getPublicKey(leafSecret)),
    extensions,
    signatureAlgorithm: 'ed25519',
    sign: (tbs) => ed25519.sign(tbs, interSecret),
  });
  return {
    chain: [derToPem(leafDer), derToPem(interDer), derToPem(rootDer)],
    chipId,
    sign: (message) => ed25519.sign(message, leafSecret),
    notAfter,
  };
}

function serial(): bigint {
  const bytes = randomBytes(8);
  bytes[0] = (bytes[0] as number) & 0x7f;
  return BigInt(`0x${bytes.toString('hex')}`) || 1n;
}
