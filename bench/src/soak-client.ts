/**
 * One request of the soak, sent and judged: every answer is sorted into a kind, either one the
 * operation expects (an answer, a fallback, a client disconnect, a 402 / 429 / 401 refusal with the
 * right error code) or an unexpected one (any other status, a 5xx, a connection error, a timeout,
 * a reply that is not the JSON or the SSE stream it claims to be). The kinds are the report's
 * "errors by kind"; the request ids are what the books (soak-books.ts) are checked against.
 */

/** What an operation may legitimately get back. */
export type ExpectedKind = 'ok' | 'fallback' | 'disconnect' | 'refused-402' | 'refused-429' | 'revoked-401';

export type UnexpectedKind =
  | 'http-5xx'
  | 'http-unexpected'
  | 'wrong-error-code'
  | 'no-fallback'
  | 'connection'
  | 'timeout'
  | 'malformed-json'
  | 'malformed-stream'
  | 'no-request-id';

export type Kind = ExpectedKind | UnexpectedKind;

export const EXPECTED_KINDS: readonly ExpectedKind[] = [
  'ok',
  'fallback',
  'disconnect',
  'refused-402',
  'refused-429',
  'revoked-401',
];

export function isExpected(kind: Kind): kind is ExpectedKind {
  return (EXPECTED_KINDS as readonly string[]).includes(kind);
}

export interface Outcome {
  /** The operation of the mix that sent it (`chat`, `stream`, `fallback`, …, or `admin`). */
  op: string;
  kind: Kind;
  /** The key that was used (admin calls: `admin`). */
  keyId: string;
  /** The gateway's `X-Request-Id`, when an answer came. */
  requestId: string | undefined;
  status: number | undefined;
  /** For unexpected kinds: what went wrong, with a snippet of the answer. */
  detail: string | undefined;
}

export interface SendSpec {
  op: string;
  baseUrl: string;
  keyId: string;
  secret: string;
  path: '/v1/chat/completions' | '/v1/responses';
  body: Record<string, unknown>;
  /** HTTP statuses the operation accepts (200 answers, and the refusals it provokes). */
  accept: readonly number[];
  /** Read the first body chunk of a 200 stream, then drop the connection. */
  disconnectAfterFirstChunk?: boolean;
  /** A 200 must say it was answered by this fallback model (`x-saferouter-fallback-to`). */
  fallbackTo?: string;
  timeoutMs: number;
}

/** The error code each refusal must carry (OpenAI's error shape, `error.code`). */
const REFUSAL: Record<number, { kind: ExpectedKind; code: RegExp }> = {
  401: { kind: 'revoked-401', code: /^invalid_api_key$/ },
  402: { kind: 'refused-402', code: /^insufficient_credits$/ },
  429: { kind: 'refused-429', code: /^rate_limit_(rpm|concurrency)$/ },
};

const snippet = (text: string): string => (text.length > 300 ? `${text.slice(0, 300)}…` : text);

/**
 * Sends one request and sorts the answer. Never throws: a failure is an outcome.
 *
 * @example
 * const o = await send({ op: 'chat', baseUrl, keyId, secret, path: '/v1/chat/completions',
 *   body: { model: 'soak-main', messages }, accept: [200], timeoutMs: 30_000 });
 */
