// The metering unit without HTTP: real SQLite books, scripted upstreams through the real relay.
import { createHmac } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  exactCostMicros,
  InsufficientCreditsError,
  RateLimitError,
  type Admission,
  type Billing,
} from '@saferouter/billing';
import { SafeRouterError } from '@saferouter/errors';
import type {
  Catalog,
  CatalogModel,
  ChatModelV1,
  ChatRequestBody,
  EndpointSample,
  EndpointStats,
  ExcludedEndpoint,
  StreamResult,
} from '@saferouter/router';
import { holdShape } from './estimates.js';
import { chatUsage } from './reply-dialect.js';
import {
  BillingFailedError,
  createMeteredChat,
  pseudonymousUser,
  type ChatCaller,
  type MeteredReply,
  type MeteringDeps,
} from './metered-chat.js';
import { entry, fakeEvidence, fixedCatalog, openBooks, sse, type Books, type Script } from './testing.js';

const dec = new TextDecoder();
/** Request bytes for tests that do not look at receipts. */
const REQUEST_BYTES = new TextEncoder().encode('{}');
const USAGE = { prompt_tokens: 1000, completion_tokens: 2000 };
const PRICEY = entry('pricey', 2_000_000, 8_000_000);
const CHEAP = entry('cheap', 1_000_000, 1_000_000);
const COST_PRICEY = exactCostMicros(PRICEY.pricing, USAGE.prompt_tokens, USAGE.completion_tokens);
const COST_CHEAP = exactCostMicros(CHEAP.pricing, USAGE.prompt_tokens, USAGE.completion_tokens);

let books: Books;
let ids = 0;

beforeEach(async () => {
  books = await openBooks(1_000_000);
});
afterEach(async () => {
  await books.close();
});

function deps(
  chain: { entry: typeof PRICEY; script: () => Script }[],
  overrides: Partial<MeteringDeps> = {},
): MeteringDeps {
  return {
    catalog: fixedCatalog(chain),
    billing: books.billing,
    limiter: books.limiter,
    activity: { push: (e) => books.activity.push(e) },
    clock: () => 1_700_000_000_000,
    newId: () => `act_${++ids}`,
    log: () => undefined,
    ...overrides,
  };
}

function caller(
  limits: ChatCaller['limits'] = { rpm: null, concurrency: null },
  role: ChatCaller['role'] = 'user',
): ChatCaller {
  return { id: books.keyId, role, limits };
}

function body(model: string, stream: boolean): ChatRequestBody {
  return { model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 100, stream };
}

function streamOf(reply: MeteredReply): StreamResult {
  if (!reply.stream) throw new Error('expected a stream');
  return reply.result;
}

async function readAll(result: StreamResult, onChunk?: (text: string) => Promise<void>): Promise<string> {
  let text = '';
  for (let c = await result.read(); c !== undefined; c = await result.read()) {
    text += dec.decode(c);
    await onChunk?.(text);
  }
  return text;
}

/** Billing whose admissions settle through `settle` (holding, failing) instead of their own. */
function withSettle(
  billing: Billing,
  settle: (admission: Admission, usage: Parameters<Admission['settle']>[0]) => ReturnType<Admission['settle']>,
): Billing {
  return {
    ...billing,
    admit: async (input) => {
      const admission = await billing.admit(input);
      return Object.assign(Object.create(admission) as Admission, {
        reprice: admission.reprice.bind(admission),
        release: admission.release.bind(admission),
        settle: (usage: Parameters<Admission['settle']>[0]) => settle(admission, usage),
      });
    },
  };
}

/** Lets a test hold an admission's settle until it says so. */
const slowSettle = (billing: Billing, gate: Promise<void>): Billing =>
  withSettle(billing, async (admission, usage) => {
    await gate;
    return admission.settle(usage);
  });

/** An admission whose charge cannot be written. */
const failingSettle = (billing: Billing): Billing => withSettle(billing, () => Promise.reject(new Error('disk full')));

