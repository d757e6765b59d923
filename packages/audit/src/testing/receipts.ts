/**
 * Test helpers (not published): an Ed25519 key from node:crypto, a receipt issuer over it, and
 * a raw JWS signer for crafting receipts with any header and payload bytes.
 */
import { generateKeyPairSync, sign as cryptoSign } from 'node:crypto';
import { createReceiptIssuer, type FinishReceipt, type ReceiptIssuer } from '../node/receipt-issuer.js';

export interface TestKey {
  publicKey: Uint8Array;
  /** base64url of the public key, as a JWK's `x`. */
  x: string;
  sign(message: Uint8Array): Uint8Array;
}

export function testKey(): TestKey {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const x = publicKey.export({ format: 'jwk' }).x as string;
  return {
    publicKey: new Uint8Array(Buffer.from(x, 'base64url')),
    x,
    sign: (message) => new Uint8Array(cryptoSign(null, message, privateKey)),
  };
}

export const MEASUREMENT = 'ab'.repeat(32);

export function testIssuer(key: TestKey, options: { random?: (n: number) => Uint8Array } = {}): ReceiptIssuer {
  return createReceiptIssuer({
    sign: key.sign,
    signingPublicKey: key.publicKey,
    measurement: MEASUREMENT,
    startupIndex: 7,
    clock: () => 1_750_000_000_000,
    ...options,
  });
}

export const FINISH: FinishReceipt = {
  requestedModel: 'auto',
  model: 'gpt-4o-mini',
  provider: 'openai',
  attempts: [
    { model: 'claude-3-haiku', provider: 'anthropic', status: 503 },
    { model: 'gpt-4o-mini', provider: 'openai', status: 200 },
  ],
  usage: { prompt_tokens: 12, completion_tokens: 34 },
  costUsd: '0.000214',
};

const b64url = (bytes: Uint8Array | string): string => Buffer.from(bytes).toString('base64url');

/** A JWS over exactly these header and payload bytes (objects are JSON.stringified). */
export function craftJws(key: TestKey, header: unknown, payload: Uint8Array | unknown): string {
  const h = b64url(JSON.stringify(header));
  const p = b64url(payload instanceof Uint8Array ? payload : JSON.stringify(payload));
  return `${h}.${p}.${b64url(key.sign(Buffer.from(`${h}.${p}`, 'latin1')))}`;
}

export function headerFor(key: TestKey): { alg: string; typ: string; kid: string } {
  return { alg: 'EdDSA', typ: 'saferouter-receipt', kid: Buffer.from(key.publicKey).toString('hex') };
}
