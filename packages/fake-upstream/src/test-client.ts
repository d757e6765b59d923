/**
 * Test-only helpers: a fetch-based client and a strict SSE parser. The parser is deliberately
 * independent of the fake's own serializer, so the tests check the wire, not the code under test.
 */

export const AUTH = { authorization: 'Bearer sk-test-upstream' } as const;
export const HELLO = [{ role: 'user', content: 'Say hello' }];

export interface ChatOptions {
  auth?: boolean;
  signal?: AbortSignal;
  path?: string;
}

/** POST a chat completion; `body` is sent as JSON unless it already is a string. */
export function chat(baseUrl: string, body: unknown, opts: ChatOptions = {}): Promise<Response> {
  const init: RequestInit = {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(opts.auth === false ? {} : AUTH) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  };
  if (opts.signal !== undefined) init.signal = opts.signal;
  return fetch(`${baseUrl}${opts.path ?? '/v1/chat/completions'}`, init);
}

export type SseItem = { kind: 'data'; data: string } | { kind: 'comment'; text: string };

/**
 * Parse a complete SSE text. Every event must be terminated by a blank line; anything else is a
 * format error, which is exactly what a sloppy fake would produce.
 * @throws Error on a line that is neither `data: …` nor a `:` comment, or on a trailing partial event.
 */
export function parseSse(text: string): SseItem[] {
  const items: SseItem[] = [];
  if (text.length === 0) return items;
  if (!text.endsWith('\n\n'))
    throw new Error(`SSE text does not end with a blank line: ${JSON.stringify(text.slice(-80))}`);
  for (const block of text.slice(0, -2).split('\n\n')) {
    const lines = block.split('\n');
    if (lines.length !== 1) throw new Error(`multi-line SSE event: ${JSON.stringify(block)}`);
    const line = lines[0] ?? '';
    if (line.startsWith('data: ')) items.push({ kind: 'data', data: line.slice(6) });
    else if (line.startsWith(':')) items.push({ kind: 'comment', text: line.slice(1).trim() });
    else throw new Error(`unexpected SSE line: ${JSON.stringify(line)}`);
  }
  return items;
}

/** The JSON payloads of the data events, up to but excluding `[DONE]`. */
export function chunksOf(items: SseItem[]): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const it of items) {
    if (it.kind !== 'data' || it.data === '[DONE]') continue;
    out.push(JSON.parse(it.data) as Record<string, unknown>);
  }
  return out;
}

/** The first choice's delta of a chunk (undefined for the usage chunk). */
export function deltaOf(chunk: Record<string, unknown>): Record<string, unknown> | undefined {
  const choices = chunk['choices'] as { delta: Record<string, unknown> }[];
  return choices[0]?.delta;
}

export interface StreamRead {
  text: string;
  /** Set when the body ended with an error (e.g. the server killed the socket mid-stream). */
  error: unknown;
  /** Milliseconds from the call to each received piece, with its text. */
  pieces: { at: number; text: string }[];
}

/** Read a response body to its end, keeping what arrived before a failure and when it arrived. */
export async function readAll(res: Response, startedAt = performance.now()): Promise<StreamRead> {
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  const pieces: StreamRead['pieces'] = [];
  let text = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const piece = decoder.decode(value, { stream: true });
      pieces.push({ at: performance.now() - startedAt, text: piece });
      text += piece;
    }
    return { text, error: undefined, pieces };
  } catch (error) {
    return { text, error, pieces };
  }
}
