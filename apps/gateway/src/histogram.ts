/**
 * A Prometheus histogram for the request path: an observation is a bucket search and three
 * additions on a series the caller looked up once (`series(labels)`), where prom-client's
 * `Histogram.observe` validates and hashes its labels and walks an object of buckets on every
 * call (~0.5% of the gateway's CPU under load for the two request histograms: CPU profiles of
 * `pnpm bench` with BENCH_SECOND=quiet).
 *
 * It is registered in a prom-client `Registry` as a metric of its own and answers `get()` with
 * the same shape prom-client's `Histogram` does (`_bucket` values with an `le` label, cumulative,
 * then `_sum` and `_count`, aggregator `sum`), so the registry's text format and the cluster
 * primary's `AggregatorRegistry.aggregate` treat it as any histogram.
 */
import type { Metric, Registry } from 'prom-client';

/** One sample of `get()`'s answer, as prom-client's registry and aggregator read it. */
export interface HistogramSample {
  labels: Record<string, string | number>;
  value: number;
  metricName: string;
}

export interface BucketHistogramOptions<L extends string> {
  name: string;
  help: string;
  /** Upper bounds, ascending; `+Inf` is added. */
  buckets: readonly number[];
  labelNames?: readonly L[];
  registers: readonly Registry[];
}

/** One label set's counts. */
export class HistogramSeries {
  /** Per bucket (not cumulative), the last one `+Inf`. */
  readonly counts: number[];
  sum = 0;
  count = 0;

  constructor(
    readonly labels: Readonly<Record<string, string>>,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Array<number>(bounds.length + 1).fill(0);
  }

  observe(value: number): void {
    if (!Number.isFinite(value)) return;
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > (bounds[i] as number)) i++;
    (this.counts[i] as number)++;
    this.sum += value;
    this.count++;
  }
}

/**
 * @example
 * const ttfb = new BucketHistogram({ name: 'x_seconds', help: '…', buckets: [0.1, 1], labelNames: ['model'], registers: [registry] });
 * const series = ttfb.series({ model: 'm' }); // once per label set
 * series.observe(0.042);
 */
export class BucketHistogram<L extends string = never> {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram' as const;
  readonly aggregator = 'sum' as const;
  private readonly bounds: readonly number[];
  private readonly labelNames: readonly L[];
  private readonly all = new Map<string, HistogramSeries>();

  constructor(options: BucketHistogramOptions<L>) {
    this.name = options.name;
    this.help = options.help;
    this.bounds = [...options.buckets].sort((a, b) => a - b);
    this.labelNames = options.labelNames ?? [];
    // The registry reads only name, help, type, aggregator, get() and reset(): the metric
    // contract `Registry` relies on, which its type spells as prom-client's own classes.
    for (const registry of options.registers) registry.registerMetric(this as unknown as Metric);
  }

  /** The series of a label set (created on first use): look it up once, observe on it often. */
  series(labels: Record<L, string>): HistogramSeries {
    const key = this.labelNames.map((name) => labels[name]).join('\0');
    let series = this.all.get(key);
    if (series === undefined) {
      const copy: Record<string, string> = {};
      for (const name of this.labelNames) copy[name] = labels[name];
      series = new HistogramSeries(copy, this.bounds);
      this.all.set(key, series);
    }
    return series;
  }

  get(): Promise<{ name: string; help: string; type: 'histogram'; values: HistogramSample[]; aggregator: 'sum' }> {
    const values: HistogramSample[] = [];
    for (const series of this.all.values()) {
      let cumulative = 0;
      for (let i = 0; i <= this.bounds.length; i++) {
        cumulative += series.counts[i] as number;
        const le = i < this.bounds.length ? (this.bounds[i] as number) : '+Inf';
        values.push({ labels: { le, ...series.labels }, value: cumulative, metricName: `${this.name}_bucket` });
      }
      values.push({ labels: { ...series.labels }, value: series.sum, metricName: `${this.name}_sum` });
      values.push({ labels: { ...series.labels }, value: series.count, metricName: `${this.name}_count` });
    }
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator });
  }

  reset(): void {
    for (const series of this.all.values()) {
      series.counts.fill(0);
      series.sum = 0;
      series.count = 0;
    }
  }
}
