/** The window's totals as stat cards, and its requests broken down by model and by provider. */
import type { ActivityStats, Breakdown } from '../../lib/api';
import { ms, percent, tokens, usd } from '../../lib/format';

function Stat({ label, value, testId }: { label: string; value: string; testId: string }) {
  return (
    <div className="stat">
      <div className="stat-label">{label}</div>
      <div className="stat-value" data-testid={testId}>
        {value}
      </div>
    </div>
  );
}

export function StatCards({ stats }: { stats: ActivityStats }) {
  return (
    <div className="stats" data-testid="activity-stats">
      <Stat label="Requests" value={stats.total.toLocaleString('en-US')} testId="stat-total" />
      <Stat
        label="Success rate"
        value={stats.total === 0 ? '—' : percent(stats.success_rate)}
        testId="stat-success-rate"
      />
      <Stat label="Latency p50" value={stats.total === 0 ? '—' : ms(stats.latency_ms.p50)} testId="stat-p50" />
      <Stat label="Latency p95" value={stats.total === 0 ? '—' : ms(stats.latency_ms.p95)} testId="stat-p95" />
      <Stat label="Cost" value={usd(stats.cost_usd)} testId="stat-cost" />
    </div>
  );
}

export function BreakdownTable({ title, rows, testId }: { title: string; rows: Breakdown[]; testId: string }) {
  return (
    <section className="breakdown" aria-label={`By ${title.toLowerCase()}`}>
      <h3>By {title.toLowerCase()}</h3>
      {rows.length === 0 ? (
        <p className="muted">No requests in this window.</p>
      ) : (
        <div className="table-wrap">
          <table data-testid={testId}>
            <thead>
              <tr>
                <th scope="col">{title}</th>
                <th scope="col" className="num">
                  Requests
                </th>
                <th scope="col" className="num">
                  Success
                </th>
                <th scope="col" className="num">
                  Tokens in → out
                </th>
                <th scope="col" className="num">
                  Cost
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.id} data-id={r.id}>
                  <th scope="row" className="mono breakdown-id">
                    {r.id}
                  </th>
                  <td className="num">{r.requests.toLocaleString('en-US')}</td>
                  <td className="num">{percent(r.requests === 0 ? 0 : r.success / r.requests)}</td>
                  <td className="num">
                    {tokens(r.prompt_tokens)} → {tokens(r.completion_tokens)}
                  </td>
                  <td className="num">{usd(r.cost_usd)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
