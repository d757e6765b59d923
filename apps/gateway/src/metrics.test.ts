/**
 * The metrics fed from activity entries, holds and requests in flight: exact counter values for
 * known entries, label values bounded to the catalog and fixed sets, and the JSON a cluster
 * primary aggregates.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { AggregatorRegistry } from 'prom-client';
import { createCatalog, parseCatalogConfig } from '@saferouter/router';
import type { ActivityEntry, BillingStore, NewHold } from '@saferouter/store';
import { statusLabel, upstreamErrorCode } from './metric-labels.js';
import { createMetrics, type Metrics } from './metrics.js';
import { parseExposition, samplesOf, valueOf, type Exposition } from '../test/prom-text.js';

const model = (id: string, provider: string, fallbacks: string[] = []) => ({
  id,
  provider,
  contextLength: 64000,
  maxOutputTokens: 4096,
  pricing: { inputPerMillion: 1, outputPerMillion: 2 },
  capabilities: [],
  fallbacks,
});
const catalog = createCatalog(
  parseCatalogConfig({
    providers: [
      { id: 'up', baseUrl: 'http://up.invalid/v1', apiKeyEnv: 'UP_KEY', modelPrefixes: ['up-'] },
      { id: 'other-up', baseUrl: 'http://other.invalid/v1', apiKeyEnv: 'OTHER_KEY' },
    ],
    models: [model('m-primary', 'up', ['m-backup']), model('m-backup', 'other-up')],
  }),
  { env: { UP_KEY: 'k', OTHER_KEY: 'k' } },
);
afterAll(() => catalog.close());

let seq = 0;
/** An entry as metering writes it; `overrides` win. */
function entry(overrides: Partial<ActivityEntry>): ActivityEntry {
  seq += 1;
  return {
    id: `act_${seq}`,
    requestId: `req_${seq}`,
    ts: 1_700_000_000_000,
    keyId: 'key_1',
    model: 'm-primary',
    provider: 'up',
    originalModel: 'm-primary',
    attempt: 1,
    status: 200,
    error: null,
    latencyMs: 100,
    ttfbMs: 40,
    promptTokens: 0,
    completionTokens: 0,
    costMicros: 0,
    stream: false,
    estimated: false,
    generationId: null,
    finishReason: 'stop',
    cachedTokens: 0,
    reasoningTokens: 0,
    excluded: [],
    generationMs: 120,
    ...overrides,
  };
}

/** A failed attempt as metering writes it: no usage, no ttfb, no generation time. */
function failed(overrides: Partial<ActivityEntry>): ActivityEntry {
  return entry({ ttfbMs: null, generationMs: null, finishReason: null, ...overrides });
}

function fresh(): { metrics: Metrics; pushed: ActivityEntry[]; push: (e: ActivityEntry) => void } {
  const metrics = createMetrics({ catalog, processMetrics: false });
  const pushed: ActivityEntry[] = [];
  const sink = metrics.wrapActivity({ push: (e) => pushed.push(e) });
  return { metrics, pushed, push: (e) => sink.push(e) };
}

async function scrape(metrics: Metrics): Promise<Exposition> {
  return parseExposition(await metrics.scrape());
}

