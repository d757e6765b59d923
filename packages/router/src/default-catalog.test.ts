// The shipped catalog: valid, complete, priced in integers, cross-provider fallbacks, usable offline.
import { describe, expect, it } from 'vitest';
import { readText } from '../test/http.js';
import { createCatalog } from './catalog.js';
import { parseCatalogConfig } from './catalog-schema.js';
import { defaultCatalogConfig, defaultCatalogInput } from './default-catalog.js';
import { NoEndpointError, ProviderUnavailableError } from './errors.js';
import { withFallback } from './fallback.js';

const msg = [{ role: 'user', content: 'hello' }];

describe('default catalog', () => {
  it('is a valid config', () => {
    expect(parseCatalogConfig(defaultCatalogInput)).toEqual(defaultCatalogConfig);
  });

  it('lists DeepSeek V4, the GLM 4.5 to 5.x families and the demo models', () => {
    const ids = defaultCatalogConfig.models.map((m) => m.id);
    for (const id of [
      'deepseek-v4-flash',
      'deepseek-v4-pro',
      'glm-4.5',
      'glm-4.5-air',
      'glm-4.6',
      'glm-4.7',
      'glm-5',
      'glm-5.1',
      'saferouter/demo',
      'saferouter/demo-thinking',
    ]) {
      expect(ids).toContain(id);
    }
  });

  it('points at the documented endpoints and key variables', () => {
    const byId = new Map(defaultCatalogConfig.providers.map((p) => [p.id, p]));
    expect(byId.get('deepseek')).toMatchObject({
      baseUrl: 'https://api.deepseek.com',
      apiKeyEnv: 'DEEPSEEK_API_KEY',
      modelPrefixes: ['deepseek-'],
    });
    expect(byId.get('zai')).toMatchObject({
      baseUrl: 'https://api.z.ai/api/paas/v4',
      apiKeyEnv: 'ZAI_API_KEY',
      modelPrefixes: ['glm-'],
    });
    expect(byId.get('saferouter')?.kind).toBe('demo');
  });

  it('speaks to DeepSeek and Z.AI through their own adapters', () => {
    const kinds = Object.fromEntries(defaultCatalogConfig.providers.map((p) => [p.id, p.kind]));
    expect(kinds).toEqual({ deepseek: 'deepseek', zai: 'zai', saferouter: 'demo' });
  });

  it('prices cache hits where the providers publish them, never above the input price', () => {
    const cached = Object.fromEntries(
      defaultCatalogConfig.models.map((m) => [m.id, m.pricing.cachedInputMicrosPerMillion]),
    );
    expect(cached).toMatchObject({
      'deepseek-flash': 6_000,
      'deepseek-v4-flash': 6_000,
      'deepseek-v4-pro': 44_000,
      'glm-4.5': 110_000,
      'glm-4.5-air': 30_000,
      'glm-4.7': 110_000,
      'glm-5': 200_000,
      'glm-5-turbo': 240_000,
      'glm-5.3': 260_000,
    });
    for (const m of defaultCatalogConfig.models) {
      const hit = m.pricing.cachedInputMicrosPerMillion;
      if (hit === undefined) continue;
      expect(Number.isInteger(hit) && hit > 0 && hit < m.pricing.inputMicrosPerMillion).toBe(true);
    }
    // Prefix-routed models are billed at the highest list price, cache hits included.
    for (const p of defaultCatalogConfig.providers)
      expect(p.defaultPricing?.cachedInputMicrosPerMillion).toBeUndefined();
  });

  it('marks data retention only where a source says so: data_collection deny leaves the demo models', async () => {
    const retention = Object.fromEntries(defaultCatalogConfig.providers.map((p) => [p.id, p.dataRetention]));
    expect(retention).toEqual({ deepseek: 'retained', zai: undefined, saferouter: 'none' });
    const catalog = createCatalog(defaultCatalogConfig, { env: { DEEPSEEK_API_KEY: 'k', ZAI_API_KEY: 'k' } });
    const deny = { data_collection: 'deny' };
    expect(() => catalog.plan({ model: 'deepseek-flash', messages: msg, provider: deny })).toThrow(NoEndpointError);
    const demo = catalog.plan({ model: 'saferouter/demo', messages: msg, provider: deny });
    expect(demo.candidates.map((c) => c.entry.id)).toEqual(['saferouter/demo']);
    await catalog.close();
  });

  it('prices every paid model in positive integer micro-dollars and the demo at zero', () => {
    for (const m of defaultCatalogConfig.models) {
      const { inputMicrosPerMillion: input, outputMicrosPerMillion: output } = m.pricing;
      expect(Number.isInteger(input) && Number.isInteger(output)).toBe(true);
      if (m.demo) expect([input, output]).toEqual([0, 0]);
      else expect(input > 0 && output >= input).toBe(true);
    }
  });

  it('gives every paid model a fallback chain that crosses providers', () => {
    const provider = new Map(defaultCatalogConfig.models.map((m) => [m.id, m.provider]));
    for (const m of defaultCatalogConfig.models.filter((x) => !x.demo)) {
      expect(m.fallbacks.length).toBeGreaterThan(0);
      expect(m.fallbacks.some((id) => provider.get(id) !== m.provider)).toBe(true);
    }
  });

  it('works offline with no keys: demo models answer, paid models fail retryably', async () => {
    const catalog = createCatalog(defaultCatalogConfig, { env: {} });
    const demo = catalog.list().filter((m) => m.available);
    expect(demo.map((m) => m.id)).toEqual(['saferouter/demo', 'saferouter/demo-thinking']);

    const chain = catalog.candidates({ model: 'saferouter/demo-thinking', messages: msg });
    const { stream, answeredBy } = await withFallback(chain).doStream({
      body: { model: 'saferouter/demo-thinking', messages: msg },
    });
    expect(answeredBy).toBe('saferouter/demo-thinking');
    expect(await readText(stream)).toContain('reasoning_content');

    const paid = catalog.candidates({ model: 'deepseek-v4-flash', messages: msg });
    expect(paid).toHaveLength(1); // keyless fallbacks are skipped
    await expect(
      withFallback(paid).doGenerate({ body: { model: 'deepseek-v4-flash', messages: msg } }),
    ).rejects.toBeInstanceOf(ProviderUnavailableError);
    await catalog.close();
  });
});
