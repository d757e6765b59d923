/**
 * Test-only PKI for TLS tests: a throwaway CA (self-signed) that issues server certificates for
 * 127.0.0.1/localhost, either for a CSR (the gateway's key from `saferouter-attest tls-csr`) or
 * for a fresh key (a proxy's). @peculiar/x509 needs the reflect-metadata polyfill; only tests
 * load either.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 86_400_000;

export interface TestCa {
  /** The CA certificate (PEM): what `--ca` trusts. */
  readonly pem: string;
  /** A server certificate (PEM) for the CSR's key, for 127.0.0.1 and localhost. */
  issueForCsr(csrPem: string): Promise<string>;
  /** A fresh P-256 key (PKCS#8 PEM) and a server certificate for it. */
  issueWithNewKey(): Promise<{ cert: string; key: string }>;
}

let serial = 1;

function pemOf(label: string, der: ArrayBuffer): string {
  const body = Buffer.from(der)
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
}

export async function createTestCa(): Promise<TestCa> {
  const caKeys = await webcrypto.subtle.generateKey(ALG, false, ['sign', 'verify']);
  const caCert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: (serial++).toString(16).padStart(2, '0'),
    name: 'CN=SafeRouter test CA',
    notBefore: new Date(Date.now() - DAY),
    notAfter: new Date(Date.now() + 30 * DAY),
    keys: caKeys,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    ],
  });

  const issue = async (publicKey: x509.PublicKey | webcrypto.CryptoKey): Promise<string> => {
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: (serial++).toString(16).padStart(2, '0'),
      subject: 'CN=localhost',
      issuer: caCert.subject,
      notBefore: new Date(Date.now() - DAY),
      notAfter: new Date(Date.now() + 30 * DAY),
      publicKey,
      signingKey: caKeys.privateKey,
      signingAlgorithm: ALG,
      extensions: [
        new x509.BasicConstraintsExtension(false),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension([
          { type: 'ip', value: '127.0.0.1' },
          { type: 'dns', value: 'localhost' },
        ]),
      ],
    });
    return `${cert.toString('pem')}\n`;
  };

  return {
    pem: `${caCert.toString('pem')}\n`,
    issueForCsr: async (csrPem) => issue(new x509.Pkcs10CertificateRequest(csrPem).publicKey),
    async issueWithNewKey() {
      const keys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
      const key = pemOf('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
      return { cert: await issue(keys.publicKey), key };
    },
  };
}