export async function send(spec: SendSpec): Promise<Outcome> {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, spec.timeoutMs);
  const out = (kind: Kind, requestId?: string, status?: number, detail?: string): Outcome => ({
    op: spec.op,
    kind,
    keyId: spec.keyId,
    requestId,
    status,
    detail: detail === undefined ? undefined : snippet(detail),
  });
  let requestId: string | undefined;
  let status: number | undefined;
  try {
    const res = await fetch(`${spec.baseUrl}${spec.path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${spec.secret}`, 'content-type': 'application/json' },
      body: JSON.stringify(spec.body),
      signal: controller.signal,
    });
    status = res.status;
    requestId = res.headers.get('x-request-id') ?? undefined;
    if (requestId === undefined) {
      await res.body?.cancel();
      return out('no-request-id', undefined, status, `${spec.path} answered ${status} without X-Request-Id`);
    }
    if (!spec.accept.includes(status)) {
      const text = await res.text();
      return out(status >= 500 ? 'http-5xx' : 'http-unexpected', requestId, status, `${status} ${text}`);
    }
    if (status !== 200) {
      const text = await res.text();
      const refusal = REFUSAL[status];
      const code = errorCodeOf(text);
      if (refusal === undefined || code === undefined || !refusal.code.test(code))
        return out('wrong-error-code', requestId, status, `${status} ${text}`);
      return out(refusal.kind, requestId, status);
    }
    if (spec.fallbackTo !== undefined) {
      const to = res.headers.get('x-saferouter-fallback-to');
      if (to !== spec.fallbackTo) {
        await res.body?.cancel();
        return out('no-fallback', requestId, status, `x-saferouter-fallback-to: ${String(to)}`);
      }
    }
    const stream = spec.body['stream'] === true;
    if (stream && spec.disconnectAfterFirstChunk === true) {
      const reader = res.body?.getReader();
      const first = await reader?.read();
      if (first === undefined || first.done) return out('malformed-stream', requestId, status, 'empty stream');
      controller.abort(); // drops the connection: the gateway sees the client leave mid-stream
      await reader?.cancel().catch(() => undefined);
      return out('disconnect', requestId, status);
    }
    const text = await res.text();
    const problem = stream
      ? spec.path === '/v1/responses'
        ? responsesStreamProblem(text)
        : chatStreamProblem(text)
      : jsonProblem(text, spec.path);
    if (problem !== undefined)
      return out(stream ? 'malformed-stream' : 'malformed-json', requestId, status, `${problem}: ${text}`);
    return out(spec.fallbackTo === undefined ? 'ok' : 'fallback', requestId, status);
  } catch (e) {
    if (timedOut) return out('timeout', requestId, status, `no complete answer within ${spec.timeoutMs} ms`);
    const cause = (e as { cause?: { code?: unknown; message?: unknown } }).cause;
    const detail = [e instanceof Error ? e.message : String(e), cause?.code, cause?.message]
      .filter((x) => x !== undefined)
      .join(' / ');
    return out('connection', requestId, status, detail);
  } finally {
    clearTimeout(timer);
  }
}

function errorCodeOf(text: string): string | undefined {
  try {
    const code = (JSON.parse(text) as { error?: { code?: unknown } }).error?.code;
    return typeof code === 'string' ? code : undefined;
  } catch {
    return undefined;
  }
}

function jsonProblem(text: string, path: SendSpec['path']): string | undefined {
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return 'not JSON';
  }
  if (path === '/v1/responses')
    return body['object'] === 'response' && body['status'] === 'completed' ? undefined : 'not a completed response';
  const choices = body['choices'];
  return body['object'] === 'chat.completion' && Array.isArray(choices) && choices.length > 0
    ? undefined
    : 'not a chat.completion';
}

/** The `data:` payloads of an SSE body, in order (comments and `event:` lines skipped). */
function dataLines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .filter((l) => l.startsWith('data:'))
    .map((l) => l.slice(5).trim());
}

/** A chat stream: JSON chunks with `choices` (or a usage chunk), no error event, `[DONE]` last. */
function chatStreamProblem(text: string): string | undefined {
  const data = dataLines(text);
  if (data.at(-1) !== '[DONE]') return 'does not end in data: [DONE]';
  if (data.filter((d) => d === '[DONE]').length !== 1) return 'more than one [DONE]';
  for (const d of data.slice(0, -1)) {
    let chunk: Record<string, unknown>;
    try {
      chunk = JSON.parse(d) as Record<string, unknown>;
    } catch {
      return 'a data line is not JSON';
    }
    if (chunk['error'] !== undefined) return 'an error event';
    if (!Array.isArray(chunk['choices'])) return 'a chunk without choices';
  }
  return data.length > 1 ? undefined : 'no chunks';
}

/** A Responses stream: JSON events, the last one `response.completed`. */
function responsesStreamProblem(text: string): string | undefined {
  const types: unknown[] = [];
  for (const d of dataLines(text)) {
    if (d === '[DONE]') continue;
    try {
      types.push((JSON.parse(d) as { type?: unknown }).type);
    } catch {
      return 'a data line is not JSON';
    }
  }
  if (types.includes('error') || types.includes('response.failed')) return 'an error event';
  return types.at(-1) === 'response.completed' ? undefined : 'does not end in response.completed';
}
