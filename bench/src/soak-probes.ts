/**
 * What the soak watches in the gateway from outside, without changing it: its resident memory
 * (`VmRSS` in /proc/<pid>/status), its event-loop lag as it reports it on `GET /metrics`
 * (prom-client's `nodejs_eventloop_lag_p99_seconds`, whose histogram resets at each scrape, so
 * each scrape is the p99 of the interval since the previous one), and, always, the latency of a
 * `GET /health` probe on its own connection: a request that does no work waits only for the event
 * loop (and the loopback), so its latency bounds the lag from above.
 */
import { readFile } from 'node:fs/promises';
import { Agent, request } from 'undici';
import { percentile } from './load.js';

/** The process's resident set in MiB, from /proc (Linux). Undefined when it cannot be read. */
export async function rssMiB(pid: number): Promise<number | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
    return m?.[1] === undefined ? undefined : Number(m[1]) / 1024;
  } catch {
    return undefined;
  }
}

export interface Series {
  /** Milliseconds since the soak's load started (negative: before it). */
  t: number[];
  v: number[];
}

const round = (x: number, digits = 2): number => Number(x.toFixed(digits));

export interface LatencySummary {
  samples: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export function summarizeMs(values: readonly number[]): LatencySummary {
  const sorted = Float64Array.from(values).sort();
  return {
    samples: values.length,
    p50Ms: round(percentile(sorted, 50)),
    p99Ms: round(percentile(sorted, 99)),
    maxMs: round(sorted.at(-1) ?? Number.NaN),
  };
}

/** Reads one gauge's value from Prometheus text (first sample, any labels). */
export function gaugeValue(text: string, name: string): number | undefined {
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})?\\s+(\\S+)`, 'm').exec(text);
  const v = m?.[1] === undefined ? Number.NaN : Number(m[1]);
  return Number.isFinite(v) ? v : undefined;
}

export const LAG_P99 = 'nodejs_eventloop_lag_p99_seconds';

/**
 * Samples RSS, /metrics' lag p99 and the /health probe until stopped. `t0` is set when the load
 * starts, so samples are placed on the soak's timeline.
 */
export class GatewayWatch {
  readonly rss: Series = { t: [], v: [] };
  /** p99 per scrape interval, ms; empty when /metrics has no lag gauge. */
  readonly lagP99: Series = { t: [], v: [] };
  /** /health latency in ms, and when. */
  readonly health: Series = { t: [], v: [] };
  healthFailures = 0;
  t0 = Date.now();
  private stopped = false;
  private readonly loops: Promise<void>[] = [];
  // One connection each, so a scrape never delays a probe.
  private readonly healthAgent = new Agent({ connections: 1, keepAliveTimeout: 60_000 });
  private readonly metricsAgent = new Agent({ connections: 1, keepAliveTimeout: 60_000 });

  constructor(
    private readonly pid: number,
    private readonly baseUrl: string,
    private readonly adminKey: string,
    /** Whether /metrics serves the lag gauge (checked once before the load). */
    private readonly metrics: boolean,
  ) {}

  /** Checks once whether `GET /metrics` (admin) serves `nodejs_eventloop_lag_p99_seconds`. */
  static async metricsHaveLag(baseUrl: string, adminKey: string): Promise<boolean> {
    try {
      const res = await fetch(`${baseUrl}/metrics`, {
        headers: { authorization: `Bearer ${adminKey}` },
        signal: AbortSignal.timeout(5000),
      });
      const text = await res.text();
      return res.status === 200 && gaugeValue(text, LAG_P99) !== undefined;
    } catch {
      return false;
    }
  }

  start(): void {
    this.loops.push(this.every(1000, () => this.sampleRss().then(() => undefined)));
    this.loops.push(this.every(200, () => this.probeHealth()));
    if (this.metrics) this.loops.push(this.every(5000, () => this.scrapeLag()));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
    await Promise.all([this.healthAgent.close(), this.metricsAgent.close()]);
  }

  /** One more scrape, so the last interval of the load is counted. */
  async finalScrape(): Promise<void> {
    if (this.metrics) await this.scrapeLag();
  }

  private now(): number {
    return Date.now() - this.t0;
  }

  private async every(ms: number, f: () => Promise<void>): Promise<void> {
    while (!this.stopped) {
      const next = Date.now() + ms;
      await f();
      const wait = next - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  }

  async sampleRss(): Promise<number | undefined> {
    const v = await rssMiB(this.pid);
    if (v !== undefined) {
      this.rss.t.push(this.now());
      this.rss.v.push(v);
    }
    return v;
  }

  private async probeHealth(): Promise<void> {
    const t = this.now();
    const started = performance.now();
    try {
      const res = await request(`${this.baseUrl}/health`, { dispatcher: this.healthAgent, headersTimeout: 10_000 });
      await res.body.dump();
      if (res.statusCode !== 200) this.healthFailures++;
      else {
        this.health.t.push(t);
        this.health.v.push(performance.now() - started);
      }
    } catch {
      this.healthFailures++;
    }
  }

  private async scrapeLag(): Promise<void> {
    try {
      const res = await request(`${this.baseUrl}/metrics`, {
        dispatcher: this.metricsAgent,
        headers: { authorization: `Bearer ${this.adminKey}` },
        headersTimeout: 10_000,
      });
      const text = await res.body.text();
      const v = res.statusCode === 200 ? gaugeValue(text, LAG_P99) : undefined;
      if (v !== undefined) {
        this.lagP99.t.push(this.now());
        this.lagP99.v.push(v * 1000);
      }
    } catch {
      // a missed scrape is a missing point, not an error of the gateway
    }
  }
}
