/**
 * The Node half of `tls-binding`: an HTTP client (undici) whose TLS connections remember the
 * certificate the server presented, so the check judges the very connections the verification
 * used rather than a second connection that might reach another server. Optionally trusts a
 * given CA (PEM) instead of Node's default roots, for gateways whose certificate no public CA
 * signed (tests, private deployments).
 */
import { isIP } from 'node:net';
import { connect, type TLSSocket } from 'node:tls';
import { Agent, buildConnector, fetch as undiciFetch } from 'undici';
import type { TlsPeerCertificates } from '../options.js';

export interface TlsTransportOptions {
  /** CA certificates (PEM) to trust instead of Node's default roots. */
  readonly ca?: string | undefined;
  /** Timeout of a connection made only to read the certificate, in milliseconds (default 10,000). */
  readonly timeoutMs?: number | undefined;
}

export interface TlsTransport {
  /** A fetch whose every connection is recorded; pass it as `options.fetch`. */
  readonly fetch: typeof globalThis.fetch;
  /**
   * The DER leaf certificates of the TLS connections `fetch` made to `url`'s origin, in order (one
   * per connection); when it made none, one fresh connection's. Pass it as `options.tlsPeerCertificates`.
   */
  readonly peerCertificates: TlsPeerCertificates;
  /** Closes the connections `fetch` keeps alive. */
  close(): Promise<void>;
}

/** `host:port` of an origin, the port made explicit. */
function originKey(hostname: string, port: string, protocol: string): string {
  const host = hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  return `${host}:${port === '' ? (protocol === 'https:' ? '443' : '80') : port}`;
}

function leafOf(socket: TLSSocket): Uint8Array | undefined {
  const cert = socket.getPeerX509Certificate();
  return cert === undefined ? undefined : new Uint8Array(cert.raw);
}

/** One TLS connection to `url`'s origin, only to read the certificate it presents. */
function readPeerCertificate(url: URL, ca: string | undefined, timeoutMs: number): Promise<Uint8Array> {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return new Promise((resolve, reject) => {
    const socket = connect({
      host,
      port: Number(url.port === '' ? 443 : url.port),
      // SNI carries host names only, never addresses (RFC 6066 §3).
      ...(isIP(host) === 0 ? { servername: host } : {}),
      ...(ca === undefined ? {} : { ca }),
      ALPNProtocols: ['http/1.1'],
    });
    socket.setTimeout(timeoutMs, () =>
      socket.destroy(new Error(`${url.origin} did not complete TLS within ${timeoutMs} ms`)),
    );
    socket.once('secureConnect', () => {
      const leaf = leafOf(socket);
      socket.end();
      if (leaf === undefined) reject(new Error(`${url.origin} presented no TLS certificate`));
      else resolve(leaf);
    });
    socket.once('error', reject);
  });
}

/**
 * @example
 * const tls = createTlsTransport({ ca: readFileSync('ca.pem', 'utf8') });
 * try {
 *   await verifyGateway(url, { fetch: tls.fetch, tlsPeerCertificates: tls.peerCertificates });
 * } finally {
 *   await tls.close();
 * }
 */
export function createTlsTransport(options: TlsTransportOptions = {}): TlsTransport {
  const { ca } = options;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const seen = new Map<string, Uint8Array[]>();
  // No session resumption: every connection is a full handshake that shows the certificate.
  const base = buildConnector({ maxCachedSessions: 0, ...(ca === undefined ? {} : { ca }) });
  const agent = new Agent({
    connect: (connectOptions, callback) => {
      base(connectOptions, (...args) => {
        const [error, socket] = args;
        if (error === null && 'getPeerX509Certificate' in socket) {
          const leaf = leafOf(socket);
          if (leaf !== undefined) {
            const key = originKey(connectOptions.hostname, connectOptions.port, connectOptions.protocol);
            seen.set(key, [...(seen.get(key) ?? []), leaf]);
          }
        }
        callback(...args);
      });
    },
  });
  // undici's own fetch, not Node's built-in one: a dispatcher from the undici package is only
  // guaranteed to work with the fetch of the same undici. The verifier passes URL strings.
  const fetch: typeof globalThis.fetch = async (input, init) => {
    if (typeof input !== 'string' && !(input instanceof URL))
      throw new TypeError('this fetch takes a URL (string or URL), not a Request');
    const response = await undiciFetch(input, { ...(init as Parameters<typeof undiciFetch>[1]), dispatcher: agent });
    return response as unknown as Response;
  };
  return {
    fetch,
    async peerCertificates(target) {
      const url = new URL(target);
      const recorded = seen.get(originKey(url.hostname, url.port, url.protocol));
      if (recorded !== undefined && recorded.length > 0) return [...recorded];
      return [await readPeerCertificate(url, ca, timeoutMs)];
    },
    close: () => agent.close(),
  };
}
