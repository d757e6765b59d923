/**
 * Test-only parts for the metering tests (never published): scripted chat models that answer the
 * way an upstream would (through the real relay, so streams behave exactly like real ones), a
 * catalog of them, and a real SQLite-backed billing setup in a temp dir.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBilling, createMemoryLimiter, type Billing, type Limiter } from '@saferouter/billing';
import {
  ModelNotFoundError,
  NetworkError,
  relaySse,
  UpstreamError,
  type Candidate,
  type Catalog,
  type CatalogEndpoint,
  type CatalogModel,
  type ChatModelV1,
  type StreamResult,
} from '@saferouter/router';
import type { ActivityEntry, Store } from '@saferouter/store';
import { openSqliteStore } from '@saferouter/store/sqlite';
import type { Evidence, ReceiptDetails } from './evidence.js';

const enc = new TextEncoder();

/** How a scripted model answers (a script is handed the call's own credential, if any: BYOK). */
export interface Script {
  /** Fail with this upstream status before any byte. */
  status?: number;
  usage?: { prompt_tokens: number; completion_tokens: number } | undefined;
  /** Stream: the SSE chunks to send, exactly (default: two deltas, usage, `[DONE]`). */
  chunks?: string[];
  /** Stream: wait for this before each chunk after the first. */
  gate?: () => Promise<void>;
}

export function sse(content: string[], usage: Script['usage'], done = 'data: [DONE]\n\n'): string[] {
  const events = content.map(
    (c) => `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: c }, finish_reason: null }] })}\n\n`,
  );
  if (usage !== undefined) events.push(`data: ${JSON.stringify({ choices: [], usage })}\n\n`);
  return done === '' ? events : [...events, done];
}

export function scriptedModel(id: string, provider: string, script: (credential?: string) => Script): ChatModelV1 {
  return {
    specificationVersion: 'v1',
    provider,
    modelId: id,
    doGenerate: async (options) => {
      const s = script(options.credential);
      if (s.status !== undefined)
        throw new UpstreamError({ provider, modelId: id, statusCode: s.status, body: new Uint8Array(0) });
      const body = {
        id: 'c1',
        object: 'chat.completion',
        choices: [{ index: 0, message: { role: 'assistant', content: 'Hello there' }, finish_reason: 'stop' }],
        usage: s.usage,
      };
      return {
        status: 200,
        body: enc.encode(JSON.stringify(body)),
        usage: s.usage === undefined ? undefined : { ...s.usage, total_tokens: 0 },
        ttfbMs: 1,
      };
    },
    doStream: async (options): Promise<StreamResult> => {
      const s = script(options.credential);
      if (s.status !== undefined)
        throw new UpstreamError({ provider, modelId: id, statusCode: s.status, body: new Uint8Array(0) });
      const chunks = s.chunks ?? sse(['Hello', ' there'], s.usage);
      let i = 0;
      let stopped = false;
      const source = {
        next: async (): Promise<IteratorResult<Uint8Array, unknown>> => {
          if (i > 0) await s.gate?.();
          if (stopped) throw new NetworkError(provider, new Error('aborted'));
          if (i >= chunks.length) return { done: true, value: undefined };
          return { done: false, value: enc.encode(chunks[i++]) };
        },
        destroy: () => {
          stopped = true;
        },
      };
      const relay = relaySse(source, {
        provider,
        mapError: (e) => new NetworkError(provider, e),
        hooks: options.hooks,
      });
      return Object.assign(relay, { status: 200, ttfbMs: 1 });
    },
  };
}

/** A catalog entry with prices in micro-dollars per million tokens. */
export function entry(id: string, input: number, output: number, extra: Partial<CatalogModel> = {}): CatalogModel {
  const base = {
    id,
    upstreamId: id,
    provider: `${id}-provider`,
    name: id,
    description: undefined,
    contextLength: 1000,
    maxOutputTokens: 100,
    pricing: { inputMicrosPerMillion: input, outputMicrosPerMillion: output },
    priced: true,
    capabilities: [],
    fallbacks: [],
    available: true,
    demo: false,
    synthesized: false,
    ...extra,
  };
  const endpoint: CatalogEndpoint = {
    provider: base.provider,
    upstreamId: base.upstreamId,
    pricing: base.pricing,
    contextLength: base.contextLength,
    maxOutputTokens: base.maxOutputTokens,
    capabilities: base.capabilities,
    available: base.available,
    dataRetention: undefined,
  };
  return { endpoints: [endpoint], ...base };
}

