/**
 * The soak's result for one backend, as written to bench/results/soak-latest.json, and its
 * console form.
 */
import type { BackendName } from './soak-backend.js';
import type { BooksReport } from './soak-books.js';
import type { LatencySummary } from './soak-probes.js';

export interface BackendResult {
  backend: BackendName;
  describe: string;
  pass: boolean;
  problems: string[];
  requests: number;
  requestsPerSecond: number;
  loadSeconds: number;
  ops: Record<string, number>;
  expected: Record<string, number>;
  unexpected: Record<string, number>;
  byOp: Record<string, Record<string, number>>;
  unexpectedSamples: { op: string; kind: string; status: number | undefined; detail: string | undefined }[];
  rss: {
    startMiB: number | undefined;
    afterWarmupMiB: number | undefined;
    endMiB: number | undefined;
    peakMiB: number | undefined;
    driftMiB: number | undefined;
    driftAfterWarmupMiB: number | undefined;
    /** One sample a second: [ms since the load started, MiB]. */
    series: [number, number][];
  };
  eventLoopLag: {
    source: 'metrics' | 'health-probe';
    /** /metrics' p99 per scrape interval, ms (with the metrics source). */
    idleP99Ms?: number | undefined;
    intervalP99Ms?: { median: number; max: number; intervals: number } | undefined;
    note: string;
  };
  healthProbe: LatencySummary & { failures: number };
  books: BooksReport;
  gatewayExitCode: number | null;
}

/** A few lines per backend for the terminal; the JSON has everything. */
export function formatResult(r: BackendResult): string {
  const kinds = (m: Record<string, number>): string =>
    Object.entries(m)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, n]) => `${k} ${n}`)
      .join(', ') || 'none';
  const lag =
    r.eventLoopLag.source === 'metrics' && r.eventLoopLag.intervalP99Ms !== undefined
      ? `p99 per 5 s interval: median ${r.eventLoopLag.intervalP99Ms.median} ms, max ${r.eventLoopLag.intervalP99Ms.max} ms (idle ${String(r.eventLoopLag.idleP99Ms)} ms; /metrics)`
      : 'no /metrics lag gauge in this build; see the /health probe';
  const b = r.books;
  return [
    `== ${r.backend}: ${r.pass ? 'PASS' : 'FAIL'} (${r.describe})`,
    `requests       ${r.requests} in ${r.loadSeconds} s (${r.requestsPerSecond}/s)`,
    `expected       ${kinds(r.expected)}`,
    `unexpected     ${kinds(r.unexpected)}`,
    `RSS            start ${String(r.rss.startMiB)} MiB, after warm-up ${String(r.rss.afterWarmupMiB)} MiB, end ${String(r.rss.endMiB)} MiB, peak ${String(r.rss.peakMiB)} MiB; drift ${String(r.rss.driftMiB)} MiB (${String(r.rss.driftAfterWarmupMiB)} MiB after warm-up)`,
    `event-loop lag ${lag}`,
    `/health probe  p50 ${r.healthProbe.p50Ms} ms, p99 ${r.healthProbe.p99Ms} ms, max ${r.healthProbe.maxMs} ms (${r.healthProbe.samples} probes, ${r.healthProbe.failures} failed)`,
    `books          ${b.exact ? 'exact' : `INEXACT (${b.problemCount})`}: ${b.keys} keys, ${b.requests} requests / ${b.activityEntries} activity entries; credited ${b.creditedMicros} µ$, charged ${b.chargedMicros} µ$ = activity ${b.activityCostMicros} µ$, balances ${b.balanceMicros} µ$; quiet after ${b.quietAfterMs} ms; disconnects recorded as ${kinds(b.disconnectsRecordedAs)}`,
    `gateway exit   ${String(r.gatewayExitCode)} on SIGTERM`,
    ...r.problems.map((p) => `!!! ${p}`),
  ].join('\n');
}