describe('labels', () => {
  it('keeps a fixed set of statuses exactly, and reduces any other to its class', () => {
    expect(['200', '402', '429', '499', '503'].map(Number).map(statusLabel)).toEqual([
      '200',
      '402',
      '429',
      '499',
      '503',
    ]);
    expect(statusLabel(418)).toBe('4xx');
    expect(statusLabel(207)).toBe('2xx');
    expect(statusLabel(599)).toBe('5xx');
    expect(statusLabel(0)).toBe('other');
    expect(statusLabel(1000)).toBe('other');
    expect(statusLabel(Number.NaN)).toBe('other');
  });

  it('maps error codes to a bounded set, and leaves out the client’s and the gateway’s own', () => {
    expect(upstreamErrorCode('upstream_503: Upstream up answered 503 for m-primary')).toBe('upstream_503');
    expect(upstreamErrorCode('upstream_418: teapot')).toBe('upstream_4xx');
    expect(upstreamErrorCode('upstream_9999: nonsense')).toBe('other');
    expect(upstreamErrorCode('upstream_timeout: Provider up timed out (first-byte)')).toBe('upstream_timeout');
    expect(upstreamErrorCode('upstream_unreachable: Could not reach provider up')).toBe('upstream_unreachable');
    expect(upstreamErrorCode('stream_interrupted: cut')).toBe('stream_interrupted');
    expect(upstreamErrorCode('provider_unavailable: no key')).toBe('provider_unavailable');
    expect(upstreamErrorCode('something_new: what')).toBe('other');
    expect(upstreamErrorCode('unknown error')).toBe('other');
    expect(upstreamErrorCode(null)).toBeUndefined();
    expect(upstreamErrorCode('client_closed_request: the client left mid-stream')).toBeUndefined();
    expect(upstreamErrorCode('billing_failed: could not be recorded')).toBeUndefined();
    expect(upstreamErrorCode('audit_failed: x')).toBeUndefined();
  });

  it('never makes a series of a model or provider the catalog does not list', async () => {
    const { metrics, push } = fresh();
    // A refusal carries the raw model the client sent; a prefix-routed model is the client's choice.
    push(entry({ attempt: 0, model: 'gpt-"evil"\nname', originalModel: 'x', provider: 'saferouter', status: 402 }));
    push(entry({ model: 'up-anything-the-client-typed', provider: 'up', promptTokens: 5, costMicros: 7 }));
    push(failed({ model: 'm-backup', provider: 'nobody-knows', status: 503, error: 'upstream_503: x' }));
    const text = await scrape(metrics);
    expect(valueOf(text, 'saferouter_requests_total', { model: 'other', provider: 'saferouter', status: '402' })).toBe(
      1,
    );
    expect(valueOf(text, 'saferouter_requests_total', { model: 'other', provider: 'up', status: '200' })).toBe(1);
    expect(valueOf(text, 'saferouter_requests_total', { model: 'm-backup', provider: 'other', status: '503' })).toBe(1);
    expect(valueOf(text, 'saferouter_tokens_total', { model: 'other', direction: 'prompt' })).toBe(5);
    expect(valueOf(text, 'saferouter_spend_micros_total', { model: 'other' })).toBe(7);
    expect(valueOf(text, 'saferouter_upstream_errors_total', { provider: 'other', code: 'upstream_503' })).toBe(1);
    const catalogued = new Set(['m-primary', 'm-backup', 'other']);
    const providers = new Set(['up', 'other-up', 'saferouter', 'other']);
    for (const s of text.samples) {
      if (s.labels['model'] !== undefined) expect(catalogued).toContain(s.labels['model']);
      if (s.labels['from'] !== undefined) expect(catalogued).toContain(s.labels['from']);
      if (s.labels['to'] !== undefined) expect(catalogued).toContain(s.labels['to']);
      if (s.labels['provider'] !== undefined) expect(providers).toContain(s.labels['provider']);
    }
  });
});

