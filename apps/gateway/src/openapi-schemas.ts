/**
 * Valibot schemas that exist only to be documented by ./openapi.ts: what the gateway answers (its
 * responses are built by hand in the route files), the OpenAI error shape, and query parameters
 * that ./query.ts parses by hand. Request bodies that *are* validated with a schema (chat, keys,
 * top-ups, `provider`, `reasoning`) are not repeated here: the table documents those schemas
 * themselves; the Responses body is in ./openapi-responses-request.ts.
 *
 * These copies can drift, so ./openapi.test.ts holds them to the code: every answer the tests
 * provoke must validate against its documented schema with no undocumented member, and a value a
 * documented query parameter refuses must be a 400.
 */
import * as v from 'valibot';

const Int = v.pipe(v.number(), v.integer());
const NonNegative = v.pipe(v.number(), v.integer(), v.minValue(0));
/** Epoch milliseconds. */
const Millis = v.pipe(v.number(), v.integer(), v.minValue(0), v.description('Milliseconds since the Unix epoch.'));
/** An exact decimal USD amount, as the API always prints money. */
const Usd = v.pipe(v.string(), v.regex(/^-?\d+(\.\d+)?$/), v.description('An exact decimal amount in USD.'));
const Str = v.string();
const NullableStr = v.nullable(v.string());

// ---------------------------------------------------------------------------------------------
// Errors

/** OpenAI's error shape, which every failure of the gateway has (./errors.ts). */
export const ErrorBody = v.object({
  error: v.object({
    message: v.pipe(v.string(), v.description('What went wrong, for a person. Never echoes a secret.')),
    type: v.pipe(
      v.string(),
      v.description('OpenAI’s error type: invalid_request_error, authentication_error, permission_error, …'),
    ),
    code: v.pipe(v.string(), v.description('A stable machine-readable code, e.g. `insufficient_credits`.')),
    param: v.optional(v.pipe(v.string(), v.description('The request field at fault (`messages.0.role`).'))),
    metadata: v.optional(
      v.pipe(
        v.record(v.string(), v.nullable(v.union([v.string(), v.number(), v.boolean()]))),
        v.description('Details a client can act on without parsing the message.'),
      ),
    ),
  }),
});

// ---------------------------------------------------------------------------------------------
// Small public endpoints

export const Health = v.object({ status: v.literal('ok') });

/** `GET /ready` (./routes/ready.ts): 200 when ready, 503 otherwise, the same shape. */
export const Readiness = v.object({
  status: v.picklist(['ready', 'unavailable', 'draining']),
  checks: v.optional(
    v.pipe(
      v.record(v.string(), v.picklist(['ok', 'failed', 'timeout'])),
      v.description('Each dependency asked (`sqlite` or `postgres`, `redis`); absent while draining.'),
    ),
  ),
});

export const VerifyingKey = v.object({
  signingKey: v.pipe(v.string(), v.description('Ed25519 public key (hex) that signs receipts and bundles.')),
  sealingKey: v.pipe(v.string(), v.description('X25519 public key (hex) EHBP bodies are sealed to.')),
  algorithm: v.literal('ed25519'),
  measurement: v.pipe(v.string(), v.description('The build’s measurement (hex SHA-256), docs/attestation.md.')),
  backend: v.picklist(['mock', 'sev-snp']),
  hardware: v.boolean(),
  transparencyLogKey: v.optional(v.pipe(v.string(), v.description('C2SP verifier key of the startup log.'))),
  startupIndex: v.optional(v.pipe(NonNegative, v.description('This instance’s entry in the startup log.'))),
  notice: v.optional(v.string()),
});

export const QuoteRequest = v.object({
  nonce: v.pipe(
    v.string(),
    v.regex(/^[0-9a-fA-F]{64}$/),
    v.description('32 random bytes chosen by the verifier, as 64 hex characters.'),
  ),
});

// ---------------------------------------------------------------------------------------------
// Models

const PricingView = v.object({
  prompt: v.pipe(Str, v.description('USD per prompt token (OpenRouter’s convention).')),
  completion: v.pipe(Str, v.description('USD per completion token.')),
  input_per_million_usd: Str,
  output_per_million_usd: Str,
  input_cache_read: v.optional(v.pipe(Str, v.description('USD per cached prompt token, when priced.'))),
  cached_input_per_million_usd: v.optional(Str),
});

export const Model = v.object({
  id: Str,
  object: v.literal('model'),
  created: Int,
  owned_by: Str,
  name: Str,
  provider: Str,
  context_length: v.optional(NonNegative),
  max_output_tokens: v.optional(NonNegative),
  pricing: PricingView,
  endpoints: v.array(
    v.object({
      provider: Str,
      pricing: PricingView,
      context_length: v.optional(NonNegative),
      max_output_tokens: v.optional(NonNegative),
    }),
  ),
  capabilities: v.array(Str),
  fallbacks: v.array(Str),
  available: v.pipe(v.boolean(), v.description('Whether the model’s provider is configured (has an API key).')),
  demo: v.boolean(),
});

