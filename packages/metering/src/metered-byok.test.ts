// Metered chat with the caller's own provider keys (BYOK): which key each attempt used, what it
// costs (the fee, the re-priced hold of a fallback to the gateway's key), a rejected key, and that
// the plaintext goes nowhere but the upstream call.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exactCostMicros, InsufficientCreditsError, type Admission, type Billing } from '@saferouter/billing';
import type { SafeRouterError } from '@saferouter/errors';
import { ByokKeyRejectedError, type ChatRequestBody, type OwnKey, type StreamResult } from '@saferouter/router';
import { holdShape } from './estimates.js';
import { createMeteredChat, type ChatCaller, type MeteringDeps } from './metered-chat.js';
import { entry, fakeEvidence, fixedCatalog, openBooks, type Books, type Script } from './testing.js';

const dec = new TextDecoder();
const REQUEST_BYTES = new TextEncoder().encode('{}');
const USAGE = { prompt_tokens: 1000, completion_tokens: 2000 };
const CALLER_KEY = 'sk-own-PLAINTEXT-5b7e2c9d11';
/** Two endpoints of two providers; the caller brings a key for `acme`. */
const ACME = entry('acme-model', 2_000_000, 8_000_000, { provider: 'acme' });
const OTHER = entry('other-model', 1_000_000, 1_000_000, { provider: 'other' });
const COST_ACME = exactCostMicros(ACME.pricing, USAGE.prompt_tokens, USAGE.completion_tokens);
const COST_OTHER = exactCostMicros(OTHER.pricing, USAGE.prompt_tokens, USAGE.completion_tokens);

let books: Books;
let ids = 0;
/** The credential of every upstream call, in order (`gateway` when the call brought none). */
let seen: string[];
let logged: string[];

beforeEach(async () => {
  books = await openBooks(1_000_000);
  seen = [];
  logged = [];
});
afterEach(async () => {
  await books.close();
});

/** An upstream that answers the caller's key with `own` and the gateway's key with `gateway`. */
function upstream(own: Script, gateway: Script = { usage: USAGE }): (credential?: string) => Script {
  return (credential) => {
    seen.push(credential === undefined ? 'gateway' : credential);
    return credential === undefined ? gateway : own;
  };
}

function ownKeys(alwaysUse = false, lookups: string[] = []): MeteringDeps['byok'] {
  return (keyId) => {
    lookups.push(keyId);
    const key: OwnKey = { alwaysUse, credential: () => Promise.resolve(CALLER_KEY) };
    return Promise.resolve(new Map([['acme', key]]));
  };
}

function deps(
  chain: { entry: typeof ACME; script: (credential?: string) => Script }[],
  overrides: Partial<MeteringDeps> = {},
): MeteringDeps {
  return {
    catalog: fixedCatalog(chain),
    billing: books.billing,
    limiter: books.limiter,
    activity: { push: (e) => books.activity.push(e) },
    clock: () => 1_700_000_000_000,
    newId: () => `act_${++ids}`,
    log: (message, error) => logged.push(`${message} ${String(error)}`),
    byok: ownKeys(),
    ...overrides,
  };
}

const caller = (role: ChatCaller['role'] = 'user'): ChatCaller => ({
  id: books.keyId,
  role,
  limits: { rpm: null, concurrency: null },
});

function call(model: string, stream = false, role: ChatCaller['role'] = 'user') {
  const body: ChatRequestBody = { model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 100, stream };
  return { caller: caller(role), requestId: `req_${++ids}`, body, requestBytes: REQUEST_BYTES };
}

async function readAll(result: StreamResult): Promise<string> {
  let text = '';
  for (let c = await result.read(); c !== undefined; c = await result.read()) text += dec.decode(c);
  return text;
}

/** Billing that notes how much each admission held when it settled. */
function watchHolds(billing: Billing, held: number[]): Billing {
  return {
    ...billing,
    admit: async (input) => {
      const admission = await billing.admit(input);
      return Object.assign(Object.create(admission) as Admission, {
        reprice: admission.reprice.bind(admission),
        release: admission.release.bind(admission),
        settle: (usage: Parameters<Admission['settle']>[0]) => {
          held.push(admission.heldMicros);
          return admission.settle(usage);
        },
      });
    },
  };
}

