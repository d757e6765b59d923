/**
 * `tls-binding`: does TLS end inside the attested build? The key of the certificate the gateway
 * presented on this verifier's TLS connections is compared with the SubjectPublicKeyInfo hash a
 * version-2 bundle binds into report_data. Browser-safe: seeing the certificate needs Node, so it
 * comes in through `options.tlsPeerCertificates` (the CLI supplies it from
 * `@saferouter/verify/node`). Without that option, or for an http:// gateway, the check is absent
 * from the result (not skipped): a page never lists it, and relies on EHBP instead.
 */
import { certificateSpkiSha256, toHex, type AttestationBundle } from '@saferouter/attest';
import type { TlsPeerCertificates, VerifyGatewayOptions } from './options.js';
import { failedBecause, type Outcome, type Runner } from './runner.js';

const short = (hex: string): string => `${hex.slice(0, 16)}…`;

async function checkTlsBinding(
  gateway: string,
  bundle: AttestationBundle,
  peerCertificates: TlsPeerCertificates,
): Promise<Outcome<true>> {
  if (bundle.version !== 2)
    return {
      status: 'fail',
      detail:
        'the gateway serves TLS but its attestation does not bind the TLS key (a version-1 bundle): whoever holds a certificate for this name, such as a TLS-terminating proxy, CDN or load balancer, could be the one answering',
    };
  const certificates = await peerCertificates(gateway);
  if (certificates.length === 0)
    return { status: 'fail', detail: `no TLS certificate was seen on a connection to ${gateway}` };
  const bound = bundle.tlsSpkiSha256;
  const seen = [...new Set(certificates.map((der) => toHex(certificateSpkiSha256(der))))];
  const other = seen.find((hash) => hash !== bound);
  if (other !== undefined)
    return {
      status: 'fail',
      detail: `the TLS connection presented a certificate for key ${short(other)} (SPKI SHA-256), not the attested ${short(bound)}: TLS ends outside the attested build (a proxy, CDN or load balancer holds the connection), or another server answered`,
    };
  const connections = certificates.length === 1 ? 'this TLS connection' : `all ${certificates.length} TLS connections`;
  return {
    status: 'pass',
    detail: `the certificate on ${connections} to ${gateway} carries the attested TLS key (SPKI SHA-256 ${short(bound)})`,
    value: true,
  };
}

/**
 * Runs `tls-binding` when it applies (an https:// gateway and `options.tlsPeerCertificates`);
 * skipped, naming the cause, when the quote, the hardware or the binding check failed.
 */
export async function runTlsBinding(
  run: Runner,
  gateway: string,
  bundle: AttestationBundle | undefined,
  options: VerifyGatewayOptions,
): Promise<void> {
  const peerCertificates = options.tlsPeerCertificates;
  if (peerCertificates === undefined || !gateway.startsWith('https://')) return;
  if (bundle === undefined || run.status('binding') !== 'pass') {
    const cause = (['quote', 'hardware', 'binding'] as const).find((id) => run.status(id) === 'fail') ?? 'binding';
    run.skip('tls-binding', failedBecause(cause));
    return;
  }
  await run.run('tls-binding', () => checkTlsBinding(gateway, bundle, peerCertificates));
}
