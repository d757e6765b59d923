/**
 * `POST /v1/chat/completions`, streaming and not. The route wires HTTP to the packages:
 * validate → per-key limits → hold the worst case (billing) → fallback chain (router) → settle to
 * the real usage → activity entries, one per attempt.
 *
 * Billing rules that shape this file:
 * - The hold is priced for the primary model. Before each fallback the admission is re-priced
 *   for that candidate (an extra hold when it is dearer); a fallback the key cannot afford is
 *   skipped. So a key is never refused for a fallback it may never reach, and settle charges the
 *   prices of the model that answered.
 * - A request refused before any attempt (402 out of credit, 429 over a limit) still gets one
 *   activity entry, with `attempt: 0`.
 * - Streams always ask the upstream for usage (`stream_options.include_usage`), and the client
 *   receives that final usage chunk too. The charge is written BEFORE the stream's last chunk
 *   (the one carrying `data: [DONE]`) is sent, so a completion a client has been acknowledged
 *   is always on the ledger, even if the process is killed the next instant.
 * - A client that leaves mid-stream is billed from the text already delivered
 *   (`estimateCompletionTokens`: UTF-8 bytes / 3, rounded up), and the entry is `estimated`.
 * - A request that fails on every candidate costs nothing: the hold is released.
 */
import { Hono, type Context } from 'hono';
import { withFallback, type Attempt, type Catalog, type CatalogModel, type ChatRequestBody, type Usage } from '@saferouter/router';
import {
  estimateCompletionTokens,
  estimatePromptTokens,
  extractDeliveredText,
  InsufficientCreditsError,
  tokensForBytes,
  type Billing,
  type Limiter,
  type Pricing,
} from '@saferouter/billing';
import type { ActivityEntry } from '@saferouter/store';
import type { AppEnv } from '../env.js';
import { readJson } from '../body.js';
import { parseChatRequest } from '../chat-request.js';
import { clientAbortSignal } from '../abort.js';
import { sendStream } from '../stream-response.js';
import { ApiError } from '../errors.js';
import type { ActivityWriter } from '../activity-writer.js';

export interface ChatRouteOptions {
  catalog: Catalog;
  billing: Billing;
  limiter: Limiter;
  activity: ActivityWriter;
  bodyLimitBytes: number;
  clock: () => number;
  newId: () => string;
}

/** A cut stream is estimated from at most this much delivered SSE (beyond it, we undercount). */
const MAX_RETAINED_BYTES = 8 * 1024 * 1024;

/** Output budget when neither the client nor the catalog gives one. */
const DEFAULT_MAX_OUTPUT = 4096;

/** The output budget a candidate is held for: the client's `max_tokens`, else the model's max. */
function maxOutput(body: ChatRequestBody, entry: CatalogModel | undefined): number {
  const asked = body.max_tokens ?? body.max_completion_tokens;
  if (typeof asked === 'number') return asked;
  return entry?.maxOutputTokens ?? DEFAULT_MAX_OUTPUT;
}

const FREE: Pricing = { inputMicrosPerMillion: 0, outputMicrosPerMillion: 0 };

/**
 * The prompt estimate that sizes the hold. Optional fields may be null on the wire (accepted by
 * the schema), and the estimator must never turn odd-but-valid input into a 500, so anything it
 * rejects falls back to the whole body's size, the most conservative reading.
 */
function promptTokensOf(body: ChatRequestBody): number {
  try {
    return estimatePromptTokens({
      messages: body.messages,
      ...(Array.isArray(body.tools) ? { tools: body.tools } : {}),
      ...(body.response_format !== null && body.response_format !== undefined ? { response_format: body.response_format } : {}),
    });
  } catch {
    return tokensForBytes(Buffer.byteLength(JSON.stringify(body)));
  }
}

/** Completion text of a non-stream chat.completion body, for estimating when usage is missing. */
function completionText(body: Uint8Array): string {
  try {
    const parsed = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8')) as {
      choices?: { message?: { content?: unknown; reasoning_content?: unknown } }[];
    };
    const msg = parsed.choices?.[0]?.message;
    return `${typeof msg?.reasoning_content === 'string' ? msg.reasoning_content : ''}${typeof msg?.content === 'string' ? msg.content : ''}`;
  } catch {
    return '';
  }
}

