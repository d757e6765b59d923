/**
 * Test helper (not published): a real mock-backend attestor in a temporary directory, whose
 * quotes are memoised by nonce so two builds of one record (old code and new) see one bundle.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AttestationBundle } from '@saferouter/attest';
import { createAttestor, type Attestor } from '@saferouter/attest/node';

export async function memoAttestor(): Promise<{ attestor: Attestor; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'saferouter-audit-'));
  const real = await createAttestor({
    dataDir: dir,
    measurement: new Uint8Array(32).fill(0x5a),
    tsmRoot: join(dir, 'no-tsm'),
    sevGuestPath: join(dir, 'no-sev-guest'),
    now: () => new Date('2025-06-01T00:00:00.000Z'),
  });
  const quotes = new Map<string, Promise<AttestationBundle>>();
  const attestor: Attestor = Object.assign(Object.create(real) as Attestor, {
    quote(nonce: Uint8Array) {
      const k = Buffer.from(nonce).toString('hex');
      let q = quotes.get(k);
      if (q === undefined) quotes.set(k, (q = real.quote(nonce)));
      return q;
    },
  });
  return { attestor, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