describe('metered chat, non-stream', () => {
  it('charges the reported usage before returning, and records one attempt', async () => {
    const chat = createMeteredChat(deps([{ entry: PRICEY, script: () => ({ usage: USAGE }) }]));
    const reply = await chat.complete({
      caller: caller(),
      requestId: 'req_1',
      requestBytes: REQUEST_BYTES,
      body: body('pricey', false),
    });
    expect(reply).toMatchObject({ stream: false, requested: 'pricey', answeredBy: 'pricey' });
    expect(await books.charges()).toEqual([{ requestId: 'req_1', amountMicros: -COST_PRICEY }]);
    expect(await books.account()).toMatchObject({ balanceMicros: 1_000_000 - COST_PRICEY, heldMicros: 0 });
    expect(books.activity).toHaveLength(1);
    expect(books.activity[0]).toMatchObject({
      attempt: 1,
      status: 200,
      costMicros: COST_PRICEY,
      promptTokens: 1000,
      completionTokens: 2000,
      estimated: false,
    });
  });

  it('falls back, re-pricing the hold, and charges the price of the model that answered', async () => {
    const chat = createMeteredChat(
      deps([
        { entry: PRICEY, script: () => ({ status: 503 }) },
        { entry: CHEAP, script: () => ({ usage: USAGE }) },
      ]),
    );
    const reply = await chat.complete({
      caller: caller(),
      requestId: 'req_2',
      requestBytes: REQUEST_BYTES,
      body: body('pricey', false),
    });
    expect(reply.answeredBy).toBe('cheap');
    expect(await books.charges()).toEqual([{ requestId: 'req_2', amountMicros: -COST_CHEAP }]);
    expect(books.activity.map((e) => [e.model, e.attempt, e.status, e.costMicros])).toEqual([
      ['pricey', 1, 503, 0],
      ['cheap', 2, 200, COST_CHEAP],
    ]);
    expect((await books.account()).heldMicros).toBe(0);
  });

  it('estimates a reply without usage, and says so', async () => {
    const chat = createMeteredChat(deps([{ entry: CHEAP, script: () => ({ usage: undefined }) }]));
    await chat.complete({
      caller: caller(),
      requestId: 'req_3',
      requestBytes: REQUEST_BYTES,
      body: body('cheap', false),
    });
    expect(books.activity[0]).toMatchObject({ estimated: true, completionTokens: 4 }); // "Hello there": 11 bytes / 3
    expect((await books.charges())[0]?.amountMicros).toBeLessThan(0);
  });

  it('charges nothing when every candidate fails, releasing the hold and recording each attempt', async () => {
    const chat = createMeteredChat(
      deps([
        { entry: PRICEY, script: () => ({ status: 503 }) },
        { entry: CHEAP, script: () => ({ status: 502 }) },
      ]),
    );
    await expect(
      chat.complete({ caller: caller(), requestId: 'req_4', requestBytes: REQUEST_BYTES, body: body('pricey', false) }),
    ).rejects.toMatchObject({ statusCode: 502 });
    expect(await books.charges()).toEqual([]);
    expect(await books.account()).toMatchObject({ balanceMicros: 1_000_000, heldMicros: 0 });
    expect(books.activity.map((e) => e.status)).toEqual([503, 502]);
  });

  it('refuses over a limit (429) and without credit (402), each with one attempt-0 entry', async () => {
    const chat = createMeteredChat(deps([{ entry: PRICEY, script: () => ({ usage: USAGE }) }]));
    const limited = chat.complete({
      caller: caller({ rpm: 0, concurrency: null }),
      requestId: 'req_5',
      requestBytes: REQUEST_BYTES,
      body: body('pricey', false),
    });
    await expect(limited).rejects.toBeInstanceOf(RateLimitError);
    await expect(limited).rejects.toMatchObject({ statusCode: 429, headers: { 'retry-after': expect.any(String) } });

    const huge = { ...body('pricey', false), max_tokens: 10_000_000 };
    await expect(
      chat.complete({ caller: caller(), requestId: 'req_6', requestBytes: REQUEST_BYTES, body: huge }),
    ).rejects.toBeInstanceOf(InsufficientCreditsError);
    expect(books.activity.map((e) => [e.requestId, e.attempt, e.status])).toEqual([
      ['req_5', 0, 429],
      ['req_6', 0, 402],
    ]);
    expect(await books.account()).toMatchObject({ balanceMicros: 1_000_000, heldMicros: 0 });
  });

  it('bills nothing to the admin key, but records it', async () => {
    const chat = createMeteredChat(deps([{ entry: PRICEY, script: () => ({ usage: USAGE }) }]));
    await chat.complete({
      caller: caller(undefined, 'admin'),
      requestId: 'req_7',
      requestBytes: REQUEST_BYTES,
      body: body('pricey', false),
    });
    expect(await books.charges()).toEqual([]);
    expect(books.activity[0]).toMatchObject({ status: 200, costMicros: 0 });
  });

  it('withholds the reply when the charge cannot be written (503 billing_failed), leaving no hold', async () => {
    const broken = failingSettle(books.billing);
    const chat = createMeteredChat(deps([{ entry: PRICEY, script: () => ({ usage: USAGE }) }], { billing: broken }));
    const failed = chat.complete({
      caller: caller(),
      requestId: 'req_8',
      requestBytes: REQUEST_BYTES,
      body: body('pricey', false),
    });
    await expect(failed).rejects.toBeInstanceOf(BillingFailedError);
    await expect(failed).rejects.toMatchObject({ statusCode: 503, code: 'billing_failed' });
    expect(await books.account()).toMatchObject({ balanceMicros: 1_000_000, heldMicros: 0 });
    expect(books.activity[0]).toMatchObject({ status: 503 });
  });
});