describe('activity entries → metrics', () => {
  it('counts a success, a fallback, a refusal, a cut stream and a client that left, exactly', async () => {
    const { metrics, pushed, push } = fresh();
    const entries = [
      // 1. A plain success.
      entry({
        requestId: 'req_a',
        promptTokens: 100,
        completionTokens: 50,
        cachedTokens: 30,
        reasoningTokens: 10,
        costMicros: 200,
        ttfbMs: 40,
      }),
      // 2. m-primary answers 503, m-backup answers: one fallback.
      failed({ requestId: 'req_b', attempt: 1, status: 503, error: 'upstream_503: Upstream up answered 503' }),
      entry({
        requestId: 'req_b',
        attempt: 2,
        model: 'm-backup',
        provider: 'other-up',
        promptTokens: 20,
        completionTokens: 5,
        costMicros: 31,
        ttfbMs: 250,
      }),
      // 3. Refused for credit before any attempt.
      entry({
        requestId: 'req_c',
        attempt: 0,
        status: 402,
        error: 'insufficient_credits: no',
        ttfbMs: null,
        generationMs: null,
      }),
      // 4. A stream the upstream cut: answered, charged, an upstream error.
      entry({
        requestId: 'req_d',
        status: 502,
        error: 'stream_interrupted: The stream from provider up was interrupted',
        completionTokens: 3,
        promptTokens: 10,
        costMicros: 16,
        stream: true,
        estimated: true,
        ttfbMs: 10,
      }),
      // 5. A stream whose client left: answered, charged, not an upstream error.
      entry({
        requestId: 'req_e',
        status: 499,
        error: 'client_closed_request: the client left mid-stream',
        promptTokens: 10,
        completionTokens: 2,
        costMicros: 14,
        stream: true,
        estimated: true,
        ttfbMs: 20,
      }),
      // 6. Every candidate failed: two upstream errors, no fallback counted (nothing answered).
      failed({ requestId: 'req_f', attempt: 1, status: 504, error: 'upstream_timeout: Provider up timed out' }),
      failed({
        requestId: 'req_f',
        attempt: 2,
        model: 'm-backup',
        provider: 'other-up',
        status: 502,
        error: 'upstream_unreachable: Could not reach provider other-up',
      }),
    ];
    for (const e of entries) push(e);
    // Every entry reached the store's sink, unchanged and in order.
    expect(pushed).toEqual(entries);

    const text = await scrape(metrics);
    const req = (m: string, p: string, status: string): number =>
      valueOf(text, 'saferouter_requests_total', { model: m, provider: p, status });
    expect(req('m-primary', 'up', '200')).toBe(1);
    expect(req('m-primary', 'up', '503')).toBe(1);
    expect(req('m-backup', 'other-up', '200')).toBe(1);
    expect(req('m-primary', 'up', '402')).toBe(1);
    expect(req('m-primary', 'up', '502')).toBe(1);
    expect(req('m-primary', 'up', '499')).toBe(1);
    expect(req('m-primary', 'up', '504')).toBe(1);
    expect(req('m-backup', 'other-up', '502')).toBe(1);
    expect(samplesOf(text, 'saferouter_requests_total').reduce((n, s) => n + s.value, 0)).toBe(entries.length);

    const tok = (m: string, direction: string): number =>
      valueOf(text, 'saferouter_tokens_total', { model: m, direction });
    expect(tok('m-primary', 'prompt')).toBe(100 + 10 + 10);
    expect(tok('m-primary', 'completion')).toBe(50 + 3 + 2);
    expect(tok('m-primary', 'cached')).toBe(30);
    expect(tok('m-primary', 'reasoning')).toBe(10);
    expect(tok('m-backup', 'prompt')).toBe(20);
    expect(tok('m-backup', 'completion')).toBe(5);
    expect(tok('m-backup', 'cached')).toBe(0);

    expect(valueOf(text, 'saferouter_spend_micros_total', { model: 'm-primary' })).toBe(200 + 16 + 14);
    expect(valueOf(text, 'saferouter_spend_micros_total', { model: 'm-backup' })).toBe(31);
    expect(valueOf(text, 'saferouter_spend_usd_total', { model: 'm-primary' })).toBe(0.00023);
    expect(valueOf(text, 'saferouter_spend_usd_total', { model: 'm-backup' })).toBe(0.000031);

    const err = (p: string, code: string): number =>
      valueOf(text, 'saferouter_upstream_errors_total', { provider: p, code });
    expect(err('up', 'upstream_503')).toBe(1);
    expect(err('up', 'stream_interrupted')).toBe(1);
    expect(err('up', 'upstream_timeout')).toBe(1);
    expect(err('other-up', 'upstream_unreachable')).toBe(1);
    expect(samplesOf(text, 'saferouter_upstream_errors_total').reduce((n, s) => n + s.value, 0)).toBe(4);

    expect(samplesOf(text, 'saferouter_fallbacks_total')).toEqual([
      { name: 'saferouter_fallbacks_total', labels: { from: 'm-primary', to: 'm-backup' }, value: 1 },
    ]);

    // One time to first byte per answering attempt: 40, 250 (m-backup), 10 and 20 ms.
    expect(valueOf(text, 'saferouter_time_to_first_byte_seconds_count', { model: 'm-primary', provider: 'up' })).toBe(
      3,
    );
    expect(valueOf(text, 'saferouter_time_to_first_byte_seconds_sum', { model: 'm-primary', provider: 'up' })).toBe(
      0.07,
    );
    expect(
      valueOf(text, 'saferouter_time_to_first_byte_seconds_bucket', {
        model: 'm-primary',
        provider: 'up',
        le: '0.025',
      }),
    ).toBe(2);
    expect(
      valueOf(text, 'saferouter_time_to_first_byte_seconds_count', { model: 'm-backup', provider: 'other-up' }),
    ).toBe(1);
  });

  it('names a fallback from the first attempt, even when the client asked for another model', async () => {
    const { metrics, push } = fresh();
    // Provider preferences started the route at m-backup; it failed, and m-primary answered.
    push(
      failed({
        requestId: 'req_x',
        model: 'm-backup',
        provider: 'other-up',
        originalModel: 'm-primary',
        status: 429,
        error: 'upstream_429: slow down',
      }),
    );
    push(entry({ requestId: 'req_x', attempt: 2, originalModel: 'm-primary' }));
    // A later answer at attempt 3 whose first attempt was not seen: from its original model.
    push(
      entry({ requestId: 'req_y', attempt: 3, model: 'm-backup', provider: 'other-up', originalModel: 'm-primary' }),
    );
    const text = await scrape(metrics);
    expect(valueOf(text, 'saferouter_fallbacks_total', { from: 'm-backup', to: 'm-primary' })).toBe(1);
    expect(valueOf(text, 'saferouter_fallbacks_total', { from: 'm-primary', to: 'm-backup' })).toBe(1);
    expect(valueOf(text, 'saferouter_upstream_errors_total', { provider: 'other-up', code: 'upstream_429' })).toBe(1);
  });

  it('sums spend in integer micro-dollars, so dollars carry no float drift', async () => {
    const { metrics, push } = fresh();
    for (let i = 0; i < 1000; i++) push(entry({ costMicros: 1 }));
    const text = await scrape(metrics);
    expect(valueOf(text, 'saferouter_spend_micros_total', { model: 'm-primary' })).toBe(1000);
    expect(valueOf(text, 'saferouter_spend_usd_total', { model: 'm-primary' })).toBe(0.001);
    // Scraping twice does not double the derived counter.
    expect(valueOf(await scrape(metrics), 'saferouter_spend_usd_total', { model: 'm-primary' })).toBe(0.001);
  });

  it('passes odd entries on and counts none of their odd numbers', async () => {
    const metrics = createMetrics({ catalog, processMetrics: false });
    const pushed: ActivityEntry[] = [];
    const sink = metrics.wrapActivity({ push: (e) => pushed.push(e) });
    // Not an entry metering would write: a NaN time, an infinite and a negative count.
    const odd = entry({
      ttfbMs: Number.NaN as unknown as number,
      promptTokens: Number.POSITIVE_INFINITY,
      completionTokens: -5,
      costMicros: Number.NaN,
    });
    expect(() => sink.push(odd)).not.toThrow();
    expect(pushed).toEqual([odd]);
    const text = await scrape(metrics);
    expect(valueOf(text, 'saferouter_requests_total', { model: 'm-primary', provider: 'up', status: '200' })).toBe(1);
    expect(valueOf(text, 'saferouter_time_to_first_byte_seconds_count', { model: 'm-primary', provider: 'up' })).toBe(
      0,
    );
    expect(valueOf(text, 'saferouter_tokens_total', { model: 'm-primary', direction: 'prompt' })).toBe(0);
    expect(valueOf(text, 'saferouter_tokens_total', { model: 'm-primary', direction: 'completion' })).toBe(0);
    expect(valueOf(text, 'saferouter_spend_micros_total', { model: 'm-primary' })).toBe(0);
  });
});

