/**
 * The catalog SafeRouter ships with: DeepSeek and GLM (via Z.AI) at their list prices, with
 * cross-provider fallback chains, plus the offline demo models that need no key.
 *
 * Prices are USD per million input (cache miss) / output tokens, as the pricing pages state them,
 * plus `cachedInputPerMillion` for prompt tokens the provider served from its cache (a cache hit)
 * where the provider publishes that price; `parseCatalogConfig` turns them into integer
 * micro-dollars. A model without a cache-hit price bills cached prompt tokens at the full input
 * price: an overstatement, never an understatement.
 *
 * Sources, looked up 2026-11-24 (cache-hit prices and data retention 2026-12-01):
 * - DeepSeek: https://api-docs.deepseek.com/quick_start/pricing — 1M context, 384K max output,
 *   JSON output and tool calls on both models. Since 2026-08-16 DeepSeek bills peak and off-peak
 *   hours differently (off-peak is half). A config has no time of day, so the PEAK rate is used:
 *   billing can overstate DeepSeek's cost off-peak but never understate it. The same page's peak
 *   cache-hit input prices: $0.006 (Flash) and $0.044 (V4 Pro).
 *   The page now names the Flash model `deepseek-flash` (DeepSeek-V4.1-Flash, also with image
 *   input); the older name `deepseek-v4-flash` is still accepted, served by the same model and
 *   billed at the Flash price, so both ids are listed.
 * - Z.AI: https://docs.z.ai/guides/overview/pricing (GLM-4.5, 4.5-Air, 4.6, 4.7, 5, 5-Turbo),
 *   with their "Cached Input" column ($0.11 for 4.5 to 4.7, $0.03 for 4.5-Air, $0.2 for 5, $0.24
 *   for 5-Turbo).
 *   GLM-5.1, 5.2 and 5.3 were not in the copy of that page we could read; their $1.40 / $4.40 is
 *   the Z.AI pay-as-you-go rate as reported by several gateways (Codeep's changelog for GLM-5.3,
 *   2026-08-20; ClawRouter v0.12.211 for GLM-5.2, "same rate as GLM-5.1"). Their cached input
 *   price, $0.26, is reported the same way: ClawRouter v0.12.211 ("cached $0.26", GLM-5.1 and
 *   5.2) and OpenRouter's Z.ai "GLM Latest" page (GLM-5.3, Cache Read $0.26, seen 2026-12-01).
 *   Context lengths and max outputs are Z.AI's documented 128K/96K (4.5 family), 200K/128K (4.6
 *   to 5.1) and 1M/128K (5.2, 5.3, per Z.AI's GLM-5.2 launch notes as reported by OpenRouter and
 *   Vercel).
 *
 * Data retention (`provider.data_collection: "deny"` routes only to `"none"`): DeepSeek is marked
 * `retained`, its privacy policy (2026-02-10 version, as summarised by meetily.ai/llm-privacy/deepseek,
 * checked 2026-06-29) keeping data "as long as necessary" with no zero-retention tier. Z.AI is left
 * unknown: its API data-processing terms are reported (infercheck.eu, 2026-04-11) to say API
 * content is not stored, but we could not read the primary text. The demo provider answers inside
 * the gateway (demo.ts) and sends nothing anywhere, so it is `none`.
 *
 * Prefix-routed models (any other `deepseek-*` / `glm-*` id) are billed at the provider's highest
 * listed price, so a model missing from this list is never served below cost.
 */
import { parseCatalogConfig, type CatalogConfig, type CatalogConfigInput } from './catalog-schema.js';

const K = 1024;
const DEEPSEEK_CONTEXT = 1_048_576;
const DEEPSEEK_MAX_OUTPUT = 384_000;

