/**
 * The certificate and key the gateway serves HTTPS with, read and checked once at start: both
 * files readable, the certificate a PEM X.509 certificate, the key a PEM private key, and the two
 * a pair. Anything else stops the start with an error naming the variable; no message ever
 * includes key material (only paths and error codes). The SPKI hash is what version-2 quotes bind.
 *
 * The key may be sealed to the build (`saferouter-attest tls-csr --measurement`, the
 * `tls-key.pem.sealed` file): the certificate is read first (the attestor binds its key), and the
 * key is opened with the attestor's sealer once it exists (`readTlsFiles`, then `openTls`).
 */
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { certificateSpkiSha256, pemToDerList } from '@saferouter/attest';
import { TLS_SEAL_CONTEXT, type KeySealer } from '@saferouter/attest/node';
import { ConfigError } from '@saferouter/router';
import type { GatewayConfig } from './config.js';

export interface TlsCredentials {
  /** The certificate file as given (PEM; a chain, leaf first, is served whole). */
  cert: string;
  /** The private key (PEM; opened, when the file is sealed). */
  key: string;
  /** True when the key file on disk is sealed to the build. */
  sealed: boolean;
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

/** Both files read, the certificate parsed; the key not yet opened. */
export interface TlsFiles {
  paths: NonNullable<GatewayConfig['tls']>;
  cert: string;
  leaf: X509Certificate;
  /** SHA-256 of the leaf's SubjectPublicKeyInfo (what the attestor binds). */
  spkiSha256: Uint8Array;
  /** The key file's text: PEM, or a sealed blob (JSON). */
  keyText: string;
  /** True when the key file is sealed (a JSON sealed blob): it needs the attestor's sealer. */
  sealed: boolean;
}

/**
 * @example
 * const files = readTlsFiles(config.tls);
 * @throws {ConfigError} naming SAFEROUTER_TLS_CERT or SAFEROUTER_TLS_KEY.
 */
export function readTlsFiles(paths: NonNullable<GatewayConfig['tls']>): TlsFiles {
  const cert = read('SAFEROUTER_TLS_CERT', paths.certPath);
  const keyText = read('SAFEROUTER_TLS_KEY', paths.keyPath);
  let leaf: X509Certificate;
  try {
    const first = pemToDerList(cert)[0];
    if (first === undefined) throw new Error('no PEM block');
    leaf = new X509Certificate(first);
  } catch {
    throw new ConfigError('SAFEROUTER_TLS_CERT', `${paths.certPath} is not a PEM X.509 certificate`);
  }
  const spkiSha256 = certificateSpkiSha256(new Uint8Array(leaf.raw));
  return { paths, cert, leaf, spkiSha256, keyText, sealed: keyText.trimStart().startsWith('{') };
}

/**
 * Opens the key (with `sealer` when it is sealed) and checks it against the certificate.
 *
 * @example
 * const tls = openTls(files, attestor.sealer);
 * @throws {ConfigError} naming SAFEROUTER_TLS_KEY or SAFEROUTER_TLS_CERT; for a sealed key, also
 *   when no sealer is given or it cannot open it (another build sealed it, another chip, tampered).
 */
export function openTls(files: TlsFiles, sealer?: KeySealer): TlsCredentials {
  const { paths, cert, leaf } = files;
  let key = files.keyText;
  if (files.sealed) {
    if (sealer === undefined)
      throw new ConfigError('SAFEROUTER_TLS_KEY', `${paths.keyPath} is sealed, and no sealer was given to open it`);
    try {
      key = new TextDecoder().decode(sealer.open(files.keyText, TLS_SEAL_CONTEXT, paths.keyPath));
    } catch (err) {
      // The sealer's messages name the file and the builds, never key material.
      throw new ConfigError(
        'SAFEROUTER_TLS_KEY',
        `${(err as Error).message}. A key sealed to another build needs a new key and certificate for this one: saferouter-attest tls-csr --measurement <this build's measurement>`,
      );
    }
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
  return { cert, key, spkiSha256: files.spkiSha256, sealed: files.sealed };
}

/**
 * `openTls(readTlsFiles(paths), sealer)`.
 *
 * @example
 * const tls = config.tls === undefined ? undefined : loadTls(config.tls);
 * @throws {ConfigError} naming SAFEROUTER_TLS_CERT or SAFEROUTER_TLS_KEY.
 */
export function loadTls(paths: NonNullable<GatewayConfig['tls']>, sealer?: KeySealer): TlsCredentials {
  return openTls(readTlsFiles(paths), sealer);
}
