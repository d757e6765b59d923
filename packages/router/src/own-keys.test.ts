// withOwnKeys: the caller's key first, the gateway's after a retryable failure unless alwaysUse,
// never after a 401/403; against a real local upstream that answers by the key it receives.
import { describe, expect, it } from 'vitest';
import { contentEvent, readText } from '../test/http.js';
import { TEST_KEY as GATEWAY_KEY, rejection, useProviderFixture } from '../test/fixture.js';
import type { Candidate, CatalogModel } from './catalog.js';
import { NetworkError, ProviderUnavailableError, UpstreamError } from './errors.js';
import { withFallback, type Attempt } from './fallback.js';
import { ByokKeyRejectedError, ByokKeyUnavailableError, withOwnKeys, type OwnKey } from './own-keys.js';
import type { ChatModelV1, ChatRequestBody } from './spec.js';

const body: ChatRequestBody = { model: 'm', messages: [{ role: 'user', content: 'hi' }] };
const CALLER_KEY = 'sk-caller-OWN-7d3e0b91';
const { serve, provider } = useProviderFixture();

const completion = (who: string): string =>
  JSON.stringify({
    id: `cmpl-${who}`,
    object: 'chat.completion',
    choices: [{ index: 0, message: { role: 'assistant', content: who }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
  });

function entry(id: string, provider: string, available = true): CatalogModel {
  return {
    id,
    upstreamId: id,
    provider,
    name: id,
    description: undefined,
    contextLength: 1000,
    maxOutputTokens: 100,
    pricing: { inputMicrosPerMillion: 1, outputMicrosPerMillion: 1 },
    priced: true,
    capabilities: [],
    fallbacks: [],
    available,
    demo: false,
    synthesized: false,
    endpoints: [],
  };
}

/**
 * An upstream that answers the caller's key with `callerStatus` (200: a completion naming the key
 * holder) and the gateway's key with `gatewayStatus`, recording every Authorization it saw.
 */
async function upstream(callerStatus: number, gatewayStatus = 200) {
  const seen: string[] = [];
  const server = await serve((req, res) => {
    const auth = req.headers['authorization'] ?? '';
    seen.push(auth);
    const who = auth === `Bearer ${CALLER_KEY}` ? 'caller' : auth === `Bearer ${GATEWAY_KEY}` ? 'gateway' : 'nobody';
    const status = who === 'caller' ? callerStatus : who === 'gateway' ? gatewayStatus : 401;
    if (status === 200) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(completion(who));
      return;
    }
    // An upstream that echoes the key it refused, as some do: it must never reach our client.
    res
      .writeHead(status, { 'content-type': 'application/json' })
      .end(JSON.stringify({ error: { message: `Incorrect API key provided: ${auth}`, code: 'invalid_api_key' } }));
  });
  return { server, seen };
}

function ownKey(alwaysUse = false, credential: string | null = CALLER_KEY): OwnKey & { opened: number } {
  const key = {
    alwaysUse,
    opened: 0,
    credential: () => {
      key.opened++;
      return Promise.resolve(credential ?? undefined);
    },
  };
  return key;
}

function candidate(model: ChatModelV1, id = 'm', available = true): Candidate {
  return { entry: entry(id, model.provider, available), model };
}

const answer = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);
const summary = (attempts: readonly Attempt[]) =>
  attempts.map((a) => [a.provider, a.keySource ?? 'gateway', a.ok, a.upstreamStatus]);

describe('withOwnKeys: the chain', () => {
  const model = (provider: string): ChatModelV1 => ({
    specificationVersion: 'v1',
    provider,
    modelId: 'm',
    doGenerate: () => Promise.reject(new Error('not called')),
    doStream: () => Promise.reject(new Error('not called')),
  });
  const a = candidate(model('acme'), 'a');
  const b = candidate(model('other'), 'b');
  const keyless = candidate(model('acme'), 'c', false);

  it('puts the caller’s key before the gateway’s, per endpoint, and leaves other providers alone', () => {
    const chain = withOwnKeys([a, b, keyless], new Map([['acme', ownKey()]]));
    expect(chain.map((c) => [c.entry.id, c.keySource])).toEqual([
      ['a', 'byok'],
      ['a', 'gateway'],
      ['b', undefined],
      // The gateway has no key for this endpoint: only the caller's is tried.
      ['c', 'byok'],
    ]);
    expect(chain[1]?.model).toBe(a.model);
    expect(chain[2]).toBe(b);
  });

  it('with alwaysUse, never adds the gateway’s key for that provider', () => {
    const chain = withOwnKeys([a, b], new Map([['acme', ownKey(true)]]));
    expect(chain.map((c) => [c.entry.id, c.keySource])).toEqual([
      ['a', 'byok'],
      ['b', undefined],
    ]);
  });

  it('without a key for any candidate’s provider, is the chain unchanged', () => {
    expect(withOwnKeys([a, b], new Map())).toEqual([a, b]);
    expect(withOwnKeys([b], new Map([['acme', ownKey()]]))).toEqual([b]);
  });
});

