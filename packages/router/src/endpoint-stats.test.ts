// Endpoint stats: p50 latency, median tokens per second, the bounded ring, load order and eviction.
import { describe, expect, it } from 'vitest';
import { createEndpointStats, type EndpointSample } from './endpoint-stats.js';

const sample = (latencyMs: number, extra: Partial<EndpointSample> = {}): EndpointSample => ({
  model: 'm',
  provider: 'p',
  latencyMs,
  completionTokens: 100,
  generationMs: 1000,
  ...extra,
});

describe('createEndpointStats', () => {
  it('knows nothing about an endpoint without samples', () => {
    const stats = createEndpointStats();
    expect(stats.p50LatencyMs('m', 'p')).toBeUndefined();
    expect(stats.tokensPerSecond('m', 'p')).toBeUndefined();
  });

  it('reports the median latency, odd and even counts', () => {
    const stats = createEndpointStats();
    for (const ms of [300, 100, 200]) stats.record(sample(ms));
    expect(stats.p50LatencyMs('m', 'p')).toBe(200);
    stats.record(sample(1000));
    expect(stats.p50LatencyMs('m', 'p')).toBe(250);
  });

  it('computes tokens per second as completion tokens over generation time, median of recent calls', () => {
    const stats = createEndpointStats();
    stats.record(sample(1, { completionTokens: 50, generationMs: 1000 })); // 50 tok/s
    stats.record(sample(1, { completionTokens: 300, generationMs: 1500 })); // 200 tok/s
    stats.record(sample(1, { completionTokens: 100, generationMs: 1000 })); // 100 tok/s
    expect(stats.tokensPerSecond('m', 'p')).toBe(100);
  });

  it('leaves samples without a usable generation time out of the throughput, not the latency', () => {
    const stats = createEndpointStats();
    stats.record(sample(10, { generationMs: null }));
    stats.record(sample(20, { generationMs: 0 }));
    stats.record(sample(30, { completionTokens: 0 }));
    expect(stats.tokensPerSecond('m', 'p')).toBeUndefined();
    expect(stats.p50LatencyMs('m', 'p')).toBe(20);
    stats.record(sample(40, { completionTokens: 20, generationMs: 500 }));
    expect(stats.tokensPerSecond('m', 'p')).toBe(40);
  });

  it('ignores samples with a bad latency', () => {
    const stats = createEndpointStats();
    stats.record(sample(-1));
    stats.record(sample(Number.NaN));
    stats.record(sample(Number.POSITIVE_INFINITY));
    expect(stats.p50LatencyMs('m', 'p')).toBeUndefined();
  });

  it('keeps endpoints apart by model and provider', () => {
    const stats = createEndpointStats();
    stats.record(sample(10));
    stats.record(sample(99, { provider: 'q' }));
    stats.record(sample(77, { model: 'n' }));
    expect(stats.p50LatencyMs('m', 'p')).toBe(10);
    expect(stats.p50LatencyMs('m', 'q')).toBe(99);
    expect(stats.p50LatencyMs('n', 'p')).toBe(77);
  });

  it('keeps only the most recent samples per endpoint', () => {
    const stats = createEndpointStats({ samplesPerEndpoint: 3 });
    for (const ms of [1000, 1000, 1000, 5, 6, 7]) stats.record(sample(ms));
    expect(stats.p50LatencyMs('m', 'p')).toBe(6);
  });

  it('load() takes the store order (newest first) and keeps the newest', () => {
    const stats = createEndpointStats({ samplesPerEndpoint: 2 });
    stats.load([sample(10), sample(20), sample(5000), sample(9000)]);
    expect(stats.p50LatencyMs('m', 'p')).toBe(15);
  });

  it('forgets the least recently recorded endpoint past maxEndpoints', () => {
    const stats = createEndpointStats({ maxEndpoints: 2 });
    stats.record(sample(1, { model: 'a' }));
    stats.record(sample(2, { model: 'b' }));
    stats.record(sample(3, { model: 'a' })); // a is now the most recent
    stats.record(sample(4, { model: 'c' }));
    expect(stats.p50LatencyMs('b', 'p')).toBeUndefined();
    expect(stats.p50LatencyMs('a', 'p')).toBe(2);
    expect(stats.p50LatencyMs('c', 'p')).toBe(4);
  });

  it('rejects options that are not positive integers', () => {
    expect(() => createEndpointStats({ samplesPerEndpoint: 0 })).toThrow(RangeError);
    expect(() => createEndpointStats({ maxEndpoints: 1.5 })).toThrow(/maxEndpoints/);
  });
});
