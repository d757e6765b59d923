/**
 * Time-ordered ids, shared by the store and its callers (billing, the gateway). A leaf module:
 * it imports nothing but `node:crypto`, so the main entry can export it without loading a driver.
 */

import { randomFillSync } from 'node:crypto';

/**
 * A unique id that sorts by creation time: `prefix_` + 12 hex digits of milliseconds + 20 hex
 * random digits (80 random bits). The money tables are clustered by id (WITHOUT ROWID), so
 * time-ordered ids append at the B-tree's right edge: a group commit of N charges dirties one
 * leaf page instead of N random ones. Randomness comes from a pooled buffer (randomBytes per
 * call showed up at ~5% of the gateway's CPU under load).
 *
 * @example timeOrderedId('led') // 'led_019ab3c2d1e04f3a9c1b2d3e4f5a6b7c8d9e'
 */
export function timeOrderedId(prefix: string): string {
  // Several ids are made per request; randomUUID() plus string surgery each measured ~1.5%.
  if (poolAt + 10 > ID_POOL.length) {
    randomFillSync(ID_POOL);
    poolAt = 0;
  }
  let random = '';
  for (let i = poolAt; i < poolAt + 10; i++) random += HEX[ID_POOL[i] as number];
  poolAt += 10;
  return `${prefix}_${Date.now().toString(16).padStart(12, '0')}${random}`;
}

const ID_POOL = new Uint8Array(4096);
let poolAt = ID_POOL.length;
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