describe('withOwnKeys: calls', () => {
  it('sends the caller’s key, and only it, when it works', async () => {
    const { server, seen } = await upstream(200);
    const key = ownKey();
    const chain = withOwnKeys([candidate(provider({ baseURL: server.origin })('m'))], new Map([['acme', key]]));
    const result = await withFallback(chain).doGenerate({ body });
    expect(answer(result.body)).toContain('cmpl-caller');
    expect(seen).toEqual([`Bearer ${CALLER_KEY}`]);
    expect(summary(result.attempts)).toEqual([['acme', 'byok', true, 200]]);
    expect(key.opened).toBe(1);
  });

  it('streams with the caller’s key too', async () => {
    const seen: string[] = [];
    const server = await serve((req, res) => {
      seen.push(String(req.headers['authorization']));
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(`${contentEvent('hello')}data: [DONE]\n\n`);
    });
    const chain = withOwnKeys([candidate(provider({ baseURL: server.origin })('m'))], new Map([['acme', ownKey()]]));
    const result = await withFallback(chain).doStream({ body: { ...body, stream: true } });
    expect(await readText(result.stream)).toContain('hello');
    expect(seen).toEqual([`Bearer ${CALLER_KEY}`]);
    expect(result.attempts[0]?.keySource).toBe('byok');
  });

  it.each([429, 500, 503])(
    'after a retryable %i with the caller’s key, tries the gateway’s key on the same endpoint',
    async (status) => {
      const { server, seen } = await upstream(status);
      const chain = withOwnKeys([candidate(provider({ baseURL: server.origin })('m'))], new Map([['acme', ownKey()]]));
      const result = await withFallback(chain).doGenerate({ body });
      expect(answer(result.body)).toContain('cmpl-gateway');
      expect(seen).toEqual([`Bearer ${CALLER_KEY}`, `Bearer ${GATEWAY_KEY}`]);
      expect(summary(result.attempts)).toEqual([
        ['acme', 'byok', false, status],
        ['acme', 'gateway', true, 200],
      ]);
    },
  );

  it('with alwaysUse, a retryable failure moves on to the next endpoint, never to the gateway’s key', async () => {
    const { server, seen } = await upstream(503);
    const acme = provider({ baseURL: server.origin });
    const other = provider({ baseURL: server.origin, name: 'other' });
    const chain = withOwnKeys([candidate(acme('m')), candidate(other('m2'), 'm2')], new Map([['acme', ownKey(true)]]));
    const result = await withFallback(chain).doGenerate({ body });
    expect(seen).toEqual([`Bearer ${CALLER_KEY}`, `Bearer ${GATEWAY_KEY}`]);
    expect(summary(result.attempts)).toEqual([
      ['acme', 'byok', false, 503],
      ['other', 'gateway', true, 200],
    ]);

    // With no other endpoint, the caller's failure is the answer.
    const { server: alone, seen: aloneSeen } = await upstream(503);
    const solo = withOwnKeys([candidate(provider({ baseURL: alone.origin })('m'))], new Map([['acme', ownKey(true)]]));
    const error = await rejection(withFallback(solo).doGenerate({ body }));
    expect(error.statusCode).toBe(503);
    expect(aloneSeen).toEqual([`Bearer ${CALLER_KEY}`]);
  });

  it.each([401, 403])(
    'a %i with the caller’s key stops the chain: byok_key_rejected, never the gateway’s key',
    async (status) => {
      const { server, seen } = await upstream(status);
      const attempts: Attempt[] = [];
      const acme = provider({ baseURL: server.origin });
      const chain = withOwnKeys(
        [candidate(acme('m')), candidate(provider({ baseURL: server.origin, name: 'other' })('m2'), 'm2')],
        new Map([['acme', ownKey()]]),
      );
      const error = await rejection(withFallback(chain, { onAttempt: (a) => attempts.push(a) }).doGenerate({ body }));
      expect(error).toBeInstanceOf(ByokKeyRejectedError);
      expect(error).toBeInstanceOf(UpstreamError);
      expect(error).toMatchObject({
        statusCode: status,
        code: 'byok_key_rejected',
        type: status === 401 ? 'authentication_error' : 'permission_error',
        isRetryable: false,
      });
      expect(error.message).toMatch(new RegExp(`^your acme key was rejected by the provider \\(HTTP ${status}\\)`));
      expect(seen).toEqual([`Bearer ${CALLER_KEY}`]);
      expect(summary(attempts)).toEqual([['acme', 'byok', false, status]]);
      // Our own body, never the upstream's (which quoted the key).
      const wire = answer(error.responseBody());
      expect(JSON.parse(wire)).toMatchObject({
        error: { code: 'byok_key_rejected', metadata: { provider: 'acme', upstream_status: status } },
      });
      expect(wire).not.toContain(CALLER_KEY);
      expect(JSON.stringify(error)).not.toContain(CALLER_KEY);
      expect(String(error.stack)).not.toContain(CALLER_KEY);
    },
  );

  it('a 401 with the gateway’s own key stays an ordinary upstream error', async () => {
    const { server } = await upstream(503, 401);
    const chain = withOwnKeys([candidate(provider({ baseURL: server.origin })('m'))], new Map([['acme', ownKey()]]));
    const error = await rejection(withFallback(chain).doGenerate({ body }));
    expect(error).not.toBeInstanceOf(ByokKeyRejectedError);
    expect(error).toMatchObject({ statusCode: 401, code: 'upstream_401' });
  });

  it('a key that can no longer be opened is skipped like an outage: the gateway’s key serves', async () => {
    const { server, seen } = await upstream(200);
    const attempts: Attempt[] = [];
    const chain = withOwnKeys(
      [candidate(provider({ baseURL: server.origin })('m'))],
      new Map([['acme', ownKey(false, null)]]),
    );
    const result = await withFallback(chain, { onAttempt: (a) => attempts.push(a) }).doGenerate({ body });
    expect(answer(result.body)).toContain('cmpl-gateway');
    expect(seen).toEqual([`Bearer ${GATEWAY_KEY}`]);
    expect(attempts[0]?.error).toBeInstanceOf(ByokKeyUnavailableError);
    expect(attempts[0]?.error?.isRetryable).toBe(true);
  });

  it('a provider without a key of its own still serves the caller’s key; without either it is unavailable', async () => {
    const { server, seen } = await upstream(200);
    const keyless = provider({ baseURL: server.origin, apiKey: undefined });
    const own = withOwnKeys([candidate(keyless('m'), 'm', false)], new Map([['acme', ownKey()]]));
    expect(answer((await withFallback(own).doGenerate({ body })).body)).toContain('cmpl-caller');
    expect(seen).toEqual([`Bearer ${CALLER_KEY}`]);
    const error = await rejection(keyless('m').doGenerate({ body }));
    expect(error).toBeInstanceOf(ProviderUnavailableError);
    // An empty credential is no credential.
    expect(await rejection(keyless('m').doGenerate({ body, credential: '' }))).toBeInstanceOf(ProviderUnavailableError);
  });

  it('a network failure with the caller’s key moves on to the gateway’s key', async () => {
    let calls = 0;
    const flaky: ChatModelV1 = {
      specificationVersion: 'v1',
      provider: 'acme',
      modelId: 'm',
      doGenerate: (options) => {
        calls++;
        return options.credential === undefined
          ? Promise.resolve({ status: 200, body: new TextEncoder().encode('gateway'), ttfbMs: 1 })
          : Promise.reject(new NetworkError('acme'));
      },
      doStream: () => Promise.reject(new Error('not used')),
    };
    const chain = withOwnKeys([candidate(flaky)], new Map([['acme', ownKey()]]));
    const result = await withFallback(chain).doGenerate({ body });
    expect(answer(result.body)).toBe('gateway');
    expect(calls).toBe(2);
    expect(summary(result.attempts)).toEqual([
      ['acme', 'byok', false, undefined],
      ['acme', 'gateway', true, 200],
    ]);
  });
});