/** A catalog whose chain for any request is `chain` (its `models` field ignored). */
export function fixedCatalog(
  chain: readonly { entry: CatalogModel; script: (credential?: string) => Script }[],
): Catalog {
  const candidates: Candidate[] = chain.map((c) => ({
    entry: c.entry,
    model: scriptedModel(c.entry.id, c.entry.provider, c.script),
  }));
  const byId = new Map(candidates.map((c) => [c.entry.id, c]));
  return {
    list: () => candidates.map((c) => c.entry),
    providers: () =>
      [...new Set(candidates.map((c) => c.entry.provider))].map((id) => ({
        id,
        kind: 'openai-compatible' as const,
        available: true,
      })),
    resolve: (id) => {
      const found = byId.get(id);
      if (found === undefined) throw new ModelNotFoundError(id);
      return found.entry;
    },
    model: (e) => (byId.get(e.id) as Candidate).model,
    candidates: (body) => {
      if (!byId.has(body.model)) throw new ModelNotFoundError(body.model);
      return candidates;
    },
    plan: (body) => {
      if (!byId.has(body.model)) throw new ModelNotFoundError(body.model);
      return { candidates, excluded: [] };
    },
    close: () => Promise.resolve(),
  };
}

export interface Books {
  store: Store;
  billing: Billing;
  limiter: Limiter;
  activity: ActivityEntry[];
  keyId: string;
  /** Balance and held micro-dollars of the test key. */
  account(): Promise<{ balanceMicros: number; heldMicros: number }>;
  charges(): Promise<{ requestId: string | null; amountMicros: number }[]>;
  close(): Promise<void>;
}

/** A real SQLite store in a temp dir, billing over it, a memory limiter, and a key with `credit` µ$. */
export async function openBooks(credit: number): Promise<Books> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sr-metering-'));
  const store = await openSqliteStore({ dataDir });
  const keyId = 'key_metering01';
  await store.keys.insert({
    id: keyId,
    name: 'metering',
    prefix: 'sk-sr-xxxxxx…',
    hash: 'a'.repeat(64),
    role: 'user',
    createdAt: 1,
  });
  const billing = createBilling({ store: store.billing });
  if (credit > 0) await billing.topup({ keyId, amountMicros: credit });
  const limiter = createMemoryLimiter();
  return {
    store,
    billing,
    limiter,
    activity: [],
    keyId,
    account: () => store.billing.balance(keyId),
    charges: async () =>
      (await store.billing.ledger(keyId, { limit: 100 }))
        .filter((r) => r.kind === 'charge')
        .map((r) => ({ requestId: r.requestId ?? null, amountMicros: r.amountMicros })),
    close: async () => {
      await limiter.close();
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** What the fake evidence saw of one request. */
export interface FakeEvidenceRecord {
  requestId: string;
  request: string;
  /** Every response byte fed before `finish`, decoded. */
  response: string;
  sampled: boolean;
  details: ReceiptDetails | undefined;
  jws: string | undefined;
}

/**
 * An `Evidence` that signs nothing: its "JWS" is `receipt-<n>`. It records what metering fed it,
 * keeps receipts in memory, and stores samples through `addSample` (which a test may make fail).
 */
export function fakeEvidence(options: { sampled?: boolean; addSample?: () => Promise<void> } = {}): {
  evidence: Evidence;
  records: FakeEvidenceRecord[];
  kept: string[];
  samples: string[];
} {
  const dec = new TextDecoder();
  const records: FakeEvidenceRecord[] = [];
  const kept: string[] = [];
  const samples: string[] = [];
  let n = 0;
  return {
    records,
    kept,
    samples,
    evidence: {
      sample: () => options.sampled === true,
      keepReceipt: (r) => kept.push(`${r.requestId} ${r.jws}`),
      addSample: async (s) => {
        await (options.addSample ?? (() => Promise.resolve()))();
        samples.push(s.requestId);
      },
      issuer: {
        begin: ({ requestId, requestBytes, sampled }) => {
          const record: FakeEvidenceRecord = {
            requestId,
            request: dec.decode(requestBytes),
            response: '',
            sampled,
            details: undefined,
            jws: undefined,
          };
          records.push(record);
          return {
            response: (chunk) => {
              // Like the real issuer: feeding a finished session is a bug.
              if (record.jws !== undefined) throw new Error('response() after finish()');
              record.response += dec.decode(chunk);
            },
            finish: (details) => {
              record.details = details;
              record.jws = `receipt-${++n}`;
              const salt = new Uint8Array(32);
              return {
                jws: record.jws,
                ...(sampled
                  ? { sample: { entry: enc.encode(`entry-${n}`), requestSalt: salt, responseSalt: salt } }
                  : {}),
              };
            },
          };
        },
      },
    },
  };
}
