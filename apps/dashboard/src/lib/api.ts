/**
 * The gateway's API as the dashboard uses it: one `request()` that adds the key, parses OpenAI's
 * error shape into `ApiError`, and typed calls for each endpoint. Same origin always (the CSP
 * allows nothing else): the dashboard is served by the gateway it talks to, or by Vite's dev
 * server proxying to one.
 */

/** A gateway error in OpenAI's shape, with the HTTP status and the headers a page needs. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly type: string;
  readonly param: string | undefined;
  readonly metadata: Record<string, unknown> | undefined;
  /** Seconds from `Retry-After`, on a 429. */
  readonly retryAfter: number | undefined;

  constructor(
    status: number,
    body: { message?: unknown; code?: unknown; type?: unknown; param?: unknown; metadata?: unknown },
    retryAfter?: number,
  ) {
    super(typeof body.message === 'string' ? body.message : `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.code = typeof body.code === 'string' ? body.code : 'http_error';
    this.type = typeof body.type === 'string' ? body.type : 'api_error';
    this.param = typeof body.param === 'string' ? body.param : undefined;
    this.metadata =
      typeof body.metadata === 'object' && body.metadata !== null
        ? (body.metadata as Record<string, unknown>)
        : undefined;
    this.retryAfter = retryAfter;
  }
}

/** Reads an error response (or an SSE error event's payload) into an `ApiError`. */
export async function errorFrom(res: Response): Promise<ApiError> {
  const retry = Number(res.headers.get('retry-after'));
  const retryAfter = Number.isFinite(retry) && retry > 0 ? retry : undefined;
  try {
    const json = (await res.json()) as { error?: Record<string, unknown> };
    if (json.error !== undefined && typeof json.error === 'object')
      return new ApiError(res.status, json.error, retryAfter);
  } catch {
    // Not JSON: fall through to a generic message.
  }
  return new ApiError(res.status, { message: `The gateway answered HTTP ${res.status}.` }, retryAfter);
}

/** A message a person can act on, for any error a page shows. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 402) {
      const affordable = error.metadata?.['affordable_tokens'];
      return typeof affordable === 'number'
        ? `Not enough credit: your balance affords ${affordable.toLocaleString('en-US')} output token${affordable === 1 ? '' : 's'} for this request. ${error.message}`
        : error.message;
    }
    if (error.status === 429) {
      return error.retryAfter === undefined
        ? `Rate limited: ${error.message}`
        : `Rate limited: retry in ${error.retryAfter} s. ${error.message}`;
    }
    if (error.status === 401) return 'This key was refused: it is unknown or revoked. Sign in again with a valid key.';
    return error.message;
  }
  if (error instanceof DOMException && error.name === 'AbortError') return 'Stopped.';
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}

export type Fetch = typeof globalThis.fetch;

async function channelFetch(): Promise<Fetch> {
  const { channel } = await import('./channel');
  return (await channel()).fetch;
}

/** Calls the gateway with the key; answers the parsed JSON or throws `ApiError`. */
export async function request<T>(
  key: string,
  path: string,
  init: { method?: string; body?: unknown; signal?: AbortSignal; fetch?: Fetch } = {},
): Promise<T> {
  // A body (a new key, a rename, a top-up) goes through the prompt channel: sealed with EHBP to
  // the attested key when the gateway offers it, as a gateway with SAFEROUTER_REQUIRE_EHBP
  // insists. Loaded on first use, so the first page does not carry the verifier.
  const send = init.fetch ?? (init.body === undefined ? globalThis.fetch.bind(globalThis) : await channelFetch());
  const headers: Record<string, string> = { authorization: `Bearer ${key}` };
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const res = await send(path, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers,
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    ...(init.signal === undefined ? {} : { signal: init.signal }),
  });
  if (!res.ok) throw await errorFrom(res);
  return (await res.json()) as T;
}

/** Query string from defined, non-empty values. */
export function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [name, value] of Object.entries(params))
    if (value !== undefined && value !== '') q.set(name, String(value));
  const s = q.toString();
  return s === '' ? '' : `?${s}`;
}

// ---- wire types (the subset the pages read) ----

/** USD per token (`prompt`, `completion`, `input_cache_read`) and per million tokens, as exact decimals. */
export interface ModelPricing {
  prompt: string;
  completion: string;
  input_per_million_usd: string;
  output_per_million_usd: string;
  /** Cache-hit input price per token, when the provider has one. */
  input_cache_read?: string;
}

export interface ModelEndpoint {
  provider: string;
  pricing: ModelPricing;
  context_length?: number;
  max_output_tokens?: number;
}

export interface Model {
  id: string;
  owned_by?: string;
  provider: string;
  name?: string;
  description?: string;
  context_length: number;
  max_output_tokens?: number;
  pricing: ModelPricing;
  capabilities: string[];
  fallbacks?: string[];
  /** The providers serving this model, tried in this order (OpenRouter's endpoints). */
  endpoints?: ModelEndpoint[];
  available: boolean;
  demo?: boolean;
}

export interface KeyInfo {
  id: string;
  object: 'key';
  name: string;
  role?: 'admin' | 'user';
  prefix?: string;
  created_at?: number;
  last_used_at?: number | null;
  revoked_at?: number | null;
  request_count?: number;
  balance_usd?: string;
  held_usd?: string;
  spend_usd?: string;
  limits: { rpm: number | null; concurrency: number | null };
  topup_allowed?: boolean;
  self_topup?: boolean;
}

export interface CreatedKey extends KeyInfo {
  key: string;
}

export interface Credits {
  key_id: string;
  balance_usd: string;
  held_usd: string;
  available_usd: string;
  usage: { model: string; requests: number; prompt_tokens: number; completion_tokens: number; cost_usd: string }[];
}

export interface ActivityEntry {
  id: string;
  request_id: string;
  ts: number;
  key_id: string;
  model: string;
  provider: string;
  original_model: string;
  attempt: number;
  status: number;
  error: string | null;
  latency_ms: number;
  ttfb_ms: number | null;
  prompt_tokens: number;
  completion_tokens: number;
  cost_usd: string;
  stream: boolean;
  estimated: boolean;
  /** Whose provider key served the attempt: the gateway's, or the caller's own (BYOK). */
  key_source?: 'gateway' | 'byok';
}

export interface Breakdown {
  id: string;
  requests: number;
  success: number;
  prompt_tokens: number;
  completion_tokens: number;
  cost_usd: string;
}

export interface Bucket {
  start: number;
  requests: number;
  success: number;
  errors: number;
  latency_ms: { p50: number; p95: number };
  cost_usd: string;
  prompt_tokens: number;
  completion_tokens: number;
}

export interface ActivityStats {
  since: number | null;
  until: number | null;
  total: number;
  success: number;
  success_rate: number;
  latency_ms: { p50: number; p95: number };
  cost_usd: string;
  by_model: Breakdown[];
  by_provider: Breakdown[];
  bucket_ms?: number;
  buckets?: Bucket[];
}

export interface VerifyingKey {
  signingKey: string;
  sealingKey?: string;
  measurement: string;
  backend: string;
  hardware: boolean;
  startupIndex?: number;
}

export const api = {
  models: (key: string) => request<{ data: Model[] }>(key, '/v1/models').then((r) => r.data),
  me: (key: string) => request<KeyInfo>(key, '/v1/key'),
  keys: (key: string) => request<{ data: KeyInfo[] }>(key, '/v1/keys').then((r) => r.data),
  createKey: (
    key: string,
    body: { name: string; credit_usd?: string; limits?: { rpm?: number | null; concurrency?: number | null } },
  ) => request<CreatedKey>(key, '/v1/keys', { body }),
  updateKey: (key: string, id: string, body: { name?: string }) =>
    request<KeyInfo>(key, `/v1/keys/${encodeURIComponent(id)}`, { method: 'PATCH', body }),
  revokeKey: (key: string, id: string) =>
    request<unknown>(key, `/v1/keys/${encodeURIComponent(id)}`, { method: 'DELETE' }),
  credits: (key: string, keyId?: string) => request<Credits>(key, `/v1/credits${query({ key_id: keyId })}`),
  topup: (key: string, body: { amount_usd: string; key_id?: string }) =>
    request<{ balance_usd: string }>(key, '/v1/credits/topup', { body }),
  activity: (key: string, filter: Record<string, string | number | undefined>) =>
    request<{ data: ActivityEntry[]; next_cursor: string | null }>(key, `/v1/activity${query(filter)}`),
  stats: (key: string, filter: Record<string, string | number | undefined>) =>
    request<ActivityStats>(key, `/v1/activity/stats${query(filter)}`),
  verifyingKey: async (): Promise<VerifyingKey> => {
    const res = await fetch('/attestation/verifying-key');
    if (!res.ok) throw await errorFrom(res);
    return (await res.json()) as VerifyingKey;
  },
};

// Queries the first page needs, defined once: the pages use them, and main.tsx starts them
// before React renders (a stored key's first page then needs no extra round trip).

export const modelsQuery = (key: string) => ({
  queryKey: ['models', key] as const,
  queryFn: () => api.models(key),
  staleTime: 60_000,
});

/** The key's own record: who is signed in. A 401 is final (the key is refused), not retried. */
export const meQuery = (key: string) => ({
  queryKey: ['me', key] as const,
  queryFn: () => api.me(key),
  retry: (count: number, error: unknown) => !(error instanceof ApiError && error.status === 401) && count < 2,
  staleTime: 60_000,
});

export const verifyingKeyQuery = {
  queryKey: ['verifying-key'] as const,
  queryFn: api.verifyingKey,
  staleTime: Infinity,
};