describe('metered chat, stream', () => {
  it('commits the charge before the client can read [DONE], split at every byte of it, LF, CRLF and no-space', async () => {
    const forms: [string, (text: string) => string][] = [
      ['LF', (t) => t],
      ['CRLF', (t) => t.replaceAll('\n', '\r\n')],
      ['no space', (t) => t.replaceAll('data: ', 'data:')],
    ];
    let n = 0;
    for (const [name, form] of forms) {
      const whole = form(sse(['Hello', ' there'], USAGE).join(''));
      // The usage event goes out rewritten with what was charged (in LF form, whatever the upstream used).
      const billed = whole.replace(
        form(`data: ${JSON.stringify({ choices: [], usage: USAGE })}\n\n`),
        `data: ${JSON.stringify({ choices: [], usage: chatUsage({ upstream: { ...USAGE, total_tokens: 0 }, prompt: USAGE.prompt_tokens, completion: USAGE.completion_tokens, cached: 0, reasoning: 0, costMicros: COST_PRICEY }) })}\n\n`,
      );
      expect(billed).not.toBe(whole);
      const done = whole.lastIndexOf('data');
      for (let split = done; split < whole.length; split++) {
        const chunks = [whole.slice(0, split), whole.slice(split)];
        const requestId = `req_s${++n}`;
        const chat = createMeteredChat(deps([{ entry: PRICEY, script: () => ({ chunks }) }]));
        const reply = await chat.complete({
          caller: caller(),
          requestId,
          requestBytes: REQUEST_BYTES,
          body: body('pricey', true),
        });
        let chargedWhenDoneSeen: unknown;
        const text = await readAll(streamOf(reply), async (sofar) => {
          if (sofar.includes('[DONE]') && chargedWhenDoneSeen === undefined) {
            chargedWhenDoneSeen = (await books.charges()).find((c) => c.requestId === requestId);
          }
        });
        expect(text, `${name}, split at ${split}`).toBe(billed);
        expect(chargedWhenDoneSeen, `${name}, split at ${split}`).toEqual({ requestId, amountMicros: -COST_PRICEY });
      }
    }
    expect(n).toBeGreaterThan(40);
    expect((await books.account()).heldMicros).toBe(0);
  });

  it('asks the upstream for usage on every stream', async () => {
    const seen: ChatRequestBody[] = [];
    const chat = createMeteredChat(deps([{ entry: PRICEY, script: () => ({ usage: USAGE }) }]));
    const b = { ...body('pricey', true), stream_options: { include_usage: false } };
    const reply = await chat.complete({ caller: caller(), requestId: 'req_u', requestBytes: REQUEST_BYTES, body: b });
    seen.push(b);
    await readAll(streamOf(reply));
    expect(seen[0]?.stream_options).toEqual({ include_usage: true });
  });

  it('a client leaving mid-stream is charged for the text delivered (estimated, 499), and no hold is left', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const chat = createMeteredChat(
      deps([
        { entry: CHEAP, script: () => ({ chunks: sse(['A'.repeat(300), 'B'.repeat(300)], USAGE), gate: () => gate }) },
      ]),
    );
    const result = streamOf(
      await chat.complete({
        caller: caller(),
        requestId: 'req_left',
        requestBytes: REQUEST_BYTES,
        body: body('cheap', true),
      }),
    );
    expect(dec.decode(await result.read())).toContain('AAA');
    result.cancel(new Error('client left'));
    release();
    await result.summary;
    await new Promise((r) => setTimeout(r, 10));
    const [charge] = await books.charges();
    const prompt = holdShape(body('cheap', true), CHEAP).promptTokens;
    expect(charge?.amountMicros).toBe(-exactCostMicros(CHEAP.pricing, prompt, 100)); // 300 bytes / 3 = 100 tokens
    expect(books.activity[0]).toMatchObject({ status: 499, estimated: true, completionTokens: 100 });
    expect((await books.account()).heldMicros).toBe(0);
  });

  it('an upstream cut before [DONE] is recorded as 502, charged from the usage it did send', async () => {
    const chat = createMeteredChat(deps([{ entry: CHEAP, script: () => ({ chunks: sse(['Hi'], USAGE, '') }) }]));
    const text = await readAll(
      streamOf(
        await chat.complete({
          caller: caller(),
          requestId: 'req_cut',
          requestBytes: REQUEST_BYTES,
          body: body('cheap', true),
        }),
      ),
    );
    expect(text).toContain('"code":"stream_interrupted"');
    expect(text).not.toContain('[DONE]');
    await new Promise((r) => setTimeout(r, 10));
    expect(await books.charges()).toEqual([{ requestId: 'req_cut', amountMicros: -COST_CHEAP }]);
    expect(books.activity[0]).toMatchObject({ status: 502, estimated: false });
  });

  it('when the charge fails, the stream ends with billing_failed and no [DONE]', async () => {
    const broken = failingSettle(books.billing);
    const chat = createMeteredChat(deps([{ entry: PRICEY, script: () => ({ usage: USAGE }) }], { billing: broken }));
    const text = await readAll(
      streamOf(
        await chat.complete({
          caller: caller(),
          requestId: 'req_bf',
          requestBytes: REQUEST_BYTES,
          body: body('pricey', true),
        }),
      ),
    );
    expect(text).toContain('"code":"billing_failed"');
    expect(text).not.toContain('[DONE]');
    expect(text).not.toContain('disk full');
    expect(await books.account()).toMatchObject({ balanceMicros: 1_000_000, heldMicros: 0 });
  });

  it('a client leaving while the charge is being written still gets the charge written, once', async () => {
    let open!: () => void;
    const gate = new Promise<void>((r) => {
      open = r;
    });
    const events = sse(['Hello'], USAGE);
    const chunks = [events.slice(0, -1).join(''), events.at(-1) as string];
    const chat = createMeteredChat(
      deps([{ entry: PRICEY, script: () => ({ chunks }) }], { billing: slowSettle(books.billing, gate) }),
    );
    const result = streamOf(
      await chat.complete({
        caller: caller(),
        requestId: 'req_mid',
        requestBytes: REQUEST_BYTES,
        body: body('pricey', true),
      }),
    );
    const first = await result.read();
    expect(first).toBeDefined();
    const last = result.read(); // reaches [DONE]: the hook waits on the gate
    await new Promise((r) => setTimeout(r, 10));
    result.cancel(new Error('client left'));
    open();
    expect(await last).toBeUndefined(); // [DONE] is withheld from a client that left
    await result.summary;
    await new Promise((r) => setTimeout(r, 10));
    expect(await books.charges()).toEqual([{ requestId: 'req_mid', amountMicros: -COST_PRICEY }]);
    expect(books.activity).toHaveLength(1);
    expect(books.activity[0]).toMatchObject({ status: 200, costMicros: COST_PRICEY });
    expect((await books.account()).heldMicros).toBe(0);
  });

  it('holds the concurrency slot until the stream ends', async () => {
    let open!: () => void;
    const gate = new Promise<void>((r) => {
      open = r;
    });
    const chat = createMeteredChat(deps([{ entry: CHEAP, script: () => ({ usage: USAGE, gate: () => gate }) }]));
    const limits = { rpm: null, concurrency: 1 };
    const result = streamOf(
      await chat.complete({
        caller: caller(limits),
        requestId: 'req_c1',
        requestBytes: REQUEST_BYTES,
        body: body('cheap', true),
      }),
    );
    await expect(
      chat.complete({
        caller: caller(limits),
        requestId: 'req_c2',
        requestBytes: REQUEST_BYTES,
        body: body('cheap', true),
      }),
    ).rejects.toMatchObject({ statusCode: 429 });
    open();
    await readAll(result);
    const again = streamOf(
      await chat.complete({
        caller: caller(limits),
        requestId: 'req_c3',
        requestBytes: REQUEST_BYTES,
        body: body('cheap', true),
      }),
    );
    await readAll(again);
  });

  it('a model that does not exist is a 404 before anything is held or recorded', async () => {
    const chat = createMeteredChat(deps([{ entry: CHEAP, script: () => ({ usage: USAGE }) }]));
    const missing = chat.complete({
      caller: caller(),
      requestId: 'req_404',
      requestBytes: REQUEST_BYTES,
      body: body('nope', true),
    });
    await expect(missing).rejects.toSatisfy((e: unknown) => SafeRouterError.isInstance(e) && e.statusCode === 404);
    expect(books.activity).toEqual([]);
  });
});

// ---- Issue 14: pseudonymous user, zero-completion insurance, cached tokens, activity fields, committed streams ----

