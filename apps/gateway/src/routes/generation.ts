/**
 * `GET /v1/generation?id=<id>`: one past request in OpenRouter's shape, looked up by the completion
 * `id` its response carried or by its request id (`X-Request-Id`). A key sees its own requests, the
 * admin sees all. Activity is written in batches off the request path, so the lookup first writes
 * this replica's pending entries: a request that just ended is found at once.
 */
import { Hono } from 'hono';
import { formatUsd } from '@saferouter/billing';
import type { ActivityEntry, Store } from '@saferouter/store';
import type { AppEnv } from '../env.js';
import { ApiError } from '../errors.js';

export interface GenerationRouteOptions {
  store: Store;
  /** Writes pending activity entries (the gateway's batch writer). */
  flush: () => Promise<void>;
}

const MAX_ID = 200;

/** The request's entries (attempt order) as OpenRouter's generation object. */
export function generationView(entries: readonly ActivityEntry[]): Record<string, unknown> {
  const first = entries[0] as ActivityEntry;
  const answered =
    entries.find((e) => e.status >= 200 && e.status < 300) ??
    entries.find((e) => e.attempt > 0 && e.promptTokens + e.completionTokens > 0);
  const final = answered ?? entries[entries.length - 1] ?? first;
  const cost = entries.reduce((sum, e) => sum + e.costMicros, 0);
  const excluded = entries.flatMap((e) => e.excluded ?? []);
  return {
    id: final.generationId ?? first.requestId,
    request_id: first.requestId,
    model: final.model,
    original_model: first.originalModel,
    provider_name: final.provider,
    streamed: first.stream,
    cancelled: final.status === 499,
    created_at: new Date(first.ts).toISOString(),
    status: final.status,
    error: final.error,
    // Milliseconds: to the first byte of the answer, and from the request to its end.
    latency: final.ttfbMs ?? final.latencyMs,
    generation_time: final.generationMs ?? final.latencyMs,
    tokens_prompt: final.promptTokens,
    tokens_completion: final.completionTokens,
    native_tokens_prompt: final.promptTokens,
    native_tokens_completion: final.completionTokens,
    native_tokens_cached: final.cachedTokens ?? 0,
    native_tokens_reasoning: final.reasoningTokens ?? 0,
    total_cost: cost / 1_000_000,
    total_cost_usd: formatUsd(cost),
    usage: cost / 1_000_000,
    estimated: final.estimated,
    finish_reason: final.finishReason ?? null,
    attempts: entries
      .filter((e) => e.attempt > 0)
      .map((e) => ({
        attempt: e.attempt,
        model: e.model,
        provider: e.provider,
        status: e.status,
        error: e.error,
        latency: e.latencyMs,
      })),
    excluded,
  };
}

export function generationRoutes({ store, flush }: GenerationRouteOptions): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/generation', async (c) => {
    const id = c.req.query('id');
    if (id === undefined || id === '') {
      throw new ApiError(
        400,
        'invalid_request_error',
        'missing_required_parameter',
        "Missing required parameter: 'id'.",
        {},
        'id',
      );
    }
    if (id.length > MAX_ID) {
      throw new ApiError(
        400,
        'invalid_request_error',
        'invalid_value',
        `Invalid parameter 'id': at most ${MAX_ID} characters.`,
        {},
        'id',
      );
    }
    const caller = c.get('caller');
    await flush().catch(() => undefined); // a failing write is logged by the writer; the lookup still answers
    const entries = await store.activity.generation(id, caller.role === 'admin' ? undefined : caller.id);
    if (entries.length === 0) {
      throw new ApiError(
        404,
        'invalid_request_error',
        'generation_not_found',
        `No generation with id '${id}' is visible to this key.`,
        {},
        'id',
      );
    }
    return c.json({ data: generationView(entries) });
  });
  return app;
}
