/**
 * The EHBP client as a `fetch`: a request with a body is sealed to the server's public key (HPKE
 * SetupBaseS, info "ehbp request", the body as one frame), sent with `Ehbp-Encapsulated-Key`; the
 * answer is opened chunk by chunk as it streams, under keys derived from the same context and the
 * `Ehbp-Response-Nonce`. Bodyless requests pass through in the clear (the spec's rule). Fails
 * closed: a 2xx answer without a valid nonce, or any chunk that does not authenticate, is an
 * error, never plaintext; a non-2xx answer without a nonce (an intermediary's) passes through as
 * unauthenticated. Browser-safe: WebCrypto only.
 */
import { EhbpError, EhbpKeyMismatchError } from './errors.js';
import { frame, FrameReader } from './framing.js';
import { fromHex, toHex } from './hex.js';
import {
  ENCAPSULATED_KEY_HEADER,
  EXPORT_LABEL,
  KEY_CONFIG_PROBLEM_TYPE,
  KEY_LENGTH,
  PROBLEM_MEDIA_TYPE,
  RESPONSE_NONCE_HEADER,
  RESPONSE_NONCE_LENGTH,
  TAG_LENGTH,
} from './protocol.js';
import { chunkNonce, deriveResponseKeys } from './response-keys.js';
import { requestInfo, suite } from './suite.js';

const exportLabel = new TextEncoder().encode(EXPORT_LABEL);

/** HPKE SetupBaseS for EHBP's suite: the encapsulated key and the sender context. */
export type HpkeSender = (
  publicKey: Uint8Array,
  info: Uint8Array,
) => Promise<{
  enc: Uint8Array;
  seal(plaintext: Uint8Array): Promise<Uint8Array>;
  export(label: Uint8Array, length: number): Promise<Uint8Array>;
}>;

/** @hpke/core on WebCrypto: browsers and Node. */
export const webCryptoSender: HpkeSender = async (publicKey, info) => {
  const context = await suite.createSenderContext({
    recipientPublicKey: await suite.kem.deserializePublicKey(publicKey.slice()),
    info,
  });
  return {
    enc: new Uint8Array(context.enc),
    seal: async (pt) => new Uint8Array(await context.seal(pt)),
    export: async (label, length) => new Uint8Array(await context.export(label, length)),
  };
};

export interface EhbpFetchOptions {
  /** HPKE's sender side (default `webCryptoSender`; in Node, `nodeSender` from `@saferouter/ehbp/server` is ~20× faster). */
  readonly sender?: HpkeSender;
  /** The fetch that carries the sealed request (default `globalThis.fetch`). */
  readonly fetch?: typeof globalThis.fetch;
  /** The largest response frame accepted (default 16 MiB). */
  readonly maxFrameBytes?: number;
}

type Fetch = typeof globalThis.fetch;
type CryptoKey = Awaited<ReturnType<typeof globalThis.crypto.subtle.importKey>>;

async function bodyOf(request: Request): Promise<Uint8Array> {
  return new Uint8Array(await request.arrayBuffer());
}

function openStream(
  body: ReadableStream<Uint8Array>,
  key: CryptoKey,
  nonceBase: Uint8Array,
  maxFrame: number,
): ReadableStream<Uint8Array> {
  const reader = new FrameReader(maxFrame + TAG_LENGTH);
  let seq = 0;
  const open = async (ct: Uint8Array): Promise<Uint8Array> => {
    try {
      const iv = chunkNonce(nonceBase, seq++);
      return new Uint8Array(
        await globalThis.crypto.subtle.decrypt(
          { name: 'AES-GCM', iv: iv as Uint8Array<ArrayBuffer> },
          key,
          ct as Uint8Array<ArrayBuffer>,
        ),
      );
    } catch {
      throw new EhbpError('an encrypted response chunk did not authenticate');
    }
  };
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      async transform(bytes, controller) {
        for (const ct of reader.push(bytes)) controller.enqueue(await open(ct));
      },
      flush() {
        if (!reader.complete) throw new EhbpError('the encrypted response ended inside a frame');
      },
    }),
  );
}

async function isKeyMismatch(response: Response): Promise<boolean> {
  if (response.status !== 422) return false;
  const type = (response.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== PROBLEM_MEDIA_TYPE) return false;
  try {
    const problem = (await response.clone().json()) as { type?: unknown };
    return problem.type === KEY_CONFIG_PROBLEM_TYPE;
  } catch {
    return false;
  }
}

/**
 * A `fetch` that speaks EHBP to the server whose X25519 public key is `publicKey` (check it
 * against an attestation first: `createSecureFetch` in @saferouter/verify does).
 *
 * @example
 * const fetch = createEhbpFetch(publicKey);
 * const res = await fetch('https://gw.example/v1/chat/completions', { method: 'POST', body, headers });
 * @throws {EhbpKeyMismatchError} (from the returned fetch) on the server's 422 key-config answer.
 * @throws {EhbpError} (from the returned fetch, or while reading the body) when the answer cannot be authenticated.
 */
export function createEhbpFetch(publicKey: Uint8Array, options: EhbpFetchOptions = {}): Fetch {
  const inner: Fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const maxFrame = options.maxFrameBytes ?? 16 * 1024 * 1024;
  const sender = options.sender ?? webCryptoSender;

  return async (input, init) => {
    const request = new Request(input, init);
    const body = request.body === null ? new Uint8Array(0) : await bodyOf(request);
    if (body.length === 0) return inner(new Request(request, { body: null }));

    const context = await sender(publicKey, requestInfo);
    const enc = context.enc;
    const sealed = frame(await context.seal(body));
    const secret = await context.export(exportLabel, KEY_LENGTH);
    const headers = new Headers(request.headers);
    headers.set(ENCAPSULATED_KEY_HEADER, toHex(enc));
    headers.delete('content-length');
    const response = await inner(request.url, {
      method: request.method,
      headers,
      body: sealed as Uint8Array<ArrayBuffer>,
      signal: request.signal,
      redirect: request.redirect,
      credentials: request.credentials,
    });

    if (await isKeyMismatch(response)) {
      await response.body?.cancel().catch(() => undefined);
      throw new EhbpKeyMismatchError(
        'the server does not hold the key this request was sealed to (EHBP 422 key-config)',
      );
    }
    const nonceHex = response.headers.get(RESPONSE_NONCE_HEADER);
    if (nonceHex === null) {
      if (response.ok) {
        await response.body?.cancel().catch(() => undefined);
        throw new EhbpError(
          `a ${response.status} answer to a sealed request has no ${RESPONSE_NONCE_HEADER}: refusing unauthenticated plaintext`,
        );
      }
      return response; // an intermediary's error: unauthenticated, passed through as the spec allows
    }
    const nonce = fromHex(nonceHex, RESPONSE_NONCE_LENGTH);
    if (nonce === undefined) {
      await response.body?.cancel().catch(() => undefined);
      throw new EhbpError(`${RESPONSE_NONCE_HEADER} is not ${RESPONSE_NONCE_LENGTH} bytes of hex`);
    }
    const keys = deriveResponseKeys(secret, enc, nonce);
    const key = await globalThis.crypto.subtle.importKey('raw', keys.key as Uint8Array<ArrayBuffer>, 'AES-GCM', false, [
      'decrypt',
    ]);
    const plain = response.body === null ? null : openStream(response.body, key, keys.nonceBase, maxFrame);
    const out = new Headers(response.headers);
    out.delete('content-length');
    return new Response(plain, { status: response.status, statusText: response.statusText, headers: out });
  };
}