const T0 = 1_700_000_000_000;
const KEEP_ALIVE = ': SAFEROUTER PROCESSING\n\n';
const tick = (ms = 0): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A catalog over `chain` whose candidates' models are wrapped (to see what they are sent, or to slow them). */
function wrappedCatalog(
  chain: { entry: CatalogModel; script: () => Script }[],
  wrap: (model: ChatModelV1, entry: CatalogModel) => ChatModelV1,
  excluded: ExcludedEndpoint[] = [],
): Catalog {
  const catalog = fixedCatalog(chain);
  return {
    ...catalog,
    plan: (b, options) => {
      const plan = catalog.plan(b, options);
      return {
        candidates: plan.candidates.map((c) => ({ entry: c.entry, model: wrap(c.model, c.entry) })),
        excluded,
      };
    },
  };
}

/** Records the body each upstream call is sent (a deep copy, as it was at the call). */
const seeing =
  (seen: ChatRequestBody[]) =>
  (model: ChatModelV1): ChatModelV1 => ({
    ...model,
    doGenerate: (o) => {
      seen.push(structuredClone(o.body));
      return model.doGenerate(o);
    },
    doStream: (o) => {
      seen.push(structuredClone(o.body));
      return model.doStream(o);
    },
  });

/** A non-stream upstream that reports a finish reason (the scripted one reports none). */
const finishing =
  (reason: string) =>
  (model: ChatModelV1): ChatModelV1 => ({
    ...model,
    doGenerate: async (o) => ({ ...(await model.doGenerate(o)), finishReason: reason }),
  });

/** An upstream whose stream call takes `ms` before it answers (or fails). */
const slow =
  (ms: number, only?: string) =>
  (model: ChatModelV1, e: CatalogModel): ChatModelV1 =>
    only !== undefined && e.id !== only
      ? model
      : {
          ...model,
          doStream: async (o) => {
            await tick(ms);
            return model.doStream(o);
          },
        };

function jsonBody(reply: MeteredReply): Record<string, unknown> {
  if (reply.stream) throw new Error('expected json');
  return JSON.parse(dec.decode(reply.body)) as Record<string, unknown>;
}

/** The `data:` events of an SSE text, parsed (`[DONE]` as the string). */
function events(text: string): unknown[] {
  return text
    .split('\n\n')
    .filter((e) => e.startsWith('data: '))
    .map((e) => {
      const data = e.slice('data: '.length);
      return data === '[DONE]' ? data : (JSON.parse(data) as unknown);
    });
}

function chunkEvent(json: Record<string, unknown>): string {
  return `data: ${JSON.stringify(json)}\n\n`;
}

function recordingStats(): EndpointStats & { samples: EndpointSample[] } {
  const samples: EndpointSample[] = [];
  return {
    samples,
    record: (sample) => samples.push(sample),
    load: () => undefined,
    p50LatencyMs: () => undefined,
    tokensPerSecond: () => undefined,
  };
}

describe('metered chat, user pseudonym', () => {
  const SECRET = new TextEncoder().encode('deployment-secret-0123456789abcdef');

  it('sends upstream HMAC-SHA256(secret, key id ‖ 0x00 ‖ user), never the raw user, stream or not', async () => {
    const seen: ChatRequestBody[] = [];
    const chat = createMeteredChat(
      deps([{ entry: PRICEY, script: () => ({ usage: USAGE }) }], {
        catalog: wrappedCatalog([{ entry: PRICEY, script: () => ({ usage: USAGE }) }], seeing(seen)),
        userSecret: SECRET,
      }),
    );
    const expected = createHmac('sha256', SECRET).update(`${books.keyId}\0alice@example.com`).digest('hex');
    await chat.complete({
      caller: caller(),
      requestId: 'req_user1',
      requestBytes: REQUEST_BYTES,
      body: { ...body('pricey', false), user: 'alice@example.com' },
    });
    await readAll(
      streamOf(
        await chat.complete({
          caller: caller(),
          requestId: 'req_user2',
          requestBytes: REQUEST_BYTES,
          body: { ...body('pricey', true), user: 'alice@example.com' },
        }),
      ),
    );
    expect(seen.map((b) => b['user'])).toEqual([expected, expected]);
    expect(expected).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(seen)).not.toContain('alice');
    expect(pseudonymousUser(SECRET, books.keyId, 'alice@example.com')).toBe(expected);
  });

  it('is stable for one key and unlinkable across keys; the separator keeps key and user apart', () => {
    const a = pseudonymousUser(SECRET, 'key_a', 'bob');
    expect(pseudonymousUser(SECRET, 'key_a', 'bob')).toBe(a);
    expect(pseudonymousUser(SECRET, 'key_b', 'bob')).not.toBe(a);
    expect(pseudonymousUser(new TextEncoder().encode('other'), 'key_a', 'bob')).not.toBe(a);
    expect(pseudonymousUser(SECRET, 'key_ab', 'c')).not.toBe(pseudonymousUser(SECRET, 'key_a', 'bc'));
  });

  it('drops user without a secret, and drops an empty or non-string user even with one', async () => {
    const seen: ChatRequestBody[] = [];
    const chain = [{ entry: PRICEY, script: (): Script => ({ usage: USAGE }) }];
    const without = createMeteredChat(deps(chain, { catalog: wrappedCatalog(chain, seeing(seen)) }));
    await without.complete({
      caller: caller(),
      requestId: 'req_nouser1',
      requestBytes: REQUEST_BYTES,
      body: { ...body('pricey', false), user: 'alice' },
    });
    const withSecret = createMeteredChat(
      deps(chain, { catalog: wrappedCatalog(chain, seeing(seen)), userSecret: SECRET }),
    );
    for (const [n, user] of ['', 42, null].entries()) {
      await withSecret.complete({
        caller: caller(),
        requestId: `req_nouser_${n + 2}`,
        requestBytes: REQUEST_BYTES,
        body: { ...body('pricey', false), user },
      });
    }
    expect(seen).toHaveLength(4);
    expect(seen.map((b) => 'user' in b)).toEqual([false, false, false, false]);
  });
});