export function chatRoutes(options: ChatRouteOptions): Hono<AppEnv> {
  const { catalog, billing, limiter, activity, clock, newId } = options;
  const app = new Hono<AppEnv>();

  app.post('/chat/completions', async (c) => {
    const caller = c.get('caller');
    const requestId = c.get('requestId');
    const body = parseChatRequest(await readJson(c, options.bodyLimitBytes));
    const chain = catalog.candidates(body);
    const requested = chain[0]?.entry.id ?? body.model;

    const primary = chain[0]?.entry;
    const stream = body.stream === true;
    /** The one activity entry of a request refused before any attempt. */
    const refused = (status: number, error: { code: string; message: string }): void => {
      activity.push({
        id: newId(),
        requestId,
        ts: clock(),
        keyId: caller.id,
        model: requested,
        provider: primary?.provider ?? 'saferouter',
        originalModel: requested,
        attempt: 0,
        status,
        error: `${error.code}: ${error.message}`,
        latencyMs: 0,
        ttfbMs: null,
        promptTokens: 0,
        completionTokens: 0,
        costMicros: 0,
        stream,
        estimated: false,
      });
    };

    const slot = await limiter.acquire(caller.id, caller.limits);
    if (!slot.ok) {
      const what = slot.reason === 'rpm' ? `${caller.limits.rpm} requests per minute` : `${caller.limits.concurrency} concurrent requests`;
      const error = new ApiError(429, 'rate_limit_error', `rate_limit_${slot.reason}`, `Rate limit reached for this key (${what}). Retry after ${slot.retryAfterSeconds} s.`, {
        'retry-after': String(slot.retryAfterSeconds),
      });
      refused(429, error);
      throw error;
    }
    let streaming = false;
    try {
      const promptEstimate = promptTokensOf(body);
      let admission;
      try {
        admission = await billing.admit({
          keyId: caller.id,
          requestId,
          pricing: primary?.pricing ?? FREE,
          promptTokens: promptEstimate,
          maxOutputTokens: maxOutput(body, primary),
          // The operator's admin key has no account: its calls are logged but not billed.
          free: caller.role === 'admin',
        });
      } catch (err) {
        if (InsufficientCreditsError.isInstance(err)) refused(402, err);
        throw err;
      }
      const started = clock();
      const attempts: Attempt[] = [];
      const model = withFallback(chain, {
        onAttempt: (a) => attempts.push(a),
        // Throws InsufficientCreditsError when the key cannot afford this fallback: it is skipped.
        beforeFallback: (candidate) => admission.reprice(candidate.entry.pricing, { maxOutputTokens: maxOutput(body, candidate.entry) }),
      });
      const signal = clientAbortSignal(c);
      if (stream) body.stream_options = { ...body.stream_options, include_usage: true };

      const record = (usage: { prompt: number; completion: number; cost: number; estimated: boolean; status: number; error?: string } | undefined): void => {
        for (const a of attempts) {
          const ok = a.ok && usage !== undefined;
          const entry: ActivityEntry = {
            id: newId(),
            requestId,
            ts: started,
            keyId: caller.id,
            model: a.modelId,
            provider: a.provider,
            originalModel: requested,
            attempt: a.attempt,
            status: a.ok ? (usage?.status ?? 200) : (a.error?.statusCode ?? 500),
            error: a.ok ? (usage?.error ?? null) : a.error ? `${a.error.code}: ${a.error.message}` : 'unknown error',
            latencyMs: Math.round(a.latencyMs),
            ttfbMs: a.ttfbMs === undefined ? null : Math.round(a.ttfbMs),
            promptTokens: ok ? usage.prompt : 0,
            completionTokens: ok ? usage.completion : 0,
            costMicros: ok ? usage.cost : 0,
            stream,
            estimated: ok ? usage.estimated : false,
          };
          activity.push(entry);
        }
      };

      // The admission is priced for the model that answered: the primary, or the last fallback
      // re-priced by beforeFallback (a skipped fallback leaves the pricing unchanged).
      const settle = async (usage: Usage | undefined, completionEstimate: () => number, status = 200, error?: string): Promise<void> => {
        const estimated = usage === undefined;
        const prompt = usage?.prompt_tokens ?? promptEstimate;
        const completion = usage?.completion_tokens ?? completionEstimate();
        const outcome = await admission.settle({ promptTokens: prompt, completionTokens: completion, estimated });
        record({ prompt, completion, cost: outcome.chargedMicros, estimated, status, ...(error === undefined ? {} : { error }) });
      };

      /** Runs the fallback chain; if every candidate fails, the hold is released and logged. */
      const attemptAll = async <T>(call: () => Promise<T>): Promise<T> => {
        try {
          return await call();
        } catch (err) {
          await admission.release();
          record(undefined);
          throw err;
        }
      };

      if (!stream) {
        const result = await attemptAll(() => model.doGenerate({ body, signal }));
        // Charged before the client sees the answer: an acknowledged completion is always billed.
        await settle(result.usage, () => estimateCompletionTokens(completionText(result.body)));
        setFallbackHeaders(c, requested, result.answeredBy);
        c.header('content-type', 'application/json');
        return c.body(result.body as Uint8Array<ArrayBuffer>, 200);
      }

      const result = await attemptAll(() => model.doStream({ body, signal }));
      const headers: Record<string, string> = {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        'x-accel-buffering': 'no',
      };
      if (result.answeredBy !== requested) {
        headers['x-saferouter-fallback-from'] = requested;
        headers['x-saferouter-fallback-to'] = result.answeredBy;
      }
      // Chunks are kept (by reference, up to a cap) only to estimate a cut stream's output; a
      // completed stream is billed from the upstream's usage chunk and never parses them.
      const delivered: Uint8Array[] = [];
      let deliveredBytes = 0;
      streaming = true;
      return sendStream(c, result, headers, {
        onChunk: (chunk) => {
          if (deliveredBytes >= MAX_RETAINED_BYTES) return;
          delivered.push(chunk);
          deliveredBytes += chunk.byteLength;
        },
        beforeEnd: async (summary) => {
          try {
            // A stream that ended early was either left by the client (499) or cut by the upstream (502).
            const left = summary.error !== undefined && (summary.error as { code?: unknown }).code === 'client_closed_request';
            const status = summary.completed ? 200 : left ? 499 : 502;
            const error = summary.completed ? undefined : left ? 'client_closed_request: the client left mid-stream' : `stream_interrupted: ${summary.error?.message ?? 'the upstream ended early'}`;
            await settle(summary.usage, () => estimateCompletionTokens(extractDeliveredText(Buffer.concat(delivered))), status, error);
          } finally {
            delivered.length = 0;
            slot.release();
          }
        },
      });
    } finally {
      // A stream keeps its concurrency slot until it ends (released in beforeEnd).
      if (!streaming) slot.release();
    }
  });

  return app;
}

function setFallbackHeaders(c: Context<AppEnv>, requested: string, answeredBy: string): void {
  if (answeredBy === requested) return;
  c.header('x-saferouter-fallback-from', requested);
  c.header('x-saferouter-fallback-to', answeredBy);
}