export const ModelList = v.object({ object: v.literal('list'), data: v.array(Model) });

// ---------------------------------------------------------------------------------------------
// Chat completions and responses (pass-through shapes: only what SafeRouter adds is pinned)

const ChatUsage = v.looseObject({
  prompt_tokens: NonNegative,
  completion_tokens: NonNegative,
  total_tokens: NonNegative,
  cost: v.pipe(v.number(), v.description('What this request was charged, in USD (exact).')),
});

export const ChatCompletion = v.looseObject({
  id: Str,
  object: v.literal('chat.completion'),
  created: Int,
  model: Str,
  choices: v.array(v.looseObject({ index: NonNegative, message: v.looseObject({ role: Str }) })),
  usage: ChatUsage,
});

export const ResponseObject = v.looseObject({
  id: Str,
  object: v.literal('response'),
  created_at: Int,
  status: v.picklist(['completed', 'incomplete', 'failed']),
  model: Str,
  output: v.array(v.looseObject({ type: Str })),
  usage: v.looseObject({
    input_tokens: NonNegative,
    output_tokens: NonNegative,
    total_tokens: NonNegative,
    cost: v.optional(v.number()),
  }),
});

/** A server-sent event stream, described as text. */
export const EventStream = v.pipe(
  v.string(),
  v.description('Server-sent events: `data: {json}` lines; chat streams end with `data: [DONE]`.'),
);

// ---------------------------------------------------------------------------------------------
// Keys, credits, activity

const Limits = v.object({ rpm: v.nullable(Int), concurrency: v.nullable(Int) });

const KeyFields = {
  id: Str,
  object: v.literal('key'),
  name: Str,
  prefix: v.pipe(Str, v.description('The first characters of the secret, to recognise a key.')),
  role: v.picklist(['user', 'admin']),
  created_at: Millis,
  last_used_at: v.nullable(Millis),
  revoked_at: v.nullable(Millis),
  request_count: NonNegative,
  balance_usd: Usd,
  held_usd: v.pipe(Usd, v.description('Reserved by requests in flight.')),
  spend_usd: Usd,
  usage: v.object({ requests: NonNegative, cost_usd: Usd }),
  limits: Limits,
};

export const Key = v.object(KeyFields);
export const KeyList = v.object({ object: v.literal('list'), data: v.array(Key) });
export const CreatedKey = v.object({
  ...KeyFields,
  key: v.pipe(Str, v.description('The secret, shown this once: the gateway keeps only its hash.')),
});
export const RevokedKey = v.object({ id: Str, object: v.literal('key'), revoked: v.literal(true), revoked_at: Millis });

const TopupFields = { topup_allowed: v.boolean(), self_topup: v.boolean() };
/** `GET /v1/key`: the caller's own record; the admin key has no balance. */
export const OwnKey = v.union([
  v.object({ ...KeyFields, ...TopupFields }),
  v.object({
    id: v.literal('admin'),
    object: v.literal('key'),
    name: Str,
    role: v.literal('admin'),
    limits: Limits,
    ...TopupFields,
  }),
]);

export const Credits = v.object({
  key_id: Str,
  balance_usd: Usd,
  held_usd: Usd,
  available_usd: Usd,
  usage: v.array(
    v.object({
      model: Str,
      requests: NonNegative,
      prompt_tokens: NonNegative,
      completion_tokens: NonNegative,
      cost_usd: Usd,
    }),
  ),
});

export const TopupResult = v.object({
  key_id: Str,
  balance_usd: Usd,
  held_usd: Usd,
  entry: v.object({ id: Str, kind: Str, amount_usd: Usd, ts: Millis }),
});

const Excluded = v.array(v.object({ model: Str, provider: Str, reason: Str }));

export const ActivityEntry = v.object({
  id: Str,
  request_id: Str,
  ts: Millis,
  key_id: Str,
  model: Str,
  provider: Str,
  original_model: Str,
  attempt: v.pipe(NonNegative, v.description('1-based position in the fallback chain; 0 when refused before any.')),
  status: Int,
  error: NullableStr,
  latency_ms: NonNegative,
  ttfb_ms: v.nullable(NonNegative),
  prompt_tokens: NonNegative,
  completion_tokens: NonNegative,
  cost_usd: Usd,
  stream: v.boolean(),
  estimated: v.boolean(),
  generation_id: NullableStr,
  finish_reason: NullableStr,
  cached_tokens: NonNegative,
  reasoning_tokens: NonNegative,
  generation_ms: v.nullable(NonNegative),
  excluded: Excluded,
  key_source: v.pipe(
    v.picklist(['gateway', 'byok']),
    v.description('Whose provider key the attempt used: the gateway’s, or yours (BYOK, docs/byok.md).'),
  ),
});

export const ActivityPage = v.object({
  object: v.literal('list'),
  data: v.array(ActivityEntry),
  next_cursor: NullableStr,
});