describe('metered chat, zero-completion insurance', () => {
  const EMPTY = { prompt_tokens: 1000, completion_tokens: 0 };
  const PROMPT_ONLY = exactCostMicros(PRICEY.pricing, 1000, 0); // 2000 µ$

  it('an empty non-stream answer without a finish reason costs nothing', async () => {
    const chat = createMeteredChat(deps([{ entry: PRICEY, script: () => ({ usage: EMPTY }) }]));
    const reply = await chat.complete({
      caller: caller(),
      requestId: 'req_ins1',
      requestBytes: REQUEST_BYTES,
      body: body('pricey', false),
    });
    expect(jsonBody(reply)['usage']).toMatchObject({ prompt_tokens: 1000, completion_tokens: 0, cost: 0 });
    expect(await books.charges()).toEqual([]);
    expect(await books.account()).toEqual({ keyId: books.keyId, balanceMicros: 1_000_000, heldMicros: 0 });
    expect(books.activity[0]).toMatchObject({ status: 200, costMicros: 0, promptTokens: 1000, completionTokens: 0 });
  });

  it('an empty non-stream answer that has a finish reason is charged for its prompt', async () => {
    const chain = [{ entry: PRICEY, script: (): Script => ({ usage: EMPTY }) }];
    const chat = createMeteredChat(deps(chain, { catalog: wrappedCatalog(chain, finishing('stop')) }));
    const reply = await chat.complete({
      caller: caller(),
      requestId: 'req_ins2',
      requestBytes: REQUEST_BYTES,
      body: body('pricey', false),
    });
    expect(PROMPT_ONLY).toBe(2000);
    expect(jsonBody(reply)['usage']).toMatchObject({ completion_tokens: 0, cost: 0.002 });
    expect(await books.charges()).toEqual([{ requestId: 'req_ins2', amountMicros: -PROMPT_ONLY }]);
    expect(books.activity[0]).toMatchObject({ costMicros: PROMPT_ONLY, finishReason: 'stop' });
  });

  it('streams: empty without a finish reason costs nothing; with one, the prompt is charged', async () => {
    const role = chunkEvent({
      choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }],
    });
    const stop = chunkEvent({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] });
    const usage = chunkEvent({ choices: [], usage: EMPTY });
    const cases: [string, string[], number][] = [
      ['req_ins3', [role, usage, 'data: [DONE]\n\n'], 0],
      ['req_ins4', [role, stop, usage, 'data: [DONE]\n\n'], PROMPT_ONLY],
    ];
    for (const [requestId, chunks, cost] of cases) {
      const chat = createMeteredChat(deps([{ entry: PRICEY, script: () => ({ chunks }) }]));
      const text = await readAll(
        streamOf(
          await chat.complete({ caller: caller(), requestId, requestBytes: REQUEST_BYTES, body: body('pricey', true) }),
        ),
      );
      const usageEvent = events(text).at(-2) as { usage: Record<string, unknown> };
      expect(usageEvent.usage['cost'], requestId).toBe(cost / 1e6);
    }
    await tick(10);
    expect(await books.charges()).toEqual([{ requestId: 'req_ins4', amountMicros: -PROMPT_ONLY }]);
    expect(books.activity.map((e) => [e.requestId, e.status, e.costMicros, e.finishReason])).toEqual([
      ['req_ins3', 200, 0, null],
      ['req_ins4', 200, PROMPT_ONLY, 'stop'],
    ]);
    expect((await books.account()).heldMicros).toBe(0);
  });

  it('never insures a stream that streamed reasoning (work was done)', async () => {
    const thinking = chunkEvent({
      choices: [{ index: 0, delta: { reasoning_content: 'Let me think' }, finish_reason: null }],
    });
    const chunks = [thinking, chunkEvent({ choices: [], usage: EMPTY }), 'data: [DONE]\n\n'];
    const chat = createMeteredChat(deps([{ entry: PRICEY, script: () => ({ chunks }) }]));
    await readAll(
      streamOf(
        await chat.complete({
          caller: caller(),
          requestId: 'req_ins5',
          requestBytes: REQUEST_BYTES,
          body: body('pricey', true),
        }),
      ),
    );
    await tick(10);
    expect(await books.charges()).toEqual([{ requestId: 'req_ins5', amountMicros: -PROMPT_ONLY }]);
  });

  it('a stream cut before any output costs nothing (502), and its hold is released', async () => {
    const chat = createMeteredChat(deps([{ entry: PRICEY, script: () => ({ chunks: [] }) }]));
    const text = await readAll(
      streamOf(
        await chat.complete({
          caller: caller(),
          requestId: 'req_ins6',
          requestBytes: REQUEST_BYTES,
          body: body('pricey', true),
        }),
      ),
    );
    expect(text).toContain('"code":"stream_interrupted"');
    await tick(10);
    expect(await books.charges()).toEqual([]);
    expect(books.activity[0]).toMatchObject({ status: 502, costMicros: 0, completionTokens: 0, estimated: true });
    expect(await books.account()).toEqual({ keyId: books.keyId, balanceMicros: 1_000_000, heldMicros: 0 });
  });
});

describe('metered chat, cached tokens', () => {
  const CACHED = entry('cached', 2_000_000, 8_000_000, {
    pricing: {
      inputMicrosPerMillion: 2_000_000,
      outputMicrosPerMillion: 8_000_000,
      cachedInputMicrosPerMillion: 200_000,
    },
  });
  /** 200 × 2 + 800 × 0.2 + 50 × 8 = 960 µ$ (2400 µ$ if nothing were cached). */
  const CACHED_COST = 960;
  const OPENAI_STYLE = { prompt_tokens: 1000, completion_tokens: 50, prompt_tokens_details: { cached_tokens: 800 } };
  const DEEPSEEK_STYLE = { prompt_tokens: 1000, completion_tokens: 50, prompt_cache_hit_tokens: 800 };

  it('charges cached prompt tokens at the cached price, reports them and the exact cost (non-stream)', async () => {
    expect(exactCostMicros(CACHED.pricing, 1000, 50, 800)).toBe(CACHED_COST);
    expect(exactCostMicros(CACHED.pricing, 1000, 50)).toBe(2400);
    const chat = createMeteredChat(deps([{ entry: CACHED, script: () => ({ usage: OPENAI_STYLE }) }]));
    const reply = await chat.complete({
      caller: caller(),
      requestId: 'req_cache1',
      requestBytes: REQUEST_BYTES,
      body: body('cached', false),
    });
    expect(jsonBody(reply)['usage']).toEqual({
      prompt_tokens: 1000,
      completion_tokens: 50,
      total_tokens: 1050,
      prompt_tokens_details: { cached_tokens: 800 },
      completion_tokens_details: { reasoning_tokens: 0 },
      cost: 0.00096,
    });
    expect(await books.charges()).toEqual([{ requestId: 'req_cache1', amountMicros: -CACHED_COST }]);
    expect(books.activity[0]).toMatchObject({ costMicros: CACHED_COST, promptTokens: 1000, cachedTokens: 800 });
  });

  it("reads DeepSeek's prompt_cache_hit_tokens on a stream, and reports them in OpenAI's place", async () => {
    const chat = createMeteredChat(deps([{ entry: CACHED, script: () => ({ usage: DEEPSEEK_STYLE }) }]));
    const text = await readAll(
      streamOf(
        await chat.complete({
          caller: caller(),
          requestId: 'req_cache2',
          requestBytes: REQUEST_BYTES,
          body: body('cached', true),
        }),
      ),
    );
    const usageEvent = events(text).at(-2) as { usage: Record<string, unknown> };
    expect(usageEvent.usage).toEqual({
      prompt_tokens: 1000,
      completion_tokens: 50,
      total_tokens: 1050,
      prompt_cache_hit_tokens: 800,
      prompt_tokens_details: { cached_tokens: 800 },
      completion_tokens_details: { reasoning_tokens: 0 },
      cost: 0.00096,
    });
    await tick(10);
    expect(await books.charges()).toEqual([{ requestId: 'req_cache2', amountMicros: -CACHED_COST }]);
    expect(books.activity[0]).toMatchObject({ costMicros: CACHED_COST, cachedTokens: 800 });
  });
});

