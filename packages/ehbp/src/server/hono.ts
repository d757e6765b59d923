/**
 * EHBP for a Hono app. `ehbp()` opens a request carrying `Ehbp-Encapsulated-Key` before any
 * handler runs (fail closed), leaves the opened body in `c.var.ehbp.body`, and seals whatever
 * response the app produces, stream or not, one frame per write. A handler that writes straight
 * to the Node response (the gateway's fast paths) seals with `c.var.ehbp.seal` itself; the
 * middleware leaves such an already-sent response alone. Requests without the header pass
 * through untouched, and their answers carry no EHBP header.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { encodeKeyConfig } from '../key-config.js';
import { ENCAPSULATED_KEY_HEADER, KEYS_MEDIA_TYPE, PROBLEM_MEDIA_TYPE, RESPONSE_NONCE_HEADER } from '../protocol.js';
import { EhbpRequestError, openRequest, type EhbpSession, type OpenRequestOptions } from './session.js';

export interface EhbpMiddlewareOptions extends OpenRequestOptions {
  /** Reads the sealed request body, bounded (default: `c.req.arrayBuffer()`, refused past 2 × maxBodyBytes). */
  readonly readBody?: (c: Context) => Promise<Uint8Array>;
  /**
   * Reads one request header by lower-case name (default `c.req.header`). It runs on every
   * request the middleware sees, sealed or not: a server with a cheaper header read passes it.
   */
  readonly readHeader?: (c: Context, name: Lowercase<string>) => string | undefined;
}

/** `@hono/node-server` marks a response its handler already wrote to the socket with this header. */
const ALREADY_SENT = 'x-hono-already-sent';

/**
 * Seals a web `Response` for `session`: every body chunk becomes one frame, sent as it comes.
 *
 * @example
 * c.res = sealResponse(c.res, c.var.ehbp);
 */
export function sealResponse(response: Response, session: EhbpSession): Response {
  const headers = new Headers(response.headers);
  headers.delete('content-length');
  headers.set(RESPONSE_NONCE_HEADER, session.responseNonce);
  const body =
    response.body === null
      ? null
      : response.body.pipeThrough(
          new TransformStream<Uint8Array, Uint8Array>({
            transform(chunk, controller) {
              const sealed = session.seal(chunk);
              if (sealed.length > 0) controller.enqueue(sealed);
            },
          }),
        );
  return new Response(body, { status: response.status, statusText: response.statusText, headers });
}

function problem(c: Context, error: EhbpRequestError): Response {
  return c.body(JSON.stringify(error.problem), error.status, { 'content-type': PROBLEM_MEDIA_TYPE });
}

/**
 * @example
 * app.use('/v1/*', ehbp({ keyPair, replay: memoryReplayGuard(), maxBodyBytes: 4 << 20 }));
 * app.post('/v1/echo', (c) => c.body(c.var.ehbp?.body ?? ...));
 */
export function ehbp(options: EhbpMiddlewareOptions): MiddlewareHandler<{ Variables: { ehbp?: EhbpSession } }> {
  const readBody =
    options.readBody ??
    (async (c: Context): Promise<Uint8Array> => {
      const body = new Uint8Array(await c.req.arrayBuffer());
      if (body.length > 2 * options.maxBodyBytes)
        throw new EhbpRequestError(400, 'the encrypted request body is too large');
      return body;
    });
  const readHeader = options.readHeader ?? ((c: Context, name: string) => c.req.header(name));
  const headerName = ENCAPSULATED_KEY_HEADER.toLowerCase() as Lowercase<string>;
  return async (c, next) => {
    const encHeader = readHeader(c, headerName);
    if (encHeader === undefined) return next();
    let session: EhbpSession;
    try {
      session = await openRequest(encHeader, await readBody(c), options);
    } catch (error) {
      if (error instanceof EhbpRequestError) return problem(c, error);
      throw error;
    }
    c.set('ehbp', session);
    await next();
    if (c.res.headers.get(ALREADY_SENT) === null) c.res = sealResponse(c.res, session);
  };
}

/**
 * `GET /.well-known/hpke-keys`: the key config of `publicKey`, CORS-open.
 *
 * @example
 * app.get('/.well-known/hpke-keys', hpkeKeysHandler(sealingPublicKey));
 */
export function hpkeKeysHandler(publicKey: Uint8Array): (c: Context) => Response {
  const body = encodeKeyConfig(publicKey);
  return (c) =>
    c.body(body as Uint8Array<ArrayBuffer>, 200, {
      'content-type': KEYS_MEDIA_TYPE,
      'access-control-allow-origin': '*',
      'cache-control': 'no-cache',
    });
}