/** A billing store that records holds in a map: enough to drive the wrapper. */
function fakeBillingStore(refuse: (hold: NewHold) => boolean = () => false): BillingStore {
  const holds = new Map<string, NewHold>();
  const unused = (): never => {
    throw new Error('not used');
  };
  return {
    balance: unused,
    credit: unused,
    placeHold: (hold) => {
      if (refuse(hold)) return Promise.resolve({ ok: false, availableMicros: 0 });
      holds.set(hold.id, hold);
      return Promise.resolve({ ok: true, availableMicros: 1_000_000 });
    },
    settle: (id, input) => {
      const known = holds.delete(id);
      return Promise.resolve(known ? { chargedMicros: input.costMicros } : undefined);
    },
    release: (id) => {
      holds.delete(id);
      return Promise.resolve();
    },
    expireHolds: (now) => {
      let n = 0;
      for (const [id, hold] of holds) if (hold.expiresAt < now && holds.delete(id)) n += 1;
      return Promise.resolve(n);
    },
    ledger: unused,
    ledgerSum: unused,
  };
}

const hold = (id: string, amountMicros: number, expiresAt = 10_000): NewHold => ({
  id,
  keyId: 'key_1',
  amountMicros,
  requestId: `req_${id}`,
  ts: 0,
  expiresAt,
});

