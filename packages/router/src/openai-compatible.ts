/**
 * The OpenAI-compatible provider: one factory per upstream (DeepSeek, Z.AI, a local LM Studio...)
 * that speaks `POST {baseURL}/chat/completions` over undici.
 *
 * It uses `dispatcher.request()` on a keep-alive `Pool` per origin rather than global `fetch`,
 * which measured about four times slower on this path. Tests inject their own `dispatcher`.
 * Streams are relayed byte for byte (see sse-relay.ts); `doStream` resolves only after the first
 * body chunk arrived, so a provider that dies or hangs before its first byte can still be
 * replaced by the next model in a fallback chain. The request body is built by the provider
 * kind's `BodyAdapter` (adapters/), so provider quirks stay out of this file.
 */
import { Pool, type Dispatcher } from 'undici';
import { bodyAdapterFor, type BodyAdapter } from './adapters/index.js';
import { NetworkError, ProviderUnavailableError, TimeoutError, UpstreamError } from './errors.js';
import { readFinishReason, readUsage } from './response-fields.js';
import type { CallOptions, ChatModelV1, GenerateResult, StreamResult } from './spec.js';
import { relaySse } from './sse-relay.js';
import { toRouterError } from './transport-errors.js';
import { callUpstream, rawHeader, type BodyQueue, type UpstreamResponse } from './upstream-call.js';

export interface OpenAICompatibleSettings {
  /** Provider id, e.g. `deepseek`. Appears in errors and on every model. */
  name: string;
  /** OpenAI-style base, e.g. `https://api.z.ai/api/paas/v4`; `/chat/completions` is appended. */
  baseURL: string;
  /**
   * Bearer token. Missing or empty: every call without its own `credential` throws
   * `ProviderUnavailableError` (retryable).
   */
  apiKey: string | undefined;
  /** Extra headers sent on every call. */
  headers?: Readonly<Record<string, string>> | undefined;
  /** Replaces the default keep-alive `Pool`; the caller then owns its lifetime. */
  dispatcher?: Dispatcher | undefined;
  /** TCP/TLS connect timeout. Default 10 s. */
  connectTimeoutMs?: number | undefined;
  /** Time to response headers, and for streams also to the first body chunk. Default 120 s. */
  firstByteTimeoutMs?: number | undefined;
  /** Longest silence between two body chunks. Default 300 s. */
  bodyTimeoutMs?: number | undefined;
  /** Sockets the default pool may open to the origin. Default 256. */
  connections?: number | undefined;
  /**
   * Builds the upstream body (drops `models`, `provider`, `reasoning`, spells reasoning the
   * provider's way, sets `model`). Default `bodyAdapterFor('openai-compatible')`.
   */
  adapter?: BodyAdapter | undefined;
}

