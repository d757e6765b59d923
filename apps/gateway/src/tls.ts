/**
 * The certificate and key the gateway serves HTTPS with, read and checked once at start: both
 * files readable, the certificate a PEM X.509 certificate, the key a PEM private key, and the two
 * a pair. Anything else stops the start with an error naming the variable; no message ever
 * includes key material (only paths and error codes). The SPKI hash is what version-2 quotes bind.
 */
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { certificateSpkiSha256, pemToDerList } from '@saferouter/attest';
import { ConfigError } from '@saferouter/router';
import type { GatewayConfig } from './config.js';

export interface TlsCredentials {
  /** The certificate file as given (PEM; a chain, leaf first, is served whole). */
  cert: string;
  /** The private key file (PEM). */
  key: string;
  /** SHA-256 of the leaf's SubjectPublicKeyInfo, for the attestor (binding version 2). */
  spkiSha256: Uint8Array;
}

function read(variable: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(variable, `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}`);
  }
}

/**
 * @example
 * const tls = config.tls === undefined ? undefined : loadTls(config.tls);
 * @throws {ConfigError} naming SAFEROUTER_TLS_CERT or SAFEROUTER_TLS_KEY.
 */
export function loadTls(paths: NonNullable<GatewayConfig['tls']>): TlsCredentials {
  const cert = read('SAFEROUTER_TLS_CERT', paths.certPath);
  const key = read('SAFEROUTER_TLS_KEY', paths.keyPath);
  let leaf: X509Certificate;
  try {
    const first = pemToDerList(cert)[0];
    if (first === undefined) throw new Error('no PEM block');
    leaf = new X509Certificate(first);
  } catch {
    throw new ConfigError('SAFEROUTER_TLS_CERT', `${paths.certPath} is not a PEM X.509 certificate`);
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key, format: 'pem' });
  } catch {
    // Never the parser's message: it could quote the file.
    throw new ConfigError('SAFEROUTER_TLS_KEY', `${paths.keyPath} is not a PEM private key`);
  }
  if (!leaf.checkPrivateKey(privateKey))
    throw new ConfigError(
      'SAFEROUTER_TLS_KEY',
      `${paths.keyPath} is not the private key of the certificate in SAFEROUTER_TLS_CERT (${paths.certPath})`,
    );
  try {
    // What the server will do with the files: anything OpenSSL refuses (a malformed chain) fails here.
    createSecureContext({ cert, key });
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    throw new ConfigError(
      'SAFEROUTER_TLS_CERT',
      `${paths.certPath} cannot be served with ${paths.keyPath}: ${typeof code === 'string' ? code : 'refused by OpenSSL'}`,
    );
  }
  return { cert, key, spkiSha256: certificateSpkiSha256(new Uint8Array(leaf.raw)) };
}
