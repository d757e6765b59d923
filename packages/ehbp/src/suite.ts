/** The one HPKE suite EHBP uses, from @hpke/core (WebCrypto underneath, browsers and Node). */
import { Aes256Gcm, CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } from '@hpke/core';
import { REQUEST_INFO } from './protocol.js';

export const suite = new CipherSuite({
  kem: new DhkemX25519HkdfSha256(),
  kdf: new HkdfSha256(),
  aead: new Aes256Gcm(),
});

export const requestInfo = new TextEncoder().encode(REQUEST_INFO);