const attempts = () => books.activity.map((e) => [e.provider, e.keySource, e.status, e.costMicros]);

describe('metered chat with own keys', () => {
  it('uses the caller’s key first; at the default fee of 0 it holds and charges nothing', async () => {
    const held: number[] = [];
    const { evidence, records } = fakeEvidence();
    const chat = createMeteredChat(
      deps([{ entry: ACME, script: upstream({ usage: USAGE }) }], {
        billing: watchHolds(books.billing, held),
        evidence,
      }),
    );
    const reply = await chat.complete(call('acme-model'));
    expect(reply.stream).toBe(false);
    expect(seen).toEqual([CALLER_KEY]);
    expect(held).toEqual([0]);
    expect(await books.charges()).toEqual([]);
    expect(await books.account()).toMatchObject({ balanceMicros: 1_000_000, heldMicros: 0 });
    expect(attempts()).toEqual([['acme', 'byok', 200, 0]]);
    expect(records[0]?.details).toMatchObject({
      provider: 'acme',
      keySource: 'byok',
      attempts: [{ model: 'acme-model', provider: 'acme', status: 200, keySource: 'byok' }],
      costUsd: '0',
    });
  });

  it('charges the fee: ⌈cost × bp / 10000⌉ of the gateway-key price, and holds the fee of the worst case', async () => {
    const held: number[] = [];
    const chat = createMeteredChat(
      deps([{ entry: ACME, script: upstream({ usage: USAGE }) }], {
        billing: watchHolds(books.billing, held),
        byokFeeBasisPoints: 250,
      }),
    );
    const request = call('acme-model');
    const reply = await chat.complete(request);
    const fee = Math.ceil((COST_ACME * 250) / 10_000);
    expect(fee).toBeGreaterThan(0);
    expect(await books.charges()).toEqual([{ requestId: request.requestId, amountMicros: -fee }]);
    expect(attempts()).toEqual([['acme', 'byok', 200, fee]]);
    // Worst case: the estimated prompt and max_tokens at the full price, then 2.5 % of it.
    const shape = holdShape(request.body, ACME);
    const worst = exactCostMicros(ACME.pricing, shape.promptTokens, shape.maxOutputTokens);
    expect(held).toEqual([Math.max(1, Math.ceil((worst * 250) / 10_000))]);
    // The answer's usage.cost says what was charged.
    if (reply.stream) throw new Error('expected a body');
    expect((JSON.parse(dec.decode(reply.body)) as { usage: { cost: number } }).usage.cost).toBe(fee / 1e6);
  });

  it.each([429, 500, 503])(
    'after a retryable %i with the caller’s key, the gateway’s key serves the same endpoint at its full price',
    async (status) => {
      const held: number[] = [];
      const chat = createMeteredChat(
        deps([{ entry: ACME, script: upstream({ status }) }], { billing: watchHolds(books.billing, held) }),
      );
      const request = call('acme-model');
      await chat.complete(request);
      expect(seen).toEqual([CALLER_KEY, 'gateway']);
      expect(attempts()).toEqual([
        ['acme', 'byok', status, 0],
        ['acme', 'gateway', 200, COST_ACME],
      ]);
      // The hold was re-priced from the (free) own-key attempt to the gateway's price.
      expect(held[0]).toBeGreaterThan(0);
      expect(await books.charges()).toEqual([{ requestId: request.requestId, amountMicros: -COST_ACME }]);
    },
  );

  it('with always_use, never calls with the gateway’s key for that provider: the next endpoint serves', async () => {
    const chat = createMeteredChat(
      deps(
        [
          { entry: ACME, script: upstream({ status: 503 }) },
          { entry: OTHER, script: upstream({ usage: USAGE }) },
        ],
        { byok: ownKeys(true) },
      ),
    );
    await chat.complete(call('acme-model'));
    expect(seen).toEqual([CALLER_KEY, 'gateway']);
    expect(attempts()).toEqual([
      ['acme', 'byok', 503, 0],
      ['other', 'gateway', 200, COST_OTHER],
    ]);
  });

  it.each([401, 403])(
    'a %i with the caller’s key is answered as byok_key_rejected, never retried with the gateway’s key',
    async (status) => {
      const { evidence, records } = fakeEvidence();
      const chat = createMeteredChat(
        deps(
          [
            { entry: ACME, script: upstream({ status }) },
            { entry: OTHER, script: upstream({ usage: USAGE }) },
          ],
          { evidence },
        ),
      );
      const error = await chat.complete(call('acme-model')).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ByokKeyRejectedError);
      expect(error).toMatchObject({ statusCode: status, code: 'byok_key_rejected' });
      expect((error as SafeRouterError).message).toContain(
        `your acme key was rejected by the provider (HTTP ${status})`,
      );
      expect(seen).toEqual([CALLER_KEY]);
      expect(attempts()).toEqual([['acme', 'byok', status, 0]]);
      expect(books.activity[0]?.error).toMatch(/^byok_key_rejected: your acme key was rejected/);
      expect(await books.charges()).toEqual([]);
      expect(await books.account()).toMatchObject({ balanceMicros: 1_000_000, heldMicros: 0 });
      // Receipted like any request that reached an upstream, naming the key source.
      expect(records[0]?.details).toMatchObject({ keySource: 'byok', attempts: [{ status, keySource: 'byok' }] });
    },
  );

  it('streams with the caller’s key, and records it', async () => {
    const chat = createMeteredChat(deps([{ entry: ACME, script: upstream({ usage: USAGE }) }]));
    const reply = await chat.complete(call('acme-model', true));
    if (!reply.stream) throw new Error('expected a stream');
    expect(await readAll(reply.result)).toContain('[DONE]');
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(seen).toEqual([CALLER_KEY]);
    expect(attempts()).toEqual([['acme', 'byok', 200, 0]]);
  });

  it('a key without credit is served with its own key at no fee, and refused the gateway’s key it cannot pay for', async () => {
    await books.close();
    books = await openBooks(0);
    const served = createMeteredChat(deps([{ entry: ACME, script: upstream({ usage: USAGE }) }]));
    await served.complete(call('acme-model'));
    expect(attempts()).toEqual([['acme', 'byok', 200, 0]]);

    books.activity.length = 0;
    seen = [];
    const fallback = createMeteredChat(deps([{ entry: ACME, script: upstream({ status: 503 }) }]));
    const error = await fallback.complete(call('acme-model')).then(
      () => undefined,
      (e: unknown) => e,
    );
    // The fallback to the gateway's key was skipped (no credit for it): the caller's 503 stands.
    expect(error).toMatchObject({ statusCode: 503 });
    expect(error).not.toBeInstanceOf(InsufficientCreditsError);
    expect(seen).toEqual([CALLER_KEY]);
  });

  it('never asks for the admin key’s own keys (it has no account), nor without a lookup', async () => {
    const lookups: string[] = [];
    const chat = createMeteredChat(
      deps([{ entry: ACME, script: upstream({ usage: USAGE }) }], { byok: ownKeys(false, lookups) }),
    );
    await chat.complete(call('acme-model', false, 'admin'));
    expect(lookups).toEqual([]);
    expect(seen).toEqual(['gateway']);
    const plain = createMeteredChat(deps([{ entry: ACME, script: upstream({ usage: USAGE }) }], { byok: undefined }));
    await plain.complete(call('acme-model'));
    expect(seen).toEqual(['gateway', 'gateway']);
    expect(books.activity.map((e) => e.keySource)).toEqual(['gateway', 'gateway']);
  });

  it('the plaintext key appears in no activity entry, error, receipt detail or log line', async () => {
    const { evidence, records } = fakeEvidence();
    const errors: unknown[] = [];
    for (const script of [{ usage: USAGE }, { status: 429 }, { status: 401 }, { status: 500 }]) {
      const chat = createMeteredChat(deps([{ entry: ACME, script: upstream(script, { status: 503 }) }], { evidence }));
      await chat.complete(call('acme-model')).catch((e: unknown) => errors.push(e));
    }
    expect(errors).toHaveLength(3);
    const everything = JSON.stringify({
      activity: books.activity,
      errors: errors.map((e) => [String(e), JSON.stringify(e), (e as Error).stack]),
      details: records.map((r) => r.details),
      logged,
    });
    expect(everything).not.toContain(CALLER_KEY);
    expect(everything).toContain('byok'); // the scan sees the entries it should
  });
});
