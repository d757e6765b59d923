/**
 * `GET /metrics` end to end: a real gateway (in process, SQLite) and the fake upstream. Requests of
 * known kinds are made (successes, a 503 that falls back, a stream, a refusal, a failure on every
 * candidate, a Responses call), then the exposition is parsed line by line and its counters
 * compared with what was sent: requests per label set, tokens, spend against the ledger,
 * fallbacks, upstream errors, requests in flight and holds during a stream. Also: who may scrape
 * (admin by default, 403 in OpenAI's shape for a user key; anyone with SAFEROUTER_METRICS_PUBLIC=1).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '@saferouter/fake-upstream';
import { ConfigError } from '@saferouter/router';
import { loadGatewayConfig } from '../src/config.js';
import { ADMIN_KEY, startTestGateway, type TestGateway } from './helpers.js';
import { createKey, waitUntil } from './billing-fixtures.js';
import { parseExposition, samplesOf, valueOf, type Exposition } from './prom-text.js';

let upstream: FakeUpstream;
let gw: TestGateway;

beforeAll(async () => {
  upstream = await startFakeUpstream();
  gw = await startTestGateway(upstream.url);
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

async function scrape(url: string, key: string | undefined = ADMIN_KEY): Promise<Exposition> {
  const res = await fetch(`${url}/metrics`, key === undefined ? {} : { headers: { authorization: `Bearer ${key}` } });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  // Throws on any line that is not valid exposition text.
  return parseExposition(await res.text());
}

function chat(key: string, body: Record<string, unknown>): Promise<Response> {
  return fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], ...body }),
  });
}

const total = (e: Exposition, name: string, labels: Record<string, string> = {}): number =>
  samplesOf(e, name, labels).reduce((sum, s) => sum + s.value, 0);

describe('GET /metrics after requests of known kinds', () => {
  it('counts exactly what was requested', async () => {
    const payer = await createKey(gw.url, ADMIN_KEY, 'metrics-payer', '10');
    const broke = await createKey(gw.url, ADMIN_KEY, 'metrics-broke', '0.000001');
    const before = await gw.store.billing.balance(payer.id);
    const usage = (prompt: number, completion: number, cached = 0, reasoning = 0) => ({
      usage: {
        prompt_tokens: prompt,
        completion_tokens: completion,
        prompt_tokens_details: { cached_tokens: cached },
        completion_tokens_details: { reasoning_tokens: reasoning },
      },
    });

    // Two successes on m-notools (11 + 7 tokens, 3 of them cached, 2 reasoning).
    upstream.setBehavior('m-notools', usage(11, 7, 3, 2));
    for (let i = 0; i < 2; i++) {
      const res = await chat(payer.key, { model: 'm-notools' });
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    }
    // m-primary answers 503; its fallback m-backup answers.
    upstream.setBehavior('m-primary', { status: 503 });
    upstream.setBehavior('m-backup', usage(20, 5));
    const fellBack = await chat(payer.key, { model: 'm-primary' });
    expect(fellBack.status).toBe(200);
    await fellBack.arrayBuffer();
    // A stream on m-lonely, held open between its chunks: in flight, and holding credit.
    upstream.setBehavior('m-lonely', { ...usage(13, 4), chunks: 4, chunkDelayMs: 150 });
    const stream = await chat(payer.key, { model: 'm-lonely', stream: true });
    expect(stream.status).toBe(200);
    const reader = stream.body!.getReader();
    await reader.read();
    const during = await scrape(gw.url);
    expect(valueOf(during, 'saferouter_inflight_requests')).toBe(1);
    const held = (await gw.store.billing.balance(payer.id)).heldMicros;
    expect(held).toBeGreaterThan(0);
    expect(Math.round(valueOf(during, 'saferouter_holds_usd') * 1_000_000)).toBe(held);
    let text = '';
    for (let r = await reader.read(); !r.done; r = await reader.read()) text += new TextDecoder().decode(r.value);
    expect(text).toContain('data: [DONE]');
    // Refused for credit before any attempt (402).
    const refused = await chat(broke.key, { model: 'm-lonely' });
    expect(refused.status).toBe(402);
    await refused.arrayBuffer();
    // Every candidate fails: m-lonely has no fallback and answers 500.
    upstream.setBehavior('m-lonely', { status: 500 });
    const failed = await chat(payer.key, { model: 'm-lonely' });
    expect(failed.status).toBe(500);
    await failed.arrayBuffer();
    // A Responses call on m-notools.
    const responses = await fetch(`${gw.url}/v1/responses`, {
      method: 'POST',
      headers: { authorization: `Bearer ${payer.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm-notools', input: 'hello' }),
    });
    expect(responses.status).toBe(200);
    await responses.arrayBuffer();

    // The last response's `close` may trail its last byte by a moment.
    const after = await waitUntil(async () => {
      const e = await scrape(gw.url);
      return valueOf(e, 'saferouter_inflight_requests') === 0 ? e : undefined;
    }, 'no request in flight');

    const requests = (model: string, status: string): number =>
      valueOf(after, 'saferouter_requests_total', { model, provider: 'up', status });
    expect(requests('m-notools', '200')).toBe(3);
    expect(requests('m-primary', '503')).toBe(1);
    expect(requests('m-backup', '200')).toBe(1);
    expect(requests('m-lonely', '200')).toBe(1);
    expect(requests('m-lonely', '402')).toBe(1);
    expect(requests('m-lonely', '500')).toBe(1);
    // Nothing else: one count per attempt, plus the refusal.
    expect(total(after, 'saferouter_requests_total')).toBe(8);

    const tokens = (model: string, direction: string): number =>
      valueOf(after, 'saferouter_tokens_total', { model, direction });
    expect(tokens('m-notools', 'prompt')).toBe(33);
    expect(tokens('m-notools', 'completion')).toBe(21);
    expect(tokens('m-notools', 'cached')).toBe(9);
    expect(tokens('m-notools', 'reasoning')).toBe(6);
    expect(tokens('m-backup', 'prompt')).toBe(20);
    expect(tokens('m-backup', 'completion')).toBe(5);
    expect(tokens('m-lonely', 'prompt')).toBe(13);
    expect(tokens('m-lonely', 'completion')).toBe(4);
    expect(tokens('m-primary', 'prompt')).toBe(0);

    // Spend is what left the payer's balance, to the micro-dollar (the broke key paid nothing).
    const spent = before.balanceMicros - (await gw.store.billing.balance(payer.id)).balanceMicros;
    expect(spent).toBeGreaterThan(0);
    expect(total(after, 'saferouter_spend_micros_total')).toBe(spent);
    expect(Math.round(total(after, 'saferouter_spend_usd_total') * 1_000_000)).toBe(spent);
    expect(valueOf(after, 'saferouter_spend_micros_total', { model: 'm-primary' })).toBe(0);
    expect((await gw.store.billing.balance(broke.id)).balanceMicros).toBe(1);

    expect(samplesOf(after, 'saferouter_fallbacks_total')).toEqual([
      { name: 'saferouter_fallbacks_total', labels: { from: 'm-primary', to: 'm-backup' }, value: 1 },
    ]);
    expect(valueOf(after, 'saferouter_upstream_errors_total', { provider: 'up', code: 'upstream_503' })).toBe(1);
    expect(valueOf(after, 'saferouter_upstream_errors_total', { provider: 'up', code: 'upstream_500' })).toBe(1);
    expect(total(after, 'saferouter_upstream_errors_total')).toBe(2);

    // Seven chat and responses requests, each timed from arrival to its response's end.
    expect(valueOf(after, 'saferouter_request_duration_seconds_count')).toBe(7);
    // A time to first byte for each of the five answers.
    expect(total(after, 'saferouter_time_to_first_byte_seconds_count')).toBe(5);
    expect(valueOf(after, 'saferouter_holds_usd')).toBe(0);
    // Node's process metrics are there too.
    expect(after.types.get('process_cpu_user_seconds_total')).toBe('counter');
    expect(after.types.get('nodejs_eventloop_lag_seconds')).toBe('gauge');
    expect(after.types.get('saferouter_request_duration_seconds')).toBe('histogram');
  });
});

describe('who may scrape', () => {
  it('wants the admin key: no key is a 401, a user key a 403 in OpenAI’s error shape', async () => {
    const none = await fetch(`${gw.url}/metrics`);
    expect(none.status).toBe(401);
    expect(((await none.json()) as { error: { code: string } }).error.code).toBe('missing_api_key');
    const user = await fetch(`${gw.url}/metrics`, { headers: { authorization: `Bearer ${gw.userKey}` } });
    expect(user.status).toBe(403);
    expect(user.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await user.json()).toEqual({
      error: { message: 'This endpoint needs the admin key.', type: 'permission_error', code: 'admin_required' },
    });
    const post = await fetch(`${gw.url}/metrics`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
    });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET');
    await post.arrayBuffer();
  });

  it('is open to anyone with SAFEROUTER_METRICS_PUBLIC=1', async () => {
    const open = await startTestGateway(upstream.url, { metricsPublic: true });
    try {
      const e = await scrape(open.url, undefined);
      expect(e.types.get('saferouter_requests_total')).toBe('counter');
      await scrape(open.url, open.userKey);
    } finally {
      await open.close();
    }
  });

  it('reads SAFEROUTER_METRICS_PUBLIC strictly: 1 or 0, else the start stops naming it', () => {
    expect(loadGatewayConfig({}).metricsPublic).toBe(false);
    expect(loadGatewayConfig({ SAFEROUTER_METRICS_PUBLIC: '0' }).metricsPublic).toBe(false);
    expect(loadGatewayConfig({ SAFEROUTER_METRICS_PUBLIC: '1' }).metricsPublic).toBe(true);
    for (const bad of ['true', 'yes', '2', ' 1', 'on']) {
      expect(() => loadGatewayConfig({ SAFEROUTER_METRICS_PUBLIC: bad })).toThrow(ConfigError);
      expect(() => loadGatewayConfig({ SAFEROUTER_METRICS_PUBLIC: bad })).toThrow(/SAFEROUTER_METRICS_PUBLIC/);
    }
  });
});
