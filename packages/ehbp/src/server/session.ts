/**
 * The server side of one EHBP exchange, framework-free: open a sealed request body with the
 * server's X25519 key pair (HPKE SetupBaseR, info "ehbp request"), refuse a replayed
 * encapsulated key, and seal the response chunk by chunk with node:crypto AES-256-GCM under keys
 * derived from the same context (synchronous, so a streamed token costs microseconds).
 *
 * Failure statuses follow the spec: 400 for a malformed header or body, a frame that does not
 * authenticate, bad framing or a replay; 422 (key-config problem) when not even the first frame
 * opens with this server's key — the answer a client gets from a replica holding another key, or
 * after a key rotation. The messages never say which cryptographic step failed.
 */
import { createCipheriv, randomBytes } from 'node:crypto';
import { frame, FrameReader } from '../framing.js';
import { fromHex, toHex } from '../hex.js';
import {
  ENC_LENGTH,
  EXPORT_LABEL,
  KEY_CONFIG_PROBLEM_TYPE,
  KEY_LENGTH,
  REQUEST_INFO,
  RESPONSE_NONCE_LENGTH,
  TAG_LENGTH,
} from '../protocol.js';
import { chunkNonce, deriveResponseKeys } from '../response-keys.js';
import { hmac, setupRecipient, type HpkeContext } from './hpke-node.js';

const requestInfo = new TextEncoder().encode(REQUEST_INFO);
const exportLabel = new TextEncoder().encode(EXPORT_LABEL);

/** Remembers encapsulated keys for a while: `claim` is true the first time only. */
export interface ReplayGuard {
  claim(enc: string, ttlMs: number): Promise<boolean>;
}

/** An EHBP failure: the status and the problem document to answer with. */
export class EhbpRequestError extends Error {
  override readonly name = 'EhbpRequestError';
  readonly status: 400 | 422;
  readonly problem: { type: string; title: string };

  constructor(status: 400 | 422, title: string) {
    super(title);
    this.status = status;
    this.problem = { type: status === 422 ? KEY_CONFIG_PROBLEM_TYPE : 'about:blank', title };
  }
}

export interface EhbpSession {
  /** The request body, opened. */
  readonly body: Uint8Array;
  /** `Ehbp-Response-Nonce` for the answer (64 hex). */
  readonly responseNonce: string;
  /** Seals one response write as one frame (`LEN ‖ CIPHERTEXT`); empty writes give an empty array. */
  seal(plaintext: Uint8Array): Uint8Array;
}

export interface OpenRequestOptions {
  /** X25519 of the server's private key with a peer public key (the key itself stays with its owner). */
  readonly dh: (peer: Uint8Array) => Uint8Array;
  /** The server's X25519 public key (32 bytes), the one its key config serves. */
  readonly publicKey: Uint8Array;
  readonly replay: ReplayGuard;
  /** How long an encapsulated key is refused again (default 10 minutes). */
  readonly replayWindowMs?: number;
  /** The largest opened body (and frame) accepted. */
  readonly maxBodyBytes: number;
}

export const REPLAY_WINDOW_MS = 10 * 60 * 1000;

/**
 * @param encHeader the `Ehbp-Encapsulated-Key` value
 * @param sealed the request body as received (framed ciphertext)
 * @throws {EhbpRequestError} 400 or 422 as above.
 */
export async function openRequest(
  encHeader: string,
  sealed: Uint8Array,
  options: OpenRequestOptions,
): Promise<EhbpSession> {
  const enc = fromHex(encHeader.trim(), ENC_LENGTH);
  if (enc === undefined) throw new EhbpRequestError(400, `Ehbp-Encapsulated-Key must be ${ENC_LENGTH} bytes of hex`);
  if (sealed.length === 0) throw new EhbpRequestError(400, 'Ehbp-Encapsulated-Key was sent without a request body');
  const reader = new FrameReader(options.maxBodyBytes + TAG_LENGTH);
  let frames: Uint8Array[];
  try {
    frames = reader.push(sealed);
  } catch {
    throw new EhbpRequestError(400, 'the encrypted request body is not validly framed');
  }
  if (!reader.complete || frames.length === 0)
    throw new EhbpRequestError(400, 'the encrypted request body is not validly framed');

  let context: HpkeContext;
  try {
    context = setupRecipient(options.dh, options.publicKey, enc, requestInfo);
  } catch {
    throw new EhbpRequestError(400, 'the encapsulated key is not a valid X25519 public key');
  }
  const parts: Uint8Array[] = [];
  let size = 0;
  for (const [i, ct] of frames.entries()) {
    let pt: Uint8Array;
    try {
      pt = context.open(ct);
    } catch {
      if (i === 0)
        throw new EhbpRequestError(
          422,
          "the request was not sealed to this server's current key: fetch /.well-known/hpke-keys again",
        );
      throw new EhbpRequestError(400, 'the encrypted request body did not authenticate');
    }
    size += pt.length;
    if (size > options.maxBodyBytes)
      throw new EhbpRequestError(400, `the request body is larger than ${options.maxBodyBytes} bytes`);
    parts.push(pt);
  }
  // Only a request that opened counts as seen, so nobody can burn an encapsulated key with garbage.
  if (!(await options.replay.claim(toHex(enc), options.replayWindowMs ?? REPLAY_WINDOW_MS)))
    throw new EhbpRequestError(400, 'this encapsulated key was already used: a replayed request is refused');

  const body = parts.length === 1 ? (parts[0] as Uint8Array) : concat(parts, size);
  const nonce = new Uint8Array(randomBytes(RESPONSE_NONCE_LENGTH));
  const { key, nonceBase } = deriveResponseKeys(context.export(exportLabel, KEY_LENGTH), enc, nonce, hmac);
  let seq = 0;
  return {
    body,
    responseNonce: toHex(nonce),
    seal(plaintext) {
      if (plaintext.length === 0) return new Uint8Array(0);
      const cipher = createCipheriv('aes-256-gcm', key, chunkNonce(nonceBase, seq++));
      const head = cipher.update(plaintext);
      const tail = cipher.final();
      const tag = cipher.getAuthTag();
      const ct = new Uint8Array(head.length + tail.length + tag.length);
      ct.set(head);
      ct.set(tail, head.length);
      ct.set(tag, head.length + tail.length);
      return frame(ct);
    },
  };
}

function concat(parts: readonly Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/**
 * Encapsulated keys seen in this process (one replica; replicas share a Redis-backed guard).
 *
 * @param max keys kept at most; the oldest are forgotten first once full.
 */
export function memoryReplayGuard(max = 1_000_000, now: () => number = Date.now): ReplayGuard {
  const seen = new Map<string, number>();
  return {
    claim: (enc, ttlMs) => {
      const t = now();
      const until = seen.get(enc);
      if (until !== undefined && until > t) return Promise.resolve(false);
      seen.delete(enc);
      seen.set(enc, t + ttlMs);
      for (const [k, expiry] of seen) {
        if (seen.size <= max && expiry > t) break;
        seen.delete(k);
      }
      return Promise.resolve(true);
    },
  };
}
