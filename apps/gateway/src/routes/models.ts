/**
 * `GET /v1/models`: the OpenAI list shape, plus what a router's users need to choose a model:
 * context length, pricing, provider, capabilities and whether its provider is configured.
 * Prices are held as integer micro-dollars per million tokens and printed as exact decimals.
 */
import { Hono } from 'hono';
import type { Catalog, CatalogModel } from '@saferouter/router';
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

export function modelView(m: CatalogModel): Record<string, unknown> {
  const input = m.pricing.inputMicrosPerMillion;
  const output = m.pricing.outputMicrosPerMillion;
  return {
    id: m.id,
    object: 'model',
    created: 0,
    owned_by: m.provider,
    name: m.name,
    provider: m.provider,
    context_length: m.contextLength,
    max_output_tokens: m.maxOutputTokens,
    pricing: {
      // OpenRouter's convention: USD per token, as decimal strings.
      prompt: decimal(input, 12),
      completion: decimal(output, 12),
      input_per_million_usd: decimal(input, 6),
      output_per_million_usd: decimal(output, 6),
    },
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
