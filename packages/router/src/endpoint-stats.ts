/**
 * Recent performance of each endpoint (a model as served by one provider), kept in memory for
 * `provider.sort: "latency" | "throughput"`: the median latency and the median tokens per second
 * of its last few successful calls. A bounded ring per endpoint, and a bounded number of
 * endpoints (model ids can come from clients, through provider prefixes), so memory stays flat.
 * Seed it at start with `load()` from the store's recent activity, then `record()` every success.
 */

/** One successful call, as the activity log has it. */
export interface EndpointSample {
  /** Catalog id of the model. */
  model: string;
  provider: string;
  /** From the call's start until it answered. */
  latencyMs: number;
  completionTokens: number;
  /** From the first byte to the end of the response; unknown (`null`) for some entries. */
  generationMs: number | null | undefined;
}

export interface EndpointStats {
  /** Adds one successful call. Samples with a negative or non-finite latency are ignored. */
  record(sample: EndpointSample): void;
  /** Adds many samples, newest first (the store's order), so the newest are the ones kept. */
  load(samples: readonly EndpointSample[]): void;
  /** Median latency of the endpoint's recent calls, or `undefined` without data. */
  p50LatencyMs(model: string, provider: string): number | undefined;
  /**
   * Median of `completionTokens / generationMs` (per second) over recent calls that produced
   * tokens over a known time, or `undefined` without such data.
   */
  tokensPerSecond(model: string, provider: string): number | undefined;
}

export interface EndpointStatsOptions {
  /** Samples kept per endpoint. Default 64. */
  samplesPerEndpoint?: number | undefined;
  /** Endpoints tracked; past it the least recently recorded one is forgotten. Default 4096. */
  maxEndpoints?: number | undefined;
}

/** Fixed-size ring of numbers; `NaN` marks "no value" (a sample without a throughput). */
class Ring {
  readonly #values: number[] = [];
  #next = 0;
  constructor(readonly size: number) {}

  push(value: number): void {
    if (this.#values.length < this.size) this.#values.push(value);
    else this.#values[this.#next] = value;
    this.#next = (this.#next + 1) % this.size;
  }

  median(): number | undefined {
    const known = this.#values.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
    if (known.length === 0) return undefined;
    const mid = known.length >> 1;
    return known.length % 2 === 1 ? known[mid] : ((known[mid - 1] as number) + (known[mid] as number)) / 2;
  }
}

interface Series {
  latency: Ring;
  throughput: Ring;
}

const key = (model: string, provider: string): string => `${provider}\u0000${model}`;

function rangeOption(value: number | undefined, fallback: number, name: string): number {
  const n = value ?? fallback;
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`${name} must be a positive integer, got ${String(value)}`);
  return n;
}

/**
 * An in-memory `EndpointStats`.
 *
 * @example
 * const stats = createEndpointStats();
 * stats.load(await store.activity.endpointSamples(Date.now() - 86_400_000, 5000));
 * catalog.plan(body, { stats });
 * @throws {RangeError} when an option is not a positive integer.
 */
export function createEndpointStats(options: EndpointStatsOptions = {}): EndpointStats {
  const perEndpoint = rangeOption(options.samplesPerEndpoint, 64, 'samplesPerEndpoint');
  const maxEndpoints = rangeOption(options.maxEndpoints, 4096, 'maxEndpoints');
  const series = new Map<string, Series>();

  function record(sample: EndpointSample): void {
    const { latencyMs, completionTokens, generationMs } = sample;
    if (!Number.isFinite(latencyMs) || latencyMs < 0) return;
    const k = key(sample.model, sample.provider);
    let s = series.get(k);
    if (s === undefined) {
      if (series.size >= maxEndpoints) series.delete(series.keys().next().value as string);
      s = { latency: new Ring(perEndpoint), throughput: new Ring(perEndpoint) };
    } else {
      series.delete(k); // re-inserted below: Map order is then least recently recorded first
    }
    series.set(k, s);
    s.latency.push(latencyMs);
    const timed = typeof generationMs === 'number' && Number.isFinite(generationMs) && generationMs > 0;
    s.throughput.push(
      timed && Number.isFinite(completionTokens) && completionTokens > 0
        ? (completionTokens * 1000) / generationMs
        : Number.NaN,
    );
  }

  return {
    record,
    load(samples) {
      for (let i = samples.length - 1; i >= 0; i--) record(samples[i] as EndpointSample);
    },
    p50LatencyMs: (model, provider) => series.get(key(model, provider))?.latency.median(),
    tokensPerSecond: (model, provider) => series.get(key(model, provider))?.throughput.median(),
  };
}
