/**
 * Fixtures for the billing end-to-end tests: a catalog with distinct, deliberately awkward prices,
 * the expected cost of a request computed here from the catalog (independently of
 * @saferouter/billing, so a wrong formula there cannot also be the yardstick), exact USD string
 * ⇄ micro-dollar conversion, and thin wrappers over the gateway's HTTP API.
 */
import { expect } from 'vitest';

/** Catalog prices in USD per million tokens, and the micro-dollars the gateway turns them into. */
export interface TestPrice {
  inputPerMillion: number;
  outputPerMillion: number;
  inMicros: number;
  outMicros: number;
}

const price = (inputPerMillion: number, outputPerMillion: number, inMicros: number, outMicros: number): TestPrice => ({
  inputPerMillion,
  outputPerMillion,
  inMicros,
  outMicros,
});

/**
 * `b-dear` falls back to `b-cheap`; `b-solo` stands alone; `b-thrift` falls back to the dearer
 * `b-dear`, then `b-cheap` (holds are re-priced per fallback). The odd prices make 1000/500 tokens
 * cost a fraction of a micro-dollar more than a whole number, so rounding is exercised.
 */
export const PRICES = {
  'b-dear': price(2.5, 10, 2_500_000, 10_000_000),
  'b-cheap': price(0.123457, 1.234567, 123_457, 1_234_567),
  'b-solo': price(0.333333, 1.666667, 333_333, 1_666_667),
  'b-thrift': price(0.1, 0.2, 100_000, 200_000),
} as const;

export type PricedModel = keyof typeof PRICES;

/** The catalog (as the JSON of `SAFEROUTER_CONFIG`), every model served by the fake upstream. */
export function billingCatalogJson(upstreamUrl: string): Record<string, unknown> {
  const model = (id: PricedModel, fallbacks: string[] = []) => ({
    id,
    provider: 'up',
    contextLength: 1_000_000,
    maxOutputTokens: 200_000,
    pricing: { inputPerMillion: PRICES[id].inputPerMillion, outputPerMillion: PRICES[id].outputPerMillion },
    capabilities: [],
    fallbacks,
  });
  return {
    providers: [{ id: 'up', baseUrl: `${upstreamUrl}/v1`, apiKeyEnv: 'FAKE_UP_KEY' }],
    models: [model('b-dear', ['b-cheap']), model('b-cheap'), model('b-solo'), model('b-thrift', ['b-dear', 'b-cheap'])],
  };
}

/** `ceil((prompt × in + completion × out) / 1e6)` micro-dollars, in BigInt. */
export function expectedCost(model: PricedModel, promptTokens: number, completionTokens: number): number {
  const p = PRICES[model];
  const numerator = BigInt(promptTokens) * BigInt(p.inMicros) + BigInt(completionTokens) * BigInt(p.outMicros);
  return Number((numerator + 999_999n) / 1_000_000n);
}

/** `"0.000741"` → 741, `"-1.5"` → -1_500_000; exact, no float. */
export function usdToMicros(usd: string): number {
  const m = /^(-?)(\d+)(?:\.(\d{1,6}))?$/.exec(usd);
  if (!m) throw new Error(`not a USD amount: ${usd}`);
  const micros = Number(m[2]) * 1_000_000 + Number((m[3] ?? '').padEnd(6, '0'));
  return m[1] === '-' ? -micros : micros;
}

/** 741 → `"0.000741"`. */
export function microsToUsd(micros: number): string {
  const whole = Math.floor(micros / 1_000_000);
  const frac = String(micros % 1_000_000).padStart(6, '0');
  return `${whole}.${frac}`;
}

export interface Credits {
  balance: number;
  held: number;
  available: number;
  usage: { model: string; requests: number; prompt_tokens: number; completion_tokens: number; cost_usd: string }[];
}

export interface ActivityView {
  request_id: string;
  model: string;
  attempt: number;
  status: number;
  error: string | null;
  prompt_tokens: number;
  completion_tokens: number;
  cost_usd: string;
  stream: boolean;
  estimated: boolean;
}

const json = (key: string): Record<string, string> => ({
  authorization: `Bearer ${key}`,
  'content-type': 'application/json',
});

/** `POST /v1/keys`. */
export async function createKey(
  url: string,
  adminKey: string,
  name: string,
  creditUsd: string,
  limits?: { rpm?: number; concurrency?: number },
): Promise<{ id: string; key: string }> {
  const res = await fetch(`${url}/v1/keys`, {
    method: 'POST',
    headers: json(adminKey),
    body: JSON.stringify({ name, credit_usd: creditUsd, ...(limits ? { limits } : {}) }),
  });
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json()) as { id: string; key: string };
}

/** `GET /v1/credits?key_id=` as the admin, amounts in micro-dollars. */
export async function credits(url: string, adminKey: string, keyId: string): Promise<Credits> {
  const res = await fetch(`${url}/v1/credits?key_id=${keyId}`, { headers: json(adminKey) });
  expect(res.status).toBe(200);
  const body = (await res.json()) as {
    balance_usd: string;
    held_usd: string;
    available_usd: string;
    usage: Credits['usage'];
  };
  return {
    balance: usdToMicros(body.balance_usd),
    held: usdToMicros(body.held_usd),
    available: usdToMicros(body.available_usd),
    usage: body.usage,
  };
}

/** `GET /v1/activity?request_id=` (any key that may see it). */
export async function activityOf(url: string, key: string, requestId: string): Promise<ActivityView[]> {
  const res = await fetch(`${url}/v1/activity?request_id=${requestId}`, { headers: json(key) });
  expect(res.status).toBe(200);
  return ((await res.json()) as { data: ActivityView[] }).data;
}

/** Every activity entry of a key, all pages (admin). */
export async function allActivity(url: string, adminKey: string, keyId: string): Promise<ActivityView[]> {
  const out: ActivityView[] = [];
  let cursor: string | null = null;
  do {
    const res: Response = await fetch(
      `${url}/v1/activity?key_id=${keyId}&limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      { headers: json(adminKey) },
    );
    expect(res.status).toBe(200);
    const page = (await res.json()) as { data: ActivityView[]; next_cursor: string | null };
    out.push(...page.data);
    cursor = page.next_cursor;
  } while (cursor !== null);
  return out;
}

/** `POST /v1/chat/completions`. */
export function chat(url: string, key: string, body: Record<string, unknown>, signal?: AbortSignal): Promise<Response> {
  return fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: json(key),
    body: JSON.stringify(body),
    ...(signal ? { signal } : {}),
  });
}

/** The JSON objects of an SSE body's `data:` lines, `[DONE]` excluded. */
export function sseEvents(text: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('data:')) continue;
    const data = line.slice(5).trim();
    if (data === '[DONE]' || data === '') continue;
    out.push(JSON.parse(data) as Record<string, unknown>);
  }
  return out;
}

/** Polls `probe` until it returns a value other than `undefined`. */
export async function waitUntil<T>(
  probe: () => Promise<T | undefined>,
  what: string,
  timeoutMs = 5000,
  intervalMs = 25,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Runs `n` tasks with at most `concurrency` at once; results in task order. */
export async function pool<T>(n: number, concurrency: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const results = new Array<T>(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, concurrency) }, async () => {
      while (next < n) {
        const i = next++;
        results[i] = await task(i);
      }
    }),
  );
  return results;
}
