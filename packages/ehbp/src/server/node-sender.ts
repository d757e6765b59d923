/** The HPKE sender of `createEhbpFetch` on node:crypto (./hpke-node.ts): for Node clients and load generators. */
import type { HpkeSender } from '../client.js';
import { setupSender } from './hpke-node.js';

/**
 * @example
 * const fetch = createEhbpFetch(publicKey, { sender: nodeSender });
 */
export const nodeSender: HpkeSender = (publicKey, info) => {
  const { enc, context } = setupSender(publicKey, info);
  return Promise.resolve({
    enc,
    seal: (pt) => Promise.resolve(context.seal(pt)),
    export: (label, length) => Promise.resolve(context.export(label, length)),
  });
};
