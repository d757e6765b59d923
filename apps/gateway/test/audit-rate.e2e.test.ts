/**
 * The audit sampling rate at its default: 400 requests through a gateway configured as an
 * operator who sets nothing gets (`SAFEROUTER_AUDIT_RATE` unset, so 0.05). Every response is
 * receipted; the receipts that say `audit_sampled` and the samples the admin lists are the same
 * requests, and their number lies between 6 and 40 (a 5% rate gives 20 on average; outside that
 * range happens by chance with probability about 7 × 10⁻⁵).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '@saferouter/fake-upstream';
import { verifyReceipt } from '@saferouter/audit';
import { loadGatewayConfig } from '../src/config.js';
import { ADMIN_KEY, startTestGateway, type TestGateway } from './helpers.js';
import { pool } from './billing-fixtures.js';
import { verifyingKey, type VerifyingKey } from './receipt-fixtures.js';

const REQUESTS = 400;

let upstream: FakeUpstream;
let gw: TestGateway;
let vk: VerifyingKey;

beforeAll(async () => {
  upstream = await startFakeUpstream({ record: false });
  const defaults = loadGatewayConfig({});
  expect(defaults.auditRate).toBe(0.05);
  gw = await startTestGateway(upstream.url, { auditRate: defaults.auditRate });
  vk = await verifyingKey(gw.url);
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

async function listSamples(key: string): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const res: Response = await fetch(
      `${gw.url}/v1/audit/samples?limit=500${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`,
      { headers: { authorization: `Bearer ${key}` } },
    );
    expect(res.status).toBe(200);
    const page = (await res.json()) as { data: { id: string }[]; next_cursor: string | null };
    ids.push(...page.data.map((s) => s.id));
    cursor = page.next_cursor;
  } while (cursor !== null);
  return ids;
}

describe('audit sampling at the default rate', () => {
  it(`samples between 6 and 40 of ${REQUESTS} requests, and the receipts and the log agree`, async () => {
    const sampled = await pool(REQUESTS, 16, async (i) => {
      const request = new TextEncoder().encode(
        JSON.stringify({ model: 'm-lonely', messages: [{ role: 'user', content: `sample me? ${i}` }] }),
      );
      const res = await fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${gw.userKey}`, 'content-type': 'application/json' },
        body: request,
      });
      const response = new Uint8Array(await res.arrayBuffer());
      expect(res.status).toBe(200);
      const requestId = res.headers.get('x-request-id') ?? '';
      const verdict = await verifyReceipt(res.headers.get('x-saferouter-receipt') ?? '', {
        signingKey: vk.signingKey,
        request,
        response,
        requestId,
      });
      expect(verdict.issues).toEqual([]);
      return verdict.payload!.audit_sampled ? requestId : undefined;
    });
    const byReceipt = sampled.filter((id): id is string => id !== undefined).sort();

    // Samples are durable before their response completes, so the lists are complete now.
    const byAdmin = (await listSamples(ADMIN_KEY)).sort();
    const byHolder = (await listSamples(gw.userKey)).sort();
    console.log(
      `audit rate 0.05: ${byReceipt.length} of ${REQUESTS} receipts say audit_sampled, the admin lists ${byAdmin.length} samples`,
    );
    expect(byAdmin).toEqual(byReceipt);
    expect(byHolder).toEqual(byReceipt);
    expect(byReceipt.length).toBeGreaterThanOrEqual(6);
    expect(byReceipt.length).toBeLessThanOrEqual(40);
  }, 30_000);
});
