/**
 * The node:crypto HPKE (server/hpke-node.ts) against @hpke/core, a maintained implementation, in
 * both directions: a context set up by one opens what the other sealed, over several messages
 * (so the nonce sequence agrees), and both export the same secrets.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { setupRecipient, setupSender, x25519 } from './server/hpke-node.js';
import { suite } from './suite.js';

const info = new TextEncoder().encode('ehbp request');
const label = new TextEncoder().encode('ehbp response');

describe('hpke-node agrees with @hpke/core', () => {
  it.each([1, 2, 3])('@hpke/core seals, hpke-node opens and exports the same (run %i)', async () => {
    const keys = generateKeyPairSync('x25519');
    const pk = new Uint8Array(keys.publicKey.export({ type: 'spki', format: 'der' }).subarray(12));
    const sender = await suite.createSenderContext({
      recipientPublicKey: await suite.kem.deserializePublicKey(pk),
      info,
    });
    const recipient = setupRecipient((peer) => x25519(keys.privateKey, peer), pk, new Uint8Array(sender.enc), info);
    for (let i = 0; i < 3; i++) {
      const message = new Uint8Array(randomBytes(1 + i * 100));
      expect(recipient.open(new Uint8Array(await sender.seal(message)))).toEqual(message);
    }
    expect(recipient.export(label, 32)).toEqual(new Uint8Array(await sender.export(label, 32)));
  });

  it('hpke-node seals, @hpke/core opens and exports the same', async () => {
    const pair = await suite.kem.generateKeyPair();
    const pk = new Uint8Array(await suite.kem.serializePublicKey(pair.publicKey));
    const { enc, context } = setupSender(pk, info);
    const recipient = await suite.createRecipientContext({ recipientKey: pair, enc: enc.slice().buffer, info });
    for (let i = 0; i < 3; i++) {
      const message = new Uint8Array(randomBytes(10 + i));
      expect(new Uint8Array(await recipient.open(context.seal(message)))).toEqual(message);
    }
    expect(new Uint8Array(await recipient.export(label, 32))).toEqual(context.export(label, 32));
  });

  it('a tampered ciphertext and a low-order public key are refused', () => {
    const keys = generateKeyPairSync('x25519');
    const pk = new Uint8Array(keys.publicKey.export({ type: 'spki', format: 'der' }).subarray(12));
    const { enc, context } = setupSender(pk, info);
    const sealed = context.seal(new Uint8Array([1, 2, 3]));
    sealed[0] = (sealed[0] ?? 0) ^ 1;
    const recipient = setupRecipient((peer) => x25519(keys.privateKey, peer), pk, enc, info);
    expect(() => recipient.open(sealed)).toThrow();
    expect(() => x25519(keys.privateKey, new Uint8Array(32))).toThrow(); // OpenSSL refuses it before our own check
  });
});
