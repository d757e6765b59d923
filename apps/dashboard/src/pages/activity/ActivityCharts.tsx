/**
 * Requests and latency over the window, from the stats' buckets. A gateway without buckets (an
 * older one) or a window without requests gets the charts' empty state.
 */
import { useMemo } from 'react';
import { TimeChart, type ChartSeries } from '../../components/TimeChart';
import type { ActivityStats } from '../../lib/api';
import { ms } from '../../lib/format';

const count = (v: number): string => v.toLocaleString('en-US', { maximumFractionDigits: 1 });

export function ActivityCharts({ stats }: { stats: ActivityStats }) {
  const charts = useMemo(() => {
    const buckets = stats.buckets ?? [];
    const any = buckets.some((b) => b.requests > 0);
    const x = any ? buckets.map((b) => b.start) : [];
    const requests: ChartSeries[] = [
      { label: 'Success', color: '--ok', fill: '--ok-soft', values: buckets.map((b) => b.success) },
      { label: 'Errors', color: '--danger', values: buckets.map((b) => b.errors) },
    ];
    // An empty bucket has no latency: a gap, not a zero.
    const latency: ChartSeries[] = [
      { label: 'p50', color: '--accent', values: buckets.map((b) => (b.requests > 0 ? b.latency_ms.p50 : null)) },
      { label: 'p95', color: '--warn', values: buckets.map((b) => (b.requests > 0 ? b.latency_ms.p95 : null)) },
    ];
    return { x, requests, latency, missing: stats.buckets === undefined };
  }, [stats.buckets]);
  const emptyText = charts.missing
    ? 'This gateway does not report time buckets, so there is no chart.'
    : 'No requests in this window yet.';
  return (
    <div className="activity-charts">
      <TimeChart
        title="Requests"
        x={charts.x}
        series={charts.requests}
        format={count}
        emptyText={emptyText}
        testId="chart-requests"
      />
      <TimeChart
        title="Latency"
        x={charts.x}
        series={charts.latency}
        format={ms}
        emptyText={emptyText}
        testId="chart-latency"
      />
    </div>
  );
}
