/**
 * The header's trust badge: `hardware` (AMD SEV-SNP) or `DEMO` (the mock backend), and the short
 * measurement, labelled as reported by this gateway. A page the gateway serves cannot prove the
 * gateway honest, so the badge links to the verifier, which checks the claims from outside.
 */
import { useQuery } from '@tanstack/react-query';
import { verifyingKeyQuery } from '../lib/api';

export function TrustBadge() {
  const info = useQuery(verifyingKeyQuery);
  if (info.isPending)
    return (
      <span className="trust trust-pending" data-testid="trust-badge">
        checking…
      </span>
    );
  if (info.isError) {
    return (
      <a
        className="trust trust-unknown"
        data-testid="trust-badge"
        href="/verify/"
        title="This gateway reports no attestation"
      >
        no attestation
      </a>
    );
  }
  const { hardware, measurement, backend } = info.data;
  const short = measurement.slice(0, 12);
  const verify = `/verify/?gateway=${encodeURIComponent(location.origin)}`;
  return (
    <a
      className={`trust ${hardware ? 'trust-hardware' : 'trust-demo'}`}
      data-testid="trust-badge"
      data-hardware={hardware ? 'true' : 'false'}
      href={verify}
      title={`Reported by this gateway, not proven by this page: ${hardware ? 'AMD SEV-SNP hardware' : `the ${backend} backend (DEMO: not hardware)`}, measurement ${measurement}. Open the verifier to check it; an independently hosted verifier is the one to trust.`}
    >
      <span className="trust-kind">{hardware ? 'SEV-SNP hardware' : 'DEMO'}</span>
      <span className="trust-measure">
        <span className="visually-hidden">measurement reported by this gateway: </span>
        {short}…
      </span>
      <span className="trust-verify">verify</span>
    </a>
  );
}