describe('metered chat, activity fields and endpoint stats', () => {
  it('records generationId, finishReason, cached and reasoning tokens, and the exclusions on attempt 1 only', async () => {
    const usage = {
      prompt_tokens: 1000,
      completion_tokens: 2000,
      prompt_tokens_details: { cached_tokens: 300 },
      completion_tokens_details: { reasoning_tokens: 700 },
    };
    const chain = [
      { entry: PRICEY, script: (): Script => ({ status: 503 }) },
      { entry: CHEAP, script: (): Script => ({ usage }) },
    ];
    const excluded = [{ model: 'pricey', provider: 'elsewhere', reason: 'provider.ignore' }];
    const stats = recordingStats();
    const chat = createMeteredChat(
      deps(chain, { catalog: wrappedCatalog(chain, finishing('length'), excluded), stats }),
    );
    await chat.complete({
      caller: caller(),
      requestId: 'req_act1',
      requestBytes: REQUEST_BYTES,
      body: body('pricey', false),
    });
    const cost = exactCostMicros(CHEAP.pricing, 1000, 2000, 300);
    expect(books.activity).toHaveLength(2);
    expect(books.activity[0]).toMatchObject({
      attempt: 1,
      status: 503,
      generationId: null,
      finishReason: null,
      cachedTokens: 0,
      reasoningTokens: 0,
      generationMs: null,
      excluded,
    });
    expect(books.activity[1]).toMatchObject({
      attempt: 2,
      model: 'cheap',
      status: 200,
      costMicros: cost,
      generationId: 'c1', // the scripted upstream's completion id
      finishReason: 'length',
      cachedTokens: 300,
      reasoningTokens: 700,
      generationMs: 0,
      excluded: [],
    });
    expect(stats.samples).toEqual([
      { model: 'cheap', provider: 'cheap-provider', latencyMs: 1, completionTokens: 2000, generationMs: 1 },
    ]);
  });

  it("a stream's generationId is the id of its chunks, its finish reason the last one sent; stats get its timing", async () => {
    let now = T0;
    // Attempt latencies come from the fallback chain's own clock (performance.now): scripted here,
    // each candidate taking a fixed time to its result.
    let perf = 0;
    const perfNow = vi.spyOn(performance, 'now').mockImplementation(() => perf);
    const stats = recordingStats();
    const chunk = (delta: Record<string, unknown>, finish: string | null): string =>
      chunkEvent({
        id: 'gen-abc123',
        object: 'chat.completion.chunk',
        choices: [{ index: 0, delta, finish_reason: finish }],
      });
    const chunks = [
      chunk({ role: 'assistant', content: 'Hi' }, null),
      chunk({}, 'tool_calls'),
      chunkEvent({ id: 'gen-abc123', choices: [], usage: USAGE }),
      'data: [DONE]\n\n',
    ];
    const chain = [
      {
        entry: CHEAP,
        script: (): Script => {
          perf += 200; // fails after 200 ms
          return { status: 503 };
        },
      },
      {
        entry: PRICEY,
        script: (): Script => {
          perf += 120; // answers after 120 ms
          return { chunks };
        },
      },
    ];
    try {
      const chat = createMeteredChat(deps(chain, { clock: () => now, stats }));
      const result = streamOf(
        await chat.complete({
          caller: caller(),
          requestId: 'req_act2',
          requestBytes: REQUEST_BYTES,
          body: body('cheap', true),
        }),
      );
      now = T0 + 750;
      await readAll(result);
      await tick(10);
    } finally {
      perfNow.mockRestore();
    }
    expect(books.activity).toHaveLength(2);
    expect(books.activity[0]).toMatchObject({ attempt: 1, model: 'cheap', status: 503, latencyMs: 200 });
    expect(books.activity[1]).toMatchObject({
      ts: T0,
      attempt: 2,
      model: 'pricey',
      status: 200,
      latencyMs: 120,
      ttfbMs: 1,
      generationId: 'gen-abc123',
      finishReason: 'tool_calls',
      cachedTokens: 0,
      reasoningTokens: 0,
      generationMs: 750,
      excluded: [],
    });
    // Throughput counts the answer's own generation: the request's 750 ms minus every attempt's time
    // to its result, the failed one's included: 750 - (200 + 120).
    expect(stats.samples).toEqual([
      { model: 'pricey', provider: 'pricey-provider', latencyMs: 1, completionTokens: 2000, generationMs: 430 },
    ]);
  });

  it('feeds no stats for an estimated answer or a failure', async () => {
    const stats = recordingStats();
    const ok = createMeteredChat(deps([{ entry: CHEAP, script: () => ({ usage: undefined }) }], { stats }));
    await ok.complete({
      caller: caller(),
      requestId: 'req_act3',
      requestBytes: REQUEST_BYTES,
      body: body('cheap', false),
    });
    const failing = createMeteredChat(deps([{ entry: CHEAP, script: () => ({ status: 503 }) }], { stats }));
    await expect(
      failing.complete({
        caller: caller(),
        requestId: 'req_act4',
        requestBytes: REQUEST_BYTES,
        body: body('cheap', false),
      }),
    ).rejects.toMatchObject({ statusCode: 503 });
    expect(books.activity.map((e) => [e.requestId, e.estimated, e.status])).toEqual([
      ['req_act3', true, 200],
      ['req_act4', false, 503],
    ]);
    expect(stats.samples).toEqual([]);
  });
});