const Breakdown = v.array(
  v.object({
    id: Str,
    requests: NonNegative,
    success: NonNegative,
    prompt_tokens: NonNegative,
    completion_tokens: NonNegative,
    cost_usd: Usd,
  }),
);
const Latency = v.object({ p50: v.number(), p95: v.number() });

export const ActivityStats = v.object({
  since: v.nullable(Millis),
  until: v.nullable(Millis),
  total: NonNegative,
  success: NonNegative,
  success_rate: v.number(),
  latency_ms: Latency,
  cost_usd: Usd,
  by_model: Breakdown,
  by_provider: Breakdown,
  bucket_ms: v.optional(v.pipe(NonNegative, v.description('Present with `bucket`.'))),
  buckets: v.optional(
    v.array(
      v.object({
        start: Millis,
        requests: NonNegative,
        success: NonNegative,
        errors: NonNegative,
        latency_ms: Latency,
        cost_usd: Usd,
        prompt_tokens: NonNegative,
        completion_tokens: NonNegative,
      }),
    ),
  ),
});

export const Generation = v.object({
  data: v.object({
    id: Str,
    request_id: Str,
    model: Str,
    original_model: Str,
    provider_name: Str,
    streamed: v.boolean(),
    cancelled: v.boolean(),
    created_at: v.pipe(Str, v.isoTimestamp()),
    status: Int,
    error: NullableStr,
    latency: v.pipe(v.nullable(NonNegative), v.description('Milliseconds to the first byte of the answer.')),
    generation_time: v.nullable(NonNegative),
    tokens_prompt: NonNegative,
    tokens_completion: NonNegative,
    native_tokens_prompt: NonNegative,
    native_tokens_completion: NonNegative,
    native_tokens_cached: NonNegative,
    native_tokens_reasoning: NonNegative,
    total_cost: v.number(),
    total_cost_usd: Usd,
    usage: v.number(),
    estimated: v.boolean(),
    finish_reason: NullableStr,
    attempts: v.array(
      v.object({ attempt: NonNegative, model: Str, provider: Str, status: Int, error: NullableStr, latency: Int }),
    ),
    excluded: Excluded,
  }),
});

// ---------------------------------------------------------------------------------------------
// Receipts and the audit log

export const Receipt = v.object({
  id: Str,
  receipt: v.pipe(Str, v.description('The signed receipt, a compact JWS (docs/audit.md).')),
});

export const SamplesRequest = v.object({
  limit: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(500))),
  cursor: v.nullish(Str),
});

export const SamplesPage = v.object({
  object: v.literal('list'),
  data: v.array(
    v.object({
      id: Str,
      status: v.picklist(['pending', 'integrated']),
      index: v.nullable(NonNegative),
      entry: v.pipe(Str, v.description('The log entry, base64.')),
      request_salt: Str,
      response_salt: Str,
      inclusion_proof: v.nullable(v.array(Str)),
      checkpoint: NullableStr,
    }),
  ),
  next_cursor: NullableStr,
});

// ---------------------------------------------------------------------------------------------
// Transparency logs (startup and audit)

export const Checkpoint = v.object({
  origin: Str,
  size: NonNegative,
  root_hash: v.pipe(Str, v.description('base64')),
  note: v.pipe(Str, v.description('The checkpoint as a C2SP signed note.')),
  vkey: v.pipe(Str, v.description('The log’s C2SP verifier key.')),
});

const LogEntryFields = {
  index: NonNegative,
  leaf_hash: Str,
  record: v.optional(v.pipe(v.unknown(), v.description('The entry parsed, when it is JSON.'))),
  entry_base64: Str,
};

export const LogEntries = v.object({
  size: NonNegative,
  checkpoint: Checkpoint,
  entries: v.array(v.object(LogEntryFields)),
  next_start: v.nullable(NonNegative),
});

export const LogEntry = v.object({ ...LogEntryFields, inclusion_proof: v.array(Str), checkpoint: Checkpoint });

export const ConsistencyProof = v.object({
  from: NonNegative,
  to: NonNegative,
  proof: v.array(Str),
  checkpoint: Checkpoint,
});

// ---------------------------------------------------------------------------------------------
// Query parameters (parsed by hand in ./query.ts and the routes; documented here)

export const Query = {
  time: v.pipe(v.string(), v.description('Epoch milliseconds or an ISO-8601 time.')),
  window: v.pipe(
    v.string(),
    v.regex(/^\d{1,4}[mhd]$/),
    v.description('A duration from 1m to 366d: `15m`, `24h`, `7d`.'),
  ),
  bucket: v.pipe(
    v.string(),
    v.regex(/^\d{1,4}[mhd]$/),
    v.description('A bucket size (`5m`, `1h`, `1d`); buckets are aligned to multiples of it since the epoch.'),
  ),
  limit: (max: number) => v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(max)),
  text: (max: number) => v.pipe(v.string(), v.maxLength(max)),
  outcome: v.picklist(['success', 'error']),
  keyId: v.pipe(v.string(), v.description('A key id (`key_…`); one that names no key is a 404.')),
  count: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(999_999_999_999_999)),
};
