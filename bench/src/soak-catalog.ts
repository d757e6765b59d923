/**
 * The soak's models: one catalog (the gateway's `SAFEROUTER_CONFIG`) and the names the upstream
 * (soak-upstream.ts) and the load (soak-ops.ts) agree on. Prices are deliberately awkward, so a
 * charge is a fraction of a micro-dollar above a whole number and rounding is exercised, and the
 * fallback is cheaper than its primary (the hold is kept at the primary's price).
 */

export const SOAK_MODELS = {
  /** Clean answers, short paced streams. */
  main: 'soak-main',
  /** Its upstream always answers 503: the gateway falls back to `backup`. */
  flaky: 'soak-flaky',
  backup: 'soak-backup',
  /** A ~600 ms stream, for clients that leave mid-stream. */
  slow: 'soak-slow',
  /** Answers after 250 ms, to keep a concurrency slot busy. */
  held: 'soak-held',
} as const;

/**
 * The catalog JSON for a fake upstream at `upstreamUrl`; the provider's key comes from
 * `FAKE_UPSTREAM_KEY` (the bench gateway sets it).
 *
 * @example
 * await startGateway({ ..., catalog: soakCatalog(upstreamUrl) });
 */
export function soakCatalog(upstreamUrl: string): unknown {
  const model = (id: string, inputPerMillion: number, outputPerMillion: number, fallbacks: string[] = []) => ({
    id,
    provider: 'fake',
    contextLength: 128_000,
    maxOutputTokens: 8192,
    pricing: { inputPerMillion, outputPerMillion },
    capabilities: [],
    fallbacks,
  });
  return {
    providers: [{ id: 'fake', baseUrl: `${upstreamUrl}/v1`, apiKeyEnv: 'FAKE_UPSTREAM_KEY' }],
    models: [
      model(SOAK_MODELS.main, 0.333333, 1.666667),
      model(SOAK_MODELS.flaky, 2.5, 10, [SOAK_MODELS.backup]),
      model(SOAK_MODELS.backup, 0.123457, 1.234567),
      model(SOAK_MODELS.slow, 0.333333, 1.666667),
      model(SOAK_MODELS.held, 0.1, 0.2),
    ],
  };
}
