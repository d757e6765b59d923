/**
 * A `TileFetch` over HTTP(S) with the platform's `fetch` (browsers and Node 18+), for reading a
 * tiled log from its URL prefix. 404 and 410 mean "absent" (null); any other failure throws.
 * Responses are bounded by size so a hostile server cannot hand out unbounded bodies.
 */
import { TlogError } from '../errors.js';
import { assertFunction, assertIntegerInRange, assertString } from '../validate.js';
import type { TileFetch } from './storage-fetch.js';

/** Largest response accepted by default: a full bundle of maximum-size entries (256 × 65,537 bytes). */
export const DEFAULT_MAX_RESPONSE_BYTES = 256 * 65_537;

export interface HttpTileFetchOptions {
  /** Defaults to `globalThis.fetch`. */
  readonly fetch?: (url: string, init?: RequestInit) => Promise<Response>;
  readonly maxResponseBytes?: number;
}

/**
 * @example
 * const fetchTile = createHttpTileFetch('https://log.example.com/tevere/');
 * await verifyTileLog({ fetch: fetchTile, verifier });
 * @throws {TypeError} when `prefix` is not a string or `options.fetch` not a function.
 * @throws {RangeError} when `prefix` is not an http(s) URL.
 */
export function createHttpTileFetch(prefix: string, options: HttpTileFetchOptions = {}): TileFetch {
  assertString(prefix, 'prefix', 1, 4096);
  if (!/^https?:\/\//i.test(prefix)) throw new RangeError('prefix must be an http:// or https:// URL');
  const base = prefix.endsWith('/') ? prefix : `${prefix}/`;
  const fetchImpl = options.fetch ?? globalThis.fetch;
  assertFunction(fetchImpl, 'options.fetch');
  const max = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  assertIntegerInRange(max, 'options.maxResponseBytes', 1, 2 ** 31);
  return async (path) => {
    const url = base + path;
    const response = await fetchImpl(url, { headers: { accept: 'application/octet-stream, text/plain' } });
    if (response.status === 404 || response.status === 410) return null;
    if (!response.ok) throw new TlogError('missing', `GET ${url} answered ${response.status}`);
    const declared = Number(response.headers.get('content-length') ?? '0');
    if (declared > max) throw new TlogError('malformed', `GET ${url} is larger than ${max} bytes`);
    const body = new Uint8Array(await response.arrayBuffer());
    if (body.length > max) throw new TlogError('malformed', `GET ${url} is larger than ${max} bytes`);
    return body;
  };
}