describe('metered chat, stream reply dialect', () => {
  it('sends a usage chunk of its own, with the charged cost, when the upstream sent no usage', async () => {
    const chat = createMeteredChat(deps([{ entry: PRICEY, script: () => ({ chunks: sse(['Hello'], undefined) }) }]));
    const text = await readAll(
      streamOf(
        await chat.complete({
          caller: caller(),
          requestId: 'req_nousage',
          requestBytes: REQUEST_BYTES,
          body: body('pricey', true),
        }),
      ),
    );
    const all = events(text);
    expect(all).toHaveLength(3);
    expect(all[2]).toBe('[DONE]');
    const charges = await books.charges();
    expect(charges).toHaveLength(1);
    const micros = -(charges[0]?.amountMicros ?? 0);
    const prompt = holdShape(body('pricey', true), PRICEY).promptTokens;
    expect(micros).toBe(exactCostMicros(PRICEY.pricing, prompt, 2)); // "Hello": 5 bytes → 2 tokens
    expect(all[1]).toEqual({
      id: 'req_nousage',
      object: 'chat.completion.chunk',
      created: T0 / 1000,
      model: 'pricey',
      choices: [],
      usage: chatUsage({ upstream: undefined, prompt, completion: 2, cached: 0, reasoning: 0, costMicros: micros }),
    });
    expect(books.activity[0]).toMatchObject({ estimated: true, completionTokens: 2, costMicros: micros });
  });

  it('with reasoning.exclude, the client gets no reasoning, the content intact, and the reasoning is charged', async () => {
    const ev = (delta: Record<string, unknown>): string =>
      chunkEvent({ id: 'r1', choices: [{ index: 0, delta, finish_reason: null }] });
    const usage = {
      prompt_tokens: 1000,
      completion_tokens: 2000,
      completion_tokens_details: { reasoning_tokens: 1500 },
    };
    const chunks = [
      ev({ role: 'assistant', content: null, reasoning_content: 'Think hard.' }),
      ev({ content: 'Answer.', reasoning_content: null }),
      chunkEvent({ id: 'r1', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }),
      chunkEvent({ id: 'r1', choices: [], usage }),
      'data: [DONE]\n\n',
    ];
    const chat = createMeteredChat(deps([{ entry: PRICEY, script: () => ({ chunks }) }]));
    const text = await readAll(
      streamOf(
        await chat.complete({
          caller: caller(),
          requestId: 'req_excl',
          requestBytes: REQUEST_BYTES,
          body: { ...body('pricey', true), reasoning: { exclude: true } },
        }),
      ),
    );
    expect(text).not.toContain('reasoning_content');
    expect(text).not.toContain('Think hard.');
    expect(events(text)).toEqual([
      { id: 'r1', choices: [{ index: 0, delta: { content: 'Answer.' }, finish_reason: null }] },
      { id: 'r1', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] },
      {
        id: 'r1',
        choices: [],
        usage: chatUsage({
          upstream: { ...usage, total_tokens: 3000 },
          prompt: 1000,
          completion: 2000,
          cached: 0,
          reasoning: 1500,
          costMicros: COST_PRICEY,
        }),
      },
      '[DONE]',
    ]);
    expect(await books.charges()).toEqual([{ requestId: 'req_excl', amountMicros: -COST_PRICEY }]);
    expect(books.activity[0]).toMatchObject({ reasoningTokens: 1500, finishReason: 'stop' });
  });
});

