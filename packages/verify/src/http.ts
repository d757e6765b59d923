/**
 * Requests to the gateway, and only to it: each with a timeout that covers the body too, and a
 * size bound, so a gateway that is down, slow, answers HTML or hands out a huge body fails the
 * check that asked, with a sentence saying which, instead of hanging or exhausting memory.
 */

/** Largest JSON answer read (an attestation bundle with its certificate chain is ~10 KiB). */
export const MAX_JSON_BYTES = 1024 * 1024;

export interface Http {
  /** The gateway URL, no trailing slash. */
  readonly base: string;
  /** The fetch every request goes through: timeout applied (tile reads use it too). */
  readonly fetch: typeof globalThis.fetch;
  /** @param headers extra request headers (`authorization` for the caller's own endpoints). */
  getJson(path: string, headers?: Record<string, string>): Promise<unknown>;
  postJson(path: string, body: unknown, headers?: Record<string, string>): Promise<unknown>;
  /** `null` on 404. */
  getText(path: string): Promise<string | null>;
}

/** The gateway could not be reached, or did not answer in time: nothing it said was judged. */
export class UnreachableError extends Error {
  override readonly name = 'UnreachableError';
}

/** The gateway answered a status outside 2xx; `message` carries its own (OpenAI-shaped) error message. */
export class HttpStatusError extends Error {
  override readonly name = 'HttpStatusError';
  readonly status: number;

  constructor(message: string, status: number) {
    super(message);
    this.status = status;
  }
}

function describe(error: unknown, url: string, timeoutMs: number): string {
  const e = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return `${url} did not answer within ${timeoutMs} ms`;
  const cause = e?.cause?.code ?? e?.cause?.message;
  return `${url} could not be reached (${e?.message ?? String(error)}${cause === undefined ? '' : `: ${cause}`})`;
}

async function readBounded(response: Response, url: string, max: number): Promise<Uint8Array> {
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > max) throw new Error(`${url} answered ${declared} bytes, more than the ${max} accepted`);
  if (response.body === null) return new Uint8Array(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > max) {
      await reader.cancel().catch(() => undefined);
      throw new Error(`${url} answered more than the ${max} bytes accepted`);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.length;
  }
  return out;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** The gateway's own error message, when it answered in OpenAI's error shape. */
function errorMessage(text: string): string {
  try {
    const body = JSON.parse(text) as { error?: { message?: unknown } };
    if (typeof body.error?.message === 'string') return `: ${body.error.message.slice(0, 300)}`;
  } catch {
    // not JSON: fall through
  }
  return '';
}

/** @param base the gateway URL, no trailing slash */
export function createHttp(base: string, timeoutMs: number, fetchImpl: typeof globalThis.fetch): Http {
  const timed: typeof globalThis.fetch = async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    try {
      return await fetchImpl(input, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      throw new UnreachableError(describe(error, url, timeoutMs));
    }
  };

  const text = async (path: string, init: RequestInit | undefined, allow404: boolean): Promise<string | null> => {
    const url = base + path;
    const response = await timed(url, init);
    let bytes: Uint8Array;
    try {
      bytes = await readBounded(response, url, MAX_JSON_BYTES);
    } catch (error) {
      const name = (error as { name?: string } | null)?.name;
      if (name === 'TimeoutError' || name === 'AbortError') throw new UnreachableError(describe(error, url, timeoutMs));
      throw error;
    }
    let body: string;
    try {
      body = decoder.decode(bytes);
    } catch {
      throw new Error(`${url} answered bytes that are not UTF-8 text`);
    }
    if (allow404 && response.status === 404) return null;
    if (!response.ok)
      throw new HttpStatusError(`${url} answered HTTP ${response.status}${errorMessage(body)}`, response.status);
    return body;
  };

  const json = async (path: string, init?: RequestInit): Promise<unknown> => {
    const body = (await text(path, init, false)) ?? '';
    try {
      return JSON.parse(body) as unknown;
    } catch {
      const start = body.trimStart().slice(0, 40).replace(/\s+/g, ' ');
      throw new Error(`${base + path} did not answer JSON (it begins ${JSON.stringify(start)})`);
    }
  };

  return {
    base,
    fetch: timed,
    getJson: (path, headers) => json(path, { headers: { ...headers, accept: 'application/json' } }),
    postJson: (path, body, headers) =>
      json(path, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(body),
      }),
    getText: (path) => text(path, { headers: { accept: 'text/plain' } }, true),
  };
}