/** A provider factory: call it with an upstream model id to get a `ChatModelV1`. */
export interface OpenAICompatibleProvider {
  (modelId: string): ChatModelV1;
  readonly name: string;
  /** The resolved chat-completions endpoint. */
  readonly url: URL;
  /** Closes the default pool (a no-op for an injected dispatcher). */
  close(): Promise<void>;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
const DEFAULT_FIRST_BYTE_TIMEOUT_MS = 120_000;
const DEFAULT_BODY_TIMEOUT_MS = 300_000;
const ERROR_BODY_CAP = 1024 * 1024;
const utf8 = new TextDecoder();

/**
 * Appends `/chat/completions` to an OpenAI-style base URL, keeping any path prefix and query and
 * tolerating a trailing slash.
 *
 * @example chatCompletionsURL('https://api.z.ai/api/paas/v4/').href // 'https://api.z.ai/api/paas/v4/chat/completions'
 * @throws {TypeError} when `baseURL` is not an absolute http(s) URL.
 */
export function chatCompletionsURL(baseURL: string): URL {
  let url: URL;
  try {
    url = new URL(baseURL);
  } catch {
    throw new TypeError(`baseURL must be an absolute URL, got '${baseURL}'`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`baseURL must use http or https, got '${url.protocol}'`);
  }
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/chat/completions`;
  return url;
}

/** Names we set ourselves; a caller's copy (say, a client's own Authorization) is dropped. */
const RESERVED_HEADERS = new Set([
  'authorization',
  'content-type',
  'content-length',
  'host',
  'transfer-encoding',
  'connection',
]);

/** Lower-cases names so ours cannot be doubled by `Authorization` vs `authorization`. */
function lowerCaseHeaders(headers: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (headers === undefined) return out;
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (!RESERVED_HEADERS.has(lower)) out[lower] = value;
  }
  return out;
}

/** Resolves with the first chunk, or rejects with a first-byte timeout after destroying `body`. */
function firstChunk(
  body: BodyQueue,
  timeoutMs: number,
  provider: string,
): Promise<IteratorResult<Uint8Array, undefined>> {
  if (timeoutMs <= 0) return body.next();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      const error = new TimeoutError(provider, 'first-byte');
      body.destroy(error);
      reject(error);
    }, timeoutMs);
    body.next().then(
      (result) => {
        clearTimeout(timer);
        resolve(result);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

function toBytes(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/**
 * Creates a provider for one OpenAI-compatible upstream.
 *
 * @example
 * const deepseek = createOpenAICompatible({
 *   name: 'deepseek', baseURL: 'https://api.deepseek.com', apiKey: env.DEEPSEEK_API_KEY,
 * });
 * const { stream, summary } = await deepseek('deepseek-v4-flash').doStream({ body });
 * @throws {TypeError} when `baseURL` is not an absolute http(s) URL.
 */
export function createOpenAICompatible(settings: OpenAICompatibleSettings): OpenAICompatibleProvider {
  const { name, apiKey } = settings;
  const url = chatCompletionsURL(settings.baseURL);
  const origin = url.origin;
  const path = `${url.pathname}${url.search}`;
  const connectTimeout = settings.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const firstByteTimeout = settings.firstByteTimeoutMs ?? DEFAULT_FIRST_BYTE_TIMEOUT_MS;
  const bodyTimeout = settings.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS;
  // The adapter returns the body itself (or one shallow copy for `model`) when the body has no
  // gateway-only field, so the common request costs one JSON.stringify, as before adapters.
  const adapter = settings.adapter ?? bodyAdapterFor('openai-compatible');
  const ownsDispatcher = settings.dispatcher === undefined;
  const dispatcher: Dispatcher =
    settings.dispatcher ??
    new Pool(origin, {
      connections: settings.connections ?? 256,
      pipelining: 1,
      keepAliveTimeout: 10_000,
      connect: { timeout: connectTimeout },
      headersTimeout: firstByteTimeout,
      bodyTimeout,
    });
  const fixedHeaders = { authorization: `Bearer ${apiKey ?? ''}`, 'content-type': 'application/json' };
  const extraHeaders = lowerCaseHeaders(settings.headers);
  // Built once: the hot path only builds a new object when a call brings its own headers.
  const baseHeaders: Readonly<Record<string, string>> = { ...extraHeaders, ...fixedHeaders };

  /** The headers of one call: built once, unless the call brings headers or its own credential. */
  function headersFor(options: CallOptions): Readonly<Record<string, string>> {
    const { credential } = options;
    if (credential === undefined) {
      return options.headers === undefined
        ? baseHeaders
        : { ...extraHeaders, ...lowerCaseHeaders(options.headers), ...fixedHeaders };
    }
    return {
      ...extraHeaders,
      ...lowerCaseHeaders(options.headers),
      authorization: `Bearer ${credential}`,
      'content-type': 'application/json',
    };
  }

  async function send(modelId: string, options: CallOptions): Promise<{ res: UpstreamResponse; started: number }> {
    const credential = options.credential;
    if (credential === undefined ? apiKey === undefined || apiKey === '' : credential === '')
      throw new ProviderUnavailableError(name, modelId);
    const started = performance.now();
    let res: UpstreamResponse;
    try {
      res = await callUpstream(
        dispatcher,
        {
          origin,
          path,
          method: 'POST',
          headers: headersFor(options),
          body: JSON.stringify(adapter(options.body, modelId)),
          headersTimeout: firstByteTimeout,
          bodyTimeout,
        },
        options.signal,
      );
    } catch (error) {
      throw toRouterError(error, name, options.signal);
    }
    if (res.statusCode < 200 || res.statusCode >= 300) {
      let body: Uint8Array;
      try {
        body = toBytes(await res.body.readAll(ERROR_BODY_CAP));
      } catch {
        // A broken error body still tells the status.
        body = new Uint8Array(0);
      }
      throw new UpstreamError({
        provider: name,
        modelId,
        statusCode: res.statusCode,
        body,
        contentType: rawHeader(res.rawHeaders, 'content-type'),
      });
    }
    return { res, started };
  }

  const provider = (modelId: string): ChatModelV1 => ({
    specificationVersion: 'v1',
    provider: name,
    modelId,

    async doGenerate(options: CallOptions): Promise<GenerateResult> {
      const { res, started } = await send(modelId, options);
      const ttfbMs = performance.now() - started;
      let body: Uint8Array;
      try {
        body = toBytes(await res.body.readAll());
      } catch (error) {
        throw toRouterError(error, name, options.signal);
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(utf8.decode(body));
      } catch {
        parsed = undefined; // relayed unchanged; only usage is unknown
      }
      return {
        status: res.statusCode,
        body,
        json: parsed,
        usage: readUsage(parsed),
        finishReason: readFinishReason(parsed),
        ttfbMs,
      };
    },

    async doStream(options: CallOptions): Promise<StreamResult> {
      const { res, started } = await send(modelId, options);
      const body = res.body;
      let first: IteratorResult<Uint8Array, undefined>;
      try {
        first = await firstChunk(body, firstByteTimeout, name);
      } catch (error) {
        body.destroy();
        throw toRouterError(error, name, options.signal);
      }
      if (first.done === true) {
        throw new NetworkError(name, new Error('the upstream closed the stream before sending any byte'));
      }
      const ttfbMs = performance.now() - started;
      const relay = relaySse(body, {
        provider: name,
        first: first.value,
        mapError: (error) => toRouterError(error, name, options.signal),
        hooks: options.hooks,
      });
      // Assign onto the relay (not a spread copy) so its lazy `stream` getter survives.
      return Object.assign(relay, { status: res.statusCode, ttfbMs });
    },
  });

  const close = async (): Promise<void> => {
    if (ownsDispatcher) await dispatcher.close();
  };
  // A function's own `name` is read-only for assignment but configurable, hence defineProperties.
  return Object.defineProperties(provider, {
    name: { value: name },
    url: { value: url },
    close: { value: close },
  }) as OpenAICompatibleProvider;
}