describe('metered chat, a stream committed before any answer', () => {
  const KEEP_ALIVE_MS = 20;
  const ALIVE_RE = /^(: SAFEROUTER PROCESSING\n\n)+/;

  /** The comments that open `text`, and the rest. */
  function split(text: string): { comments: number; rest: string } {
    const head = ALIVE_RE.exec(text)?.[0] ?? '';
    return { comments: head.length / KEEP_ALIVE.length, rest: text.slice(head.length) };
  }

  function billedText(cost: number): string {
    return [
      ...sse(['Hello', ' there'], undefined, ''),
      `data: ${JSON.stringify({ choices: [], usage: chatUsage({ upstream: { ...USAGE, total_tokens: 0 }, prompt: USAGE.prompt_tokens, completion: USAGE.completion_tokens, cached: 0, reasoning: 0, costMicros: cost }) })}\n\n`,
      'data: [DONE]\n\n',
    ].join('');
  }

  it('answers 200 before the upstream does, sends keep-alives, then the answer, charged exactly once', async () => {
    const chain = [{ entry: PRICEY, script: (): Script => ({ usage: USAGE }) }];
    const fake = fakeEvidence();
    let upstreamAnswered = false;
    const chat = createMeteredChat(
      deps(chain, {
        catalog: wrappedCatalog(chain, (model, e) =>
          slow(100)(
            {
              ...model,
              doStream: async (o) => {
                const r = await model.doStream(o);
                upstreamAnswered = true;
                return r;
              },
            },
            e,
          ),
        ),
        keepAliveMs: KEEP_ALIVE_MS,
        evidence: fake.evidence,
      }),
    );
    const limits = { rpm: null, concurrency: 1 };
    const reply = await chat.complete({
      caller: caller(limits),
      requestId: 'req_commit1',
      requestBytes: REQUEST_BYTES,
      body: body('pricey', true),
    });
    expect(upstreamAnswered).toBe(false);
    expect(reply).toMatchObject({ stream: true, requested: 'pricey', answeredBy: 'pricey', provider: undefined });
    const result = streamOf(reply);
    expect(result.status).toBe(200);
    const text = await readAll(result);
    const { comments, rest } = split(text);
    expect(comments).toBeGreaterThanOrEqual(1);
    const billed = billedText(COST_PRICEY);
    const receipt = ': saferouter-receipt receipt-1\n\n';
    expect(rest).toBe(billed.replace('data: [DONE]\n\n', `${receipt}data: [DONE]\n\n`));
    // The receipt covers everything sent before it, the keep-alive comments included.
    expect(fake.records[0]?.response).toBe(text.slice(0, text.indexOf(receipt)));
    await tick(20);
    expect(await books.charges()).toEqual([{ requestId: 'req_commit1', amountMicros: -COST_PRICEY }]);
    expect(await books.account()).toMatchObject({ balanceMicros: 1_000_000 - COST_PRICEY, heldMicros: 0 });
    expect(books.activity.map((e) => [e.model, e.attempt, e.status, e.costMicros])).toEqual([
      ['pricey', 1, 200, COST_PRICEY],
    ]);
    expect((await result.summary).completed).toBe(true);
    // The concurrency slot was given back.
    await readAll(
      streamOf(
        await chat.complete({
          caller: caller(limits),
          requestId: 'req_commit1b',
          requestBytes: REQUEST_BYTES,
          body: body('pricey', true),
        }),
      ),
    );
  });

  it('a fallback that answers after the commit is announced in a comment before its answer', async () => {
    const chain = [
      { entry: PRICEY, script: (): Script => ({ status: 503 }) },
      { entry: CHEAP, script: (): Script => ({ usage: USAGE }) },
    ];
    const chat = createMeteredChat(
      deps(chain, { catalog: wrappedCatalog(chain, slow(80, 'pricey')), keepAliveMs: KEEP_ALIVE_MS }),
    );
    const text = await readAll(
      streamOf(
        await chat.complete({
          caller: caller(),
          requestId: 'req_commit2',
          requestBytes: REQUEST_BYTES,
          body: body('pricey', true),
        }),
      ),
    );
    const { comments, rest } = split(text);
    expect(comments).toBeGreaterThanOrEqual(1);
    expect(rest).toBe(
      `: SAFEROUTER FALLBACK from pricey via pricey-provider to cheap via cheap-provider\n\n${billedText(COST_CHEAP)}`,
    );
    await tick(20);
    expect(await books.charges()).toEqual([{ requestId: 'req_commit2', amountMicros: -COST_CHEAP }]);
    expect(books.activity.map((e) => [e.model, e.attempt, e.status, e.costMicros])).toEqual([
      ['pricey', 1, 503, 0],
      ['cheap', 2, 200, COST_CHEAP],
    ]);
    expect((await books.account()).heldMicros).toBe(0);
  });

  it('when every candidate fails after the commit, the stream ends with the receipt and the error event, charging nothing', async () => {
    const chain = [{ entry: PRICEY, script: (): Script => ({ status: 503 }) }];
    const fake = fakeEvidence();
    const chat = createMeteredChat(
      deps(chain, {
        catalog: wrappedCatalog(chain, slow(80)),
        keepAliveMs: KEEP_ALIVE_MS,
        evidence: fake.evidence,
      }),
    );
    const limits = { rpm: null, concurrency: 1 };
    const result = streamOf(
      await chat.complete({
        caller: caller(limits),
        requestId: 'req_commit3',
        requestBytes: REQUEST_BYTES,
        body: body('pricey', true),
      }),
    );
    const text = await readAll(result);
    const { comments, rest } = split(text);
    expect(comments).toBeGreaterThanOrEqual(1);
    expect(rest).toBe(
      ': saferouter-receipt receipt-1\n\n' +
        `data: ${JSON.stringify({ error: { message: 'Upstream pricey-provider answered 503 for pricey', type: 'upstream_error', code: 'upstream_503' } })}\n\n`,
    );
    expect(fake.records[0]?.response).toBe(KEEP_ALIVE.repeat(comments));
    expect(await result.summary).toMatchObject({ completed: false });
    expect(await books.charges()).toEqual([]);
    expect(await books.account()).toEqual({ keyId: books.keyId, balanceMicros: 1_000_000, heldMicros: 0 });
    expect(books.activity.map((e) => [e.attempt, e.status, e.costMicros])).toEqual([[1, 503, 0]]);
    // The concurrency slot was given back.
    const chat2 = createMeteredChat(deps([{ entry: PRICEY, script: () => ({ usage: USAGE }) }]));
    await chat2.complete({
      caller: caller(limits),
      requestId: 'req_commit3b',
      requestBytes: REQUEST_BYTES,
      body: body('pricey', false),
    });
  });

  it('a client leaving before any answer is charged nothing; the late answer is cancelled and recorded as 499', async () => {
    const chain = [{ entry: PRICEY, script: (): Script => ({ usage: USAGE }) }];
    const chat = createMeteredChat(
      deps(chain, { catalog: wrappedCatalog(chain, slow(80)), keepAliveMs: KEEP_ALIVE_MS }),
    );
    const limits = { rpm: null, concurrency: 1 };
    const result = streamOf(
      await chat.complete({
        caller: caller(limits),
        requestId: 'req_commit4',
        requestBytes: REQUEST_BYTES,
        body: body('pricey', true),
      }),
    );
    expect(dec.decode(await result.read())).toBe(KEEP_ALIVE);
    result.cancel(new Error('client left'));
    expect(await result.read()).toBeUndefined();
    expect(await result.summary).toMatchObject({ completed: false });
    // The late answer is cancelled and settled in the background: wait for its entry.
    await vi.waitFor(() => expect(books.activity).toHaveLength(1), { timeout: 5_000 });
    expect(await books.charges()).toEqual([]);
    expect(await books.account()).toEqual({ keyId: books.keyId, balanceMicros: 1_000_000, heldMicros: 0 });
    expect(books.activity.map((e) => [e.attempt, e.status, e.costMicros, e.estimated])).toEqual([[1, 499, 0, true]]);
    const chat2 = createMeteredChat(deps([{ entry: PRICEY, script: () => ({ usage: USAGE }) }]));
    await chat2.complete({
      caller: caller(limits),
      requestId: 'req_commit4b',
      requestBytes: REQUEST_BYTES,
      body: body('pricey', false),
    });
  });
});