describe('saferouter_holds_usd', () => {
  it('is the sum of the holds placed and not yet settled, released or expired', async () => {
    const metrics = createMetrics({ catalog, processMetrics: false });
    const store = metrics.wrapBillingStore(fakeBillingStore((h) => h.id === 'refused'));
    const held = async (): Promise<number> => valueOf(await scrape(metrics), 'saferouter_holds_usd');
    expect(await held()).toBe(0);
    await store.placeHold(hold('a', 1_500_000));
    await store.placeHold(hold('b', 250_000));
    await store.placeHold(hold('c', 3, 100));
    expect(await store.placeHold(hold('refused', 9_000_000))).toEqual({ ok: false, availableMicros: 0 });
    expect(await held()).toBe(1.750003);
    expect(await store.settle('a', { costMicros: 10, ts: 1 })).toEqual({ chargedMicros: 10 });
    expect(await held()).toBe(0.250003);
    await store.release('b');
    await store.release('b'); // idempotent, as the store's
    expect(await held()).toBe(0.000003);
    expect(await store.expireHolds(101)).toBe(1);
    expect(await held()).toBe(0);
    // Settling an unknown hold changes nothing.
    expect(await store.settle('nope', { costMicros: 1, ts: 1 })).toBeUndefined();
    expect(await held()).toBe(0);
  });

  it('keeps a hold whose release failed: it is still in the store', async () => {
    const metrics = createMetrics({ catalog, processMetrics: false });
    const inner = fakeBillingStore();
    const store = metrics.wrapBillingStore({ ...inner, release: () => Promise.reject(new Error('db down')) });
    await store.placeHold(hold('a', 2_000_000));
    await expect(store.release('a')).rejects.toThrow('db down');
    expect(valueOf(await scrape(metrics), 'saferouter_holds_usd')).toBe(2);
  });
});

describe('requests in flight', () => {
  it('counts a request until it ends, once, and observes its duration', async () => {
    let t = 0;
    const metrics = createMetrics({ catalog, processMetrics: false, now: () => t });
    const endA = metrics.requestStarted();
    const endB = metrics.requestStarted();
    expect(valueOf(await scrape(metrics), 'saferouter_inflight_requests')).toBe(2);
    t = 1500;
    endA();
    endA();
    let text = await scrape(metrics);
    expect(valueOf(text, 'saferouter_inflight_requests')).toBe(1);
    expect(valueOf(text, 'saferouter_request_duration_seconds_count')).toBe(1);
    expect(valueOf(text, 'saferouter_request_duration_seconds_sum')).toBe(1.5);
    expect(valueOf(text, 'saferouter_request_duration_seconds_bucket', { le: '1' })).toBe(0);
    expect(valueOf(text, 'saferouter_request_duration_seconds_bucket', { le: '2.5' })).toBe(1);
    t = 1600;
    endB();
    text = await scrape(metrics);
    expect(valueOf(text, 'saferouter_inflight_requests')).toBe(0);
    expect(valueOf(text, 'saferouter_request_duration_seconds_count')).toBe(2);
  });
});

describe('the registry', () => {
  it('is its own, with Node’s process metrics when asked, and every line parses', async () => {
    const a = createMetrics({ catalog });
    const b = createMetrics({ catalog });
    a.wrapActivity({ push: () => undefined }).push(entry({}));
    const textA = await scrape(a);
    const textB = await scrape(b);
    expect(valueOf(textA, 'saferouter_requests_total', { model: 'm-primary', provider: 'up', status: '200' })).toBe(1);
    expect(samplesOf(textB, 'saferouter_requests_total')).toEqual([]);
    for (const name of [
      'process_cpu_user_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_heap_size_used_bytes',
    ])
      expect(textA.types.has(name)).toBe(true);
    expect(a.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    const none = createMetrics({ catalog, processMetrics: false });
    expect((await scrape(none)).types.has('process_cpu_user_seconds_total')).toBe(false);
  });

  it('gives JSON that a cluster primary sums across workers', async () => {
    const w1 = createMetrics({ catalog, processMetrics: false });
    const w2 = createMetrics({ catalog, processMetrics: false });
    w1.wrapActivity({ push: () => undefined }).push(entry({ costMicros: 5, promptTokens: 2 }));
    w2.wrapActivity({ push: () => undefined }).push(entry({ costMicros: 7, promptTokens: 3 }));
    await w1.wrapBillingStore(fakeBillingStore()).placeHold(hold('h1', 1_000_000));
    await w2.wrapBillingStore(fakeBillingStore()).placeHold(hold('h2', 500_000));
    const merged = AggregatorRegistry.aggregate([await w1.json(), await w2.json()]);
    const text = parseExposition(await merged.metrics());
    expect(valueOf(text, 'saferouter_requests_total', { model: 'm-primary', provider: 'up', status: '200' })).toBe(2);
    expect(valueOf(text, 'saferouter_spend_micros_total', { model: 'm-primary' })).toBe(12);
    expect(valueOf(text, 'saferouter_spend_usd_total', { model: 'm-primary' })).toBe(0.000012);
    expect(valueOf(text, 'saferouter_tokens_total', { model: 'm-primary', direction: 'prompt' })).toBe(5);
    expect(valueOf(text, 'saferouter_holds_usd')).toBe(1.5);
  });
});