/** The default catalog as written (USD floats), for reading and for tools that edit it. */
export const defaultCatalogInput = {
  providers: [
    {
      id: 'deepseek',
      kind: 'deepseek',
      dataRetention: 'retained',
      baseUrl: 'https://api.deepseek.com',
      apiKeyEnv: 'DEEPSEEK_API_KEY',
      modelPrefixes: ['deepseek-'],
      // deepseek-v4-pro at peak, the highest DeepSeek list price.
      defaultPricing: { inputPerMillion: 1.32, outputPerMillion: 3.96 },
    },
    {
      id: 'zai',
      kind: 'zai',
      baseUrl: 'https://api.z.ai/api/paas/v4',
      apiKeyEnv: 'ZAI_API_KEY',
      modelPrefixes: ['glm-'],
      // GLM-4.5-X, the highest price on Z.AI's text-model list.
      defaultPricing: { inputPerMillion: 2.2, outputPerMillion: 8.9 },
    },
    { id: 'saferouter', kind: 'demo', dataRetention: 'none' },
  ],
  models: [
    {
      id: 'deepseek-flash',
      provider: 'deepseek',
      name: 'DeepSeek V4.1 Flash',
      description: 'DeepSeek’s fast, low-cost model (V4.1 Flash); thinking and non-thinking modes.',
      contextLength: DEEPSEEK_CONTEXT,
      maxOutputTokens: DEEPSEEK_MAX_OUTPUT,
      pricing: { inputPerMillion: 0.3, cachedInputPerMillion: 0.006, outputPerMillion: 1.2 },
      capabilities: ['reasoning', 'tools', 'json', 'vision'],
      fallbacks: ['glm-4.7', 'glm-4.5-air'],
    },
    {
      id: 'deepseek-v4-flash',
      provider: 'deepseek',
      name: 'DeepSeek V4 Flash',
      description: 'Legacy id of DeepSeek Flash; served by V4.1 Flash at the Flash price.',
      contextLength: DEEPSEEK_CONTEXT,
      maxOutputTokens: DEEPSEEK_MAX_OUTPUT,
      pricing: { inputPerMillion: 0.3, cachedInputPerMillion: 0.006, outputPerMillion: 1.2 },
      capabilities: ['reasoning', 'tools', 'json'],
      fallbacks: ['glm-4.7', 'glm-4.5-air'],
    },
    {
      id: 'deepseek-v4-pro',
      provider: 'deepseek',
      name: 'DeepSeek V4 Pro',
      description: 'DeepSeek’s most capable model; thinking mode by default.',
      contextLength: DEEPSEEK_CONTEXT,
      maxOutputTokens: DEEPSEEK_MAX_OUTPUT,
      pricing: { inputPerMillion: 1.32, cachedInputPerMillion: 0.044, outputPerMillion: 3.96 },
      capabilities: ['reasoning', 'tools', 'json'],
      fallbacks: ['glm-5.2', 'glm-5.1'],
    },
    {
      id: 'glm-4.5',
      provider: 'zai',
      name: 'GLM-4.5',
      contextLength: 128 * K,
      maxOutputTokens: 96 * K,
      pricing: { inputPerMillion: 0.6, cachedInputPerMillion: 0.11, outputPerMillion: 2.2 },
      capabilities: ['reasoning', 'tools', 'json'],
      fallbacks: ['deepseek-v4-flash', 'glm-4.6'],
    },
    {
      id: 'glm-4.5-air',
      provider: 'zai',
      name: 'GLM-4.5-Air',
      contextLength: 128 * K,
      maxOutputTokens: 96 * K,
      pricing: { inputPerMillion: 0.2, cachedInputPerMillion: 0.03, outputPerMillion: 1.1 },
      capabilities: ['reasoning', 'tools', 'json'],
      fallbacks: ['deepseek-v4-flash', 'glm-4.5'],
    },
    {
      id: 'glm-4.6',
      provider: 'zai',
      name: 'GLM-4.6',
      contextLength: 200 * K,
      maxOutputTokens: 128 * K,
      pricing: { inputPerMillion: 0.6, cachedInputPerMillion: 0.11, outputPerMillion: 2.2 },
      capabilities: ['reasoning', 'tools', 'json'],
      fallbacks: ['deepseek-v4-flash', 'glm-4.7'],
    },
    {
      id: 'glm-4.7',
      provider: 'zai',
      name: 'GLM-4.7',
      contextLength: 200 * K,
      maxOutputTokens: 128 * K,
      pricing: { inputPerMillion: 0.6, cachedInputPerMillion: 0.11, outputPerMillion: 2.2 },
      capabilities: ['reasoning', 'tools', 'json'],
      fallbacks: ['deepseek-v4-flash', 'glm-4.6'],
    },
    {
      id: 'glm-5',
      provider: 'zai',
      name: 'GLM-5',
      contextLength: 200 * K,
      maxOutputTokens: 128 * K,
      pricing: { inputPerMillion: 1, cachedInputPerMillion: 0.2, outputPerMillion: 3.2 },
      capabilities: ['reasoning', 'tools', 'json'],
      fallbacks: ['deepseek-v4-pro', 'glm-5.1'],
    },
    {
      id: 'glm-5-turbo',
      provider: 'zai',
      name: 'GLM-5-Turbo',
      contextLength: 200 * K,
      maxOutputTokens: 128 * K,
      pricing: { inputPerMillion: 1.2, cachedInputPerMillion: 0.24, outputPerMillion: 4 },
      capabilities: ['reasoning', 'tools', 'json'],
      fallbacks: ['deepseek-v4-pro', 'glm-5'],
    },
    {
      id: 'glm-5.1',
      provider: 'zai',
      name: 'GLM-5.1',
      contextLength: 200 * K,
      maxOutputTokens: 128 * K,
      pricing: { inputPerMillion: 1.4, cachedInputPerMillion: 0.26, outputPerMillion: 4.4 },
      capabilities: ['reasoning', 'tools', 'json'],
      fallbacks: ['deepseek-v4-pro', 'glm-5'],
    },
    {
      id: 'glm-5.2',
      provider: 'zai',
      name: 'GLM-5.2',
      contextLength: 1_048_576,
      maxOutputTokens: 128 * K,
      pricing: { inputPerMillion: 1.4, cachedInputPerMillion: 0.26, outputPerMillion: 4.4 },
      capabilities: ['reasoning', 'tools', 'json'],
      fallbacks: ['deepseek-v4-pro', 'glm-5.3'],
    },
    {
      id: 'glm-5.3',
      provider: 'zai',
      name: 'GLM-5.3',
      contextLength: 1_048_576,
      maxOutputTokens: 128 * K,
      pricing: { inputPerMillion: 1.4, cachedInputPerMillion: 0.26, outputPerMillion: 4.4 },
      capabilities: ['reasoning', 'tools', 'json'],
      fallbacks: ['deepseek-v4-pro', 'glm-5.2'],
    },
    {
      id: 'saferouter/demo',
      provider: 'saferouter',
      name: 'SafeRouter Demo',
      description: 'Built-in offline demo: answers instantly, needs no API key, costs nothing.',
      contextLength: 128 * K,
      maxOutputTokens: 4 * K,
      pricing: { inputPerMillion: 0, outputPerMillion: 0 },
      capabilities: [],
      demo: true,
    },
    {
      id: 'saferouter/demo-thinking',
      provider: 'saferouter',
      name: 'SafeRouter Demo (thinking)',
      description: 'Built-in offline demo that streams reasoning_content first, like DeepSeek thinking mode.',
      contextLength: 128 * K,
      maxOutputTokens: 4 * K,
      pricing: { inputPerMillion: 0, outputPerMillion: 0 },
      capabilities: ['reasoning'],
      demo: true,
    },
  ],
} satisfies CatalogConfigInput;

/**
 * The default catalog, validated, with integer prices.
 *
 * @example const catalog = createCatalog(defaultCatalogConfig, { env: process.env });
 */
export const defaultCatalogConfig: CatalogConfig = parseCatalogConfig(defaultCatalogInput);
