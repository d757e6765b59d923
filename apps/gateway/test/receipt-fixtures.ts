/**
 * Test-only helpers for receipts and audit samples, written apart from `@saferouter/audit` so
 * that a wrong format there cannot also be the yardstick: a JWS checked with `jose` (an
 * independent JOSE library) against the key `GET /attestation/verifying-key` prints, SHA-256 with
 * `node:crypto`, a streamed body cut at its receipt comment as raw bytes, and RFC 6962 / RFC 9162
 * Merkle hashing (leaf hashes, tree roots, inclusion paths) from the RFCs' own pseudocode.
 */
import { createHash } from 'node:crypto';
import { compactVerify, importJWK } from 'jose';
import { expect } from 'vitest';

/** `GET /attestation/verifying-key`, the members used here. */
export interface VerifyingKey {
  signingKey: string;
  measurement: string;
  transparencyLogKey: string;
}

export async function verifyingKey(url: string): Promise<VerifyingKey> {
  const res = await fetch(`${url}/attestation/verifying-key`);
  expect(res.status).toBe(200);
  return (await res.json()) as VerifyingKey;
}

/** A v1 receipt payload, as this test reads the docs (docs/audit.md §1). */
export interface ReceiptJson {
  v: number;
  id: string;
  created: number;
  requested_model: string;
  model: string;
  provider: string;
  /** Whose provider key answered: the gateway's, or the caller's own (BYOK, docs/byok.md). */
  key_source?: 'gateway' | 'byok';
  attempts: { model: string; provider: string; status: number; key_source?: 'gateway' | 'byok' }[];
  stream: boolean;
  request_sha256: string;
  response_sha256: string;
  usage: { prompt_tokens: number; completion_tokens: number };
  cost_usd: string;
  measurement: string;
  startup_index: number;
  audit_sampled: boolean;
}

/** Hex SHA-256 of the concatenation of `parts`. */
export function sha256Hex(...parts: Uint8Array[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex');
}

function sha256(...parts: Uint8Array[]): Buffer {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
}

/**
 * Verifies a receipt with `jose` against the hex Ed25519 key: the signature (`compactVerify`
 * with the JWK `{kty: OKP, crv: Ed25519, x}`), and the protected header, byte for byte.
 * @throws when `jose` rejects the signature.
 */
export async function joseVerify(
  jws: string,
  signingKeyHex: string,
): Promise<{ header: Record<string, unknown>; payload: ReceiptJson }> {
  const x = Buffer.from(signingKeyHex, 'hex').toString('base64url');
  const key = await importJWK({ kty: 'OKP', crv: 'Ed25519', x }, 'EdDSA');
  const { payload, protectedHeader } = await compactVerify(jws, key, { algorithms: ['EdDSA'] });
  expect(protectedHeader).toEqual({ alg: 'EdDSA', typ: 'saferouter-receipt', kid: signingKeyHex });
  // "Exactly these bytes" (docs/audit.md §1), not merely an equivalent JSON object.
  expect(Buffer.from(jws.split('.')[0]!, 'base64url').toString('utf8')).toBe(
    `{"alg":"EdDSA","typ":"saferouter-receipt","kid":"${signingKeyHex}"}`,
  );
  return {
    header: protectedHeader as Record<string, unknown>,
    payload: JSON.parse(Buffer.from(payload).toString('utf8')) as ReceiptJson,
  };
}

/** A receipt's payload without checking anything (for counting). */
export function unverifiedPayload(jws: string): ReceiptJson {
  return JSON.parse(Buffer.from(jws.split('.')[1] ?? '', 'base64url').toString('utf8')) as ReceiptJson;
}

export const RECEIPT_COMMENT = ': saferouter-receipt ';

/** A streamed body cut at its receipt comment. */
export interface SplitStream {
  /** Every byte before the comment: what `response_sha256` hashes. */
  before: Uint8Array;
  jws: string;
  /** Everything after the comment's blank line. */
  after: string;
}

/**
 * Finds the one receipt comment of a streamed body, which must start an event (the bytes before
 * it end in a blank line) and be a whole event of its own: `: saferouter-receipt <jws>\n\n`.
 */
export function splitAtReceipt(body: Uint8Array): SplitStream {
  const buf = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const at = buf.indexOf(RECEIPT_COMMENT);
  expect(at, `no receipt comment in:\n${buf.toString('utf8')}`).toBeGreaterThan(0);
  expect(buf.indexOf(RECEIPT_COMMENT, at + 1), 'a second receipt comment').toBe(-1);
  expect(buf.subarray(at - 2, at).toString('latin1'), 'the comment starts an event').toBe('\n\n');
  const end = buf.indexOf('\n\n', at);
  expect(end).toBeGreaterThan(at);
  const jws = buf.subarray(at + RECEIPT_COMMENT.length, end).toString('latin1');
  expect(jws).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
  return { before: body.slice(0, at), jws, after: buf.subarray(end + 2).toString('utf8') };
}

/** RFC 6962 leaf hash: SHA-256(0x00 ‖ entry). */
export function rfc6962LeafHash(entry: Uint8Array): Buffer {
  return sha256(Uint8Array.of(0), entry);
}

function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  return sha256(Uint8Array.of(1), left, right);
}

/** RFC 6962 §2.1 MTH over leaf hashes (n ≥ 1). */
export function merkleRoot(leafHashes: readonly Uint8Array[]): Buffer {
  if (leafHashes.length === 1) return Buffer.from(leafHashes[0]!);
  let k = 1;
  while (k * 2 < leafHashes.length) k *= 2;
  return nodeHash(merkleRoot(leafHashes.slice(0, k)), merkleRoot(leafHashes.slice(k)));
}

/** RFC 9162 §2.1.3.2: the root an inclusion path leads to, or undefined when the path is malformed. */
export function rootFromInclusionPath(
  index: number,
  size: number,
  leafHash: Uint8Array,
  path: readonly Uint8Array[],
): Buffer | undefined {
  if (index >= size) return undefined;
  let fn = index;
  let sn = size - 1;
  let r: Buffer = Buffer.from(leafHash);
  for (const p of path) {
    if (sn === 0) return undefined;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      // A right edge node: climb until this node is a right child (or the root).
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? r : undefined;
}

/** A C2SP tlog-tiles entry bundle: each entry prefixed by its big-endian uint16 length. */
export function decodeEntryBundle(bundle: Uint8Array): Buffer[] {
  const out: Buffer[] = [];
  const buf = Buffer.from(bundle);
  for (let at = 0; at < buf.length;) {
    const length = buf.readUInt16BE(at);
    out.push(buf.subarray(at + 2, at + 2 + length));
    at += 2 + length;
  }
  return out;
}
