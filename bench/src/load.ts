/**
 * One autocannon run, reduced to the numbers the report needs. Latency percentiles come from the
 * raw per-response times rather than autocannon's histogram, which buckets to whole milliseconds:
 * the added latency of a gateway at one connection is well under one millisecond.
 */
import autocannon, { type Result } from 'autocannon';

export interface LoadSpec {
  url: string;
  connections: number;
  durationS: number;
  headers: Record<string, string>;
  body: string;
}

export interface LoadResult {
  /** Completed 2xx responses per second over the measured duration. */
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  /** 2xx responses. */
  ok: number;
  non2xx: number;
  /** Socket errors and timeouts (autocannon counts timeouts inside errors too). */
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  durationS: number;
}

/** Exact percentile of an ascending array (nearest rank). */
export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

export function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const samples: number[] = [];
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: spec.url,
        connections: spec.connections,
        duration: spec.durationS,
        method: 'POST',
        headers: spec.headers,
        body: spec.body,
      },
      (err, result) => {
        if (err !== null) return reject(err);
        resolve(summarize(result, samples));
      },
    );
    instance.on('response', (_client, statusCode, _bytes, ms) => {
      if (statusCode >= 200 && statusCode < 300) samples.push(ms);
    });
  });
}

function summarize(r: Result, samples: number[]): LoadResult {
  const sorted = Float64Array.from(samples).sort();
  let sum = 0;
  for (const s of sorted) sum += s;
  const statusCodes: Record<string, number> = {};
  for (const [code, { count }] of Object.entries(r.statusCodeStats)) statusCodes[code] = count;
  return {
    reqPerSec: r.duration > 0 ? r['2xx'] / r.duration : 0,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    meanMs: sorted.length > 0 ? sum / sorted.length : Number.NaN,
    ok: r['2xx'],
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    statusCodes,
    durationS: r.duration,
  };
}
