import { AggregatorRegistry, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { BucketHistogram } from './histogram.js';

const BUCKETS = [0.025, 0.1, 1, 10];
const HELP = 'test histogram';

/** The same observations into prom-client's Histogram and into ours, each in a registry of its own. */
function both(observations: readonly [string, number][]): { theirs: Registry; ours: Registry } {
  const options = { name: 'h_seconds', help: HELP, labelNames: ['model'] as const, buckets: BUCKETS };
  const theirs = new Registry();
  const reference = new Histogram({ ...options, registers: [theirs] });
  const ours = new Registry();
  const histogram = new BucketHistogram({ ...options, registers: [ours] });
  for (const [model, value] of observations) {
    reference.observe({ model }, value);
    histogram.series({ model }).observe(value);
  }
  return { theirs, ours };
}

// Values on bucket bounds (le is inclusive), between them, past the last, and zero.
const OBSERVATIONS: [string, number][] = [
  ['a', 0.025],
  ['a', 0.0251],
  ['a', 0.5],
  ['a', 10],
  ['a', 11],
  ['b', 0],
  ['b', 0.1],
  ['a', 0.001],
];

describe('BucketHistogram', () => {
  it("writes the same Prometheus text as prom-client's Histogram for the same observations", async () => {
    const { theirs, ours } = both(OBSERVATIONS);
    const text = await ours.metrics();
    expect(text).toBe(await theirs.metrics());
    expect(text).toContain('h_seconds_bucket{le="0.025",model="a"} 2');
    expect(text).toContain('h_seconds_bucket{le="+Inf",model="a"} 6');
    expect(text).toContain('h_seconds_count{model="b"} 2');
  });

  it('aggregates across registries (cluster workers) as prom-client does', async () => {
    const first = both(OBSERVATIONS);
    const second = both([
      ['a', 0.2],
      ['c', 3],
    ]);
    const theirs = AggregatorRegistry.aggregate([
      await first.theirs.getMetricsAsJSON(),
      await second.theirs.getMetricsAsJSON(),
    ]);
    const ours = AggregatorRegistry.aggregate([
      await first.ours.getMetricsAsJSON(),
      await second.ours.getMetricsAsJSON(),
    ]);
    const text = await ours.metrics();
    expect(text).toBe(await theirs.metrics());
    expect(text).toContain('h_seconds_count{model="a"} 7');
  });

  it('ignores a value that is not a finite number, where prom-client throws', async () => {
    const registry = new Registry();
    const series = new BucketHistogram({ name: 'x', help: HELP, buckets: [1], registers: [registry] }).series({});
    series.observe(Number.NaN);
    series.observe(Number.POSITIVE_INFINITY);
    series.observe(0.5);
    expect(series.count).toBe(1);
    expect(await registry.metrics()).toContain('x_sum 0.5');
  });

  it('zeroes its series on reset, as the registry asks', async () => {
    const { ours } = both(OBSERVATIONS);
    ours.resetMetrics();
    expect(await ours.metrics()).toContain('h_seconds_count{model="a"} 0');
  });
});
