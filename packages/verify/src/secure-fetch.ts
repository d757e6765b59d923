/**
 * `createSecureFetch`: verify first, then encrypt. It runs every `verifyGateway` check, reads
 * the gateway's EHBP key config and refuses unless its public key is the attested sealing key,
 * and only then returns a `fetch` that seals request bodies to that key and opens the answers
 * (streams included). Plug it into any client that takes a fetch: the openai SDK, the AI SDK.
 *
 * Replicas each hold their own sealing key: when a request lands on a replica that holds another
 * one (EHBP's 422 key-config answer), the gateway is verified again — which verifies the replica
 * that answers now — and the request is sent once more, sealed to its key. Sticky sessions avoid
 * the extra round.
 */
import {
  createEhbpFetch,
  EhbpKeyMismatchError,
  KEYS_MEDIA_TYPE,
  KEYS_PATH,
  parseKeyConfig,
  toHex,
  type HpkeSender,
} from '@saferouter/ehbp';
import type { GatewayVerification } from './checks.js';
import { VerifyError } from './errors.js';
import type { VerifyGatewayOptions } from './options.js';
import { assertGateway } from './verify-gateway.js';

export interface SecureFetchOptions extends VerifyGatewayOptions {
  /** Accept a mock (demo) gateway: for development only, it proves nothing about hardware. */
  readonly allowMock?: boolean;
  /**
   * HPKE's sender side (default: WebCrypto, browsers and Node). In Node, `nodeSender` from
   * `@saferouter/ehbp/server` seals ~10× faster.
   */
  readonly sender?: HpkeSender;
}

type Fetch = typeof globalThis.fetch;

/** Verifies the gateway and its key config; the fetch sealing to its attested key. */
async function establish(
  url: string,
  options: SecureFetchOptions,
): Promise<{ fetch: Fetch; result: GatewayVerification }> {
  const result = await assertGateway(url, options);
  const inner = options.fetch ?? globalThis.fetch.bind(globalThis);
  const base = result.gateway;
  const res = await inner(base + KEYS_PATH, { signal: AbortSignal.timeout(options.timeoutMs ?? 10_000) });
  const bytes = new Uint8Array(await res.arrayBuffer());
  const type = (res.headers.get('content-type') ?? '').split(';')[0]?.trim();
  if (!res.ok || type !== KEYS_MEDIA_TYPE)
    throw new VerifyError(
      'hpke-key',
      `${base + KEYS_PATH} answered HTTP ${res.status} (${type ?? 'no content type'}), not an EHBP key config`,
      result,
    );
  let publicKey: Uint8Array;
  try {
    publicKey = parseKeyConfig(bytes).publicKey;
  } catch (error) {
    throw new VerifyError('hpke-key', `${base + KEYS_PATH}: ${(error as Error).message}`, result);
  }
  if (result.sealingKey === undefined || toHex(publicKey) !== result.sealingKey)
    throw new VerifyError(
      'hpke-key',
      `the EHBP key the gateway serves (${toHex(publicKey).slice(0, 16)}…) is not the sealing key its attestation binds (${(result.sealingKey ?? '?').slice(0, 16)}…): refusing to send anything`,
      result,
    );
  return {
    fetch: createEhbpFetch(publicKey, {
      fetch: inner,
      ...(options.sender === undefined ? {} : { sender: options.sender }),
    }),
    result,
  };
}

/**
 * @example
 * const fetch = await createSecureFetch('https://router.example.com', { expectedMeasurement });
 * const openai = new OpenAI({ baseURL: 'https://router.example.com/v1', apiKey, fetch });
 * @throws {VerifyError} when a check fails, the gateway is a mock (without `allowMock`), or its
 *   EHBP key is not the attested one — before any request body is sent.
 */
export async function createSecureFetch(url: string, options: SecureFetchOptions = {}): Promise<Fetch> {
  let current = await establish(url, options);
  return async (input, init) => {
    // The body is read once, so the request can be sealed again after a key mismatch.
    const request = new Request(input, init);
    const body = request.body === null ? null : new Uint8Array(await request.arrayBuffer());
    const send = (fetch: Fetch): Promise<Response> =>
      fetch(new Request(request, { body: body as Uint8Array<ArrayBuffer> | null }));
    try {
      return await send(current.fetch);
    } catch (error) {
      if (!(error instanceof EhbpKeyMismatchError)) throw error;
      current = await establish(url, options);
      return send(current.fetch);
    }
  };
}
