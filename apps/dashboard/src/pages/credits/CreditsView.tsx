/**
 * One key's credits: balance, held (reserved by requests in flight) and available; the top-up
 * form where the signed-in key may use it, else how to get credit; usage per model; spend chart.
 */
import { Empty, ErrorBox, Loading } from '../../components/States';
import { usd } from '../../lib/format';
import { useCredits, useMayTopUp } from './queries';
import { SpendChart } from './SpendChart';
import { TopUpForm } from './TopUpForm';
import { UsageTable } from './UsageTable';

export function CreditsView({
  keyId,
  keyName,
  revoked = false,
}: {
  /** The admin's chosen key; undefined for a user key's own. */
  keyId: string | undefined;
  keyName?: string | undefined;
  revoked?: boolean;
}) {
  const credits = useCredits(keyId);
  const mayTopUp = useMayTopUp();
  if (credits.isPending) return <Loading label="Loading credits…" />;
  if (credits.isError) return <ErrorBox error={credits.error} onRetry={() => void credits.refetch()} />;
  const c = credits.data;
  return (
    <div className="credits-view">
      <div className="stats" data-testid="credits-summary">
        <div className="stat stat-main">
          <div className="stat-label">Balance</div>
          <div className="stat-value" data-testid="credits-balance">
            {usd(c.balance_usd)}
          </div>
        </div>
        <div className="stat">
          <div className="stat-label" title="Reserved by requests in flight; released or charged when they finish">
            Held
          </div>
          <div className="stat-value" data-testid="credits-held">
            {usd(c.held_usd)}
          </div>
        </div>
        <div className="stat">
          <div className="stat-label">Available</div>
          <div className="stat-value" data-testid="credits-available">
            {usd(c.available_usd)}
          </div>
        </div>
      </div>

      <section className="card stack" aria-labelledby="topup-title">
        <h2 id="topup-title">Add credit</h2>
        {revoked ? (
          <p className="muted">This key is revoked: it cannot be topped up.</p>
        ) : mayTopUp ? (
          <TopUpForm {...(keyId === undefined ? {} : { keyId })} {...(keyName === undefined ? {} : { keyName })} />
        ) : (
          <p className="muted" data-testid="credits-topup-unavailable">
            Top-ups need the admin key: ask your operator to add credit to this key.
          </p>
        )}
      </section>

      <section className="stack" aria-labelledby="usage-title">
        <h2 id="usage-title">Usage by model</h2>
        {c.usage.length === 0 ? (
          <Empty title="No requests yet">Usage and cost per model appear here after the first request.</Empty>
        ) : (
          <UsageTable usage={c.usage} />
        )}
      </section>

      <SpendChart keyId={keyId} />
    </div>
  );
}
