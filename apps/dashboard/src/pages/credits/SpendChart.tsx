/** Spend over a window, from the activity stats' buckets (`cost_usd` per bucket). */
import { useMemo, useState } from 'react';
import { ErrorBox, Loading } from '../../components/States';
import { TimeChart, type ChartSeries } from '../../components/TimeChart';
import { usd } from '../../lib/format';
import { useActivityStats, type WindowId } from '../activity/queries';
import { WindowPicker } from '../activity/WindowPicker';

const money = (v: number): string => usd(v);

export function SpendChart({ keyId }: { keyId: string | undefined }) {
  const [span, setSpan] = useState<WindowId>('7d');
  const stats = useActivityStats(span, { keyId }, false);
  const chart = useMemo(() => {
    const buckets = stats.data?.buckets ?? [];
    const any = buckets.some((b) => b.requests > 0);
    const series: ChartSeries[] = [
      { label: 'Spend', color: '--accent', fill: '--accent-soft', values: buckets.map((b) => Number(b.cost_usd)) },
    ];
    return {
      x: any ? buckets.map((b) => b.start) : [],
      series,
      missing: stats.data !== undefined && stats.data.buckets === undefined,
    };
  }, [stats.data]);
  return (
    <section className="stack" aria-labelledby="spend-title">
      <div className="section-head">
        <h2 id="spend-title">Spend over time</h2>
        <WindowPicker value={span} onChange={setSpan} />
      </div>
      {stats.isPending && <Loading label="Loading spend…" />}
      {stats.isError && <ErrorBox error={stats.error} onRetry={() => void stats.refetch()} />}
      {stats.isSuccess && (
        <TimeChart
          title={`Spend, ${usd(stats.data.cost_usd)} in this window`}
          x={chart.x}
          series={chart.series}
          format={money}
          emptyText={
            chart.missing
              ? 'This gateway does not report time buckets, so there is no chart.'
              : 'No requests in this window yet.'
          }
          testId="chart-spend"
        />
      )}
    </section>
  );
}
