/**
 * A tampering proxy for verifier tests: forwards every request to a live gateway and lets a test
 * rewrite, replace or delay any answer on its way back, or record answers to replay later. CORS
 * headers and preflights pass through untouched, so a page on another origin can use it like the
 * gateway.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ProxiedResponse {
  status: number;
  headers: Record<string, string>;
  body: Uint8Array;
}

/** Returns a replacement answer, or undefined to pass the gateway's through. */
export type Tamper = (
  request: { method: string; path: string },
  response: ProxiedResponse,
) => ProxiedResponse | undefined | Promise<ProxiedResponse | undefined>;

export interface TamperProxy {
  readonly url: string;
  /** The gateway requests are forwarded to (settable: a restarted gateway may move). */
  target: string;
  /** The current tamper (undefined: pass through). */
  tamper: Tamper | undefined;
  /** Every answer served, by method and path (query included), the latest kept. */
  readonly recorded: Map<string, ProxiedResponse>;
  /** Every request line, and every body that crossed the proxy (requests and answers), in order. */
  readonly wire: { method: string; path: string; request: Uint8Array; response: Uint8Array }[];
  close(): Promise<void>;
}

const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'content-encoding', 'host']);

async function body(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export const json = (value: unknown, status = 200): ProxiedResponse => ({
  status,
  headers: { 'content-type': 'application/json', 'access-control-allow-origin': '*' },
  body: new TextEncoder().encode(JSON.stringify(value)),
});

export const text = (value: string | Uint8Array, contentType = 'text/plain', status = 200): ProxiedResponse => ({
  status,
  headers: { 'content-type': contentType, 'access-control-allow-origin': '*' },
  body: typeof value === 'string' ? new TextEncoder().encode(value) : value,
});

export const parseJson = <T>(response: ProxiedResponse): T => JSON.parse(new TextDecoder().decode(response.body)) as T;

export async function startTamperProxy(target: string): Promise<TamperProxy> {
  const state: TamperProxy = {
    url: '',
    target,
    tamper: undefined,
    recorded: new Map(),
    wire: [],
    close: async () => undefined,
  };
  const server: Server = createServer((req, res) => {
    void (async () => {
      const path = req.url ?? '/';
      const method = req.method ?? 'GET';
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (!HOP.has(k) && typeof v === 'string') headers[k] = v;
      const payload = method === 'GET' || method === 'HEAD' ? undefined : await body(req);
      let answer: ProxiedResponse;
      try {
        const upstream = await fetch(state.target + path, {
          method,
          headers,
          ...(payload === undefined ? {} : { body: new Uint8Array(payload) }),
        });
        const out: Record<string, string> = {};
        upstream.headers.forEach((v, k) => {
          if (!HOP.has(k)) out[k] = v;
        });
        answer = { status: upstream.status, headers: out, body: new Uint8Array(await upstream.arrayBuffer()) };
      } catch (error) {
        answer = json({ error: { message: `proxy: ${(error as Error).message}` } }, 502);
      }
      // CORS preflights always pass through: the tampering is in the answers, not in the browser's permission.
      const replaced =
        state.tamper === undefined || method === 'OPTIONS' ? undefined : await state.tamper({ method, path }, answer);
      const served = replaced ?? answer;
      state.recorded.set(`${method} ${path}`, served);
      state.wire.push({ method, path, request: new Uint8Array(payload ?? new Uint8Array(0)), response: served.body });
      res.writeHead(served.status, { ...served.headers, 'content-length': String(served.body.length) });
      res.end(served.body);
    })().catch((error: unknown) => {
      res.destroy(error instanceof Error ? error : new Error(String(error)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  Object.assign(state, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
  return state;
}
