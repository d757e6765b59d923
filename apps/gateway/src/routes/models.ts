/**
 * `GET /v1/models`: the OpenAI list shape, plus what a router's users need to choose a model:
 * context length, pricing (cache hits included where priced), provider, capabilities, whether its
 * provider is configured, and every endpoint (provider) serving it, each with its own price and
 * limits. Prices are held as integer micro-dollars per million tokens and printed as exact decimals.
 */
import { Hono } from 'hono';
import type { Catalog, CatalogModel, Pricing } from '@saferouter/router';
import type { AppEnv } from '../env.js';

/** Exact decimal string of `units / 10^scale` for a non-negative integer. */
export function decimal(units: number, scale: number): string {
  const digits = BigInt(units)
    .toString()
    .padStart(scale + 1, '0');
  const whole = digits.slice(0, digits.length - scale);
  const frac = digits.slice(digits.length - scale).replace(/0+$/, '');
  return frac ? `${whole}.${frac}` : whole;
}

/**
 * A price in OpenRouter's convention (USD per token, as decimal strings: `prompt`, `completion`,
 * `input_cache_read`) and per million (`*_per_million_usd`). The cache-hit fields appear only
 * when the catalog prices cache hits; otherwise cached tokens cost the input price.
 */
export function pricingView(p: Pricing): Record<string, string> {
  const out: Record<string, string> = {
    prompt: decimal(p.inputMicrosPerMillion, 12),
    completion: decimal(p.outputMicrosPerMillion, 12),
    input_per_million_usd: decimal(p.inputMicrosPerMillion, 6),
    output_per_million_usd: decimal(p.outputMicrosPerMillion, 6),
  };
  const cached = p.cachedInputMicrosPerMillion;
  if (cached !== undefined) {
    out['input_cache_read'] = decimal(cached, 12);
    out['cached_input_per_million_usd'] = decimal(cached, 6);
  }
  return out;
}

export function modelView(m: CatalogModel): Record<string, unknown> {
  return {
    id: m.id,
    object: 'model',
    created: 0,
    owned_by: m.provider,
    name: m.name,
    provider: m.provider,
    context_length: m.contextLength,
    max_output_tokens: m.maxOutputTokens,
    pricing: pricingView(m.pricing),
    endpoints: m.endpoints.map((e) => ({
      provider: e.provider,
      pricing: pricingView(e.pricing),
      context_length: e.contextLength,
      max_output_tokens: e.maxOutputTokens,
    })),
    capabilities: m.capabilities,
    fallbacks: m.fallbacks,
    available: m.available,
    demo: m.demo,
  };
}

export function modelRoutes(catalog: Catalog): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/models', (c) => c.json({ object: 'list', data: catalog.list().map(modelView) }));
  app.get('/models/:id{.+}', (c) => {
    const id = c.req.param('id');
    const found = catalog.list().find((m) => m.id === id);
    if (!found) {
      return c.json(
        {
          error: {
            message: `The model '${id}' does not exist.`,
            type: 'invalid_request_error',
            code: 'model_not_found',
          },
        },
        404,
      );
    }
    return c.json(modelView(found));
  });
  return app;
}
